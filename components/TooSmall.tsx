import { Box, Text } from 'ink';

export function TooSmall({ columns, rows, minColumns, minRows }: { columns: number; rows: number; minColumns: number; minRows: number }) {
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Text wrap="wrap">
        Terminal too small ({columns}x{rows}). tk needs at least {minColumns}x{minRows}: make the window bigger, or press q to quit.
      </Text>
    </Box>
  );
}
