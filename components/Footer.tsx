import { Box, Text } from 'ink';

export interface FooterProps {
  /** [keys, label] pairs, most important first; cut to fit the width. */
  hints: readonly (readonly [string, string])[];
  width: number;
}

export function Footer({ hints, width }: FooterProps) {
  const shown: (readonly [string, string])[] = [];
  let used = 0;
  for (const h of hints) {
    const w = h[0].length + h[1].length + 3;
    if (used + w > width) break;
    shown.push(h);
    used += w;
  }
  return (
    <Box height={1} overflow="hidden" width={width}>
      <Text wrap="truncate-end">
        {shown.map(([k, label], i) => (
          <Text key={i}>
            <Text bold>{k}</Text>
            <Text dimColor> {label}  </Text>
          </Text>
        ))}
      </Text>
    </Box>
  );
}
