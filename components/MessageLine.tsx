import { Box, Text } from 'ink';
import { toneStyle, useTheme } from '../hooks/useTheme.js';

export function MessageLine({ text, level, width }: { text: string | null; level: 'info' | 'warn' | 'error'; width: number }) {
  const theme = useTheme();
  const tone = level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'normal';
  return (
    <Box height={1} overflow="hidden" width={width}>
      <Text wrap="truncate-end" {...toneStyle(theme, tone)}>
        {text ?? ' '}
      </Text>
    </Box>
  );
}
