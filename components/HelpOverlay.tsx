import { Box, Text } from 'ink';

export interface HelpOverlayProps {
  /** [keys, description] for every action, in the key table's order. */
  entries: readonly (readonly [string, string])[];
  height: number;
  width: number;
}

export function HelpOverlay({ entries, height, width }: HelpOverlayProps) {
  const inner = Math.max(1, height - 3);
  const cols = entries.length > inner ? 2 : 1;
  const per = Math.ceil(entries.length / cols);
  const colW = Math.floor((width - 2) / cols);
  return (
    <Box flexDirection="column" height={height} width={width} borderStyle="round" paddingX={1} overflow="hidden">
      <Text bold>Keys (remap in config: [dashboard.keys]) · Esc or ? to close</Text>
      <Box flexDirection="row">
        {Array.from({ length: cols }, (_, c) => (
          <Box key={c} flexDirection="column" width={colW}>
            {entries.slice(c * per, c * per + per).map(([k, d]) => (
              <Box key={d} height={1} overflow="hidden">
                <Box width={14} flexShrink={0}>
                  <Text bold>{k}</Text>
                </Box>
                <Text wrap="truncate-end">{d}</Text>
              </Box>
            ))}
          </Box>
        ))}
      </Box>
    </Box>
  );
}
