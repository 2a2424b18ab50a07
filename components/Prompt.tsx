import { Box, Text } from 'ink';

export interface PromptProps {
  title: string;
  value: string;
  matches: readonly string[];
  choice: number;
  hint: string;
  width: number;
}

export function Prompt({ title, value, matches, choice, hint, width }: PromptProps) {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={Math.min(width, 90)}>
      <Text bold>{title}</Text>
      <Text>
        {'> '}
        {value}
        <Text inverse> </Text>
      </Text>
      {matches.map((m, i) => (
        <Text key={m} inverse={i === choice} dimColor={i !== choice} wrap="truncate-end">
          {'  '}
          {m}
        </Text>
      ))}
      <Text dimColor>{hint}</Text>
    </Box>
  );
}
