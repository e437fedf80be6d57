import React from 'react';
import { Box, Text } from 'ink';
import { useTheme } from './theme.js';
import { fit, type Line } from './text.js';

/**
 * Trailing blanks (column padding) show nothing unless drawn inverse, but Ink measures and styles
 * every character of every frame: not sending them keeps a frame's cost to what is visible.
 */
function trimEnd(line: Line): Line {
  let end = line.length;
  while (end > 0 && !line[end - 1]!.inverse && line[end - 1]!.text.trimEnd() === '') end--;
  if (end === 0) return [];
  const last = line[end - 1]!;
  const text = last.inverse ? last.text : last.text.trimEnd();
  return text === last.text && end === line.length ? line : [...line.slice(0, end - 1), { ...last, text }];
}

/** One terminal row: styled segments, cut to `width`, never wrapped. */
export function LineView({ line, width }: { line: Line; width?: number }) {
  const theme = useTheme();
  const shown = trimEnd(width !== undefined ? fit(line, width) : line);
  if (!shown.length) return <Text> </Text>;
  return (
    <Text wrap="truncate">
      {shown.map((s, i) => (
        <Text key={i} color={theme.color(s.tone)} bold={s.bold ?? false} dimColor={s.dim ?? false} inverse={s.inverse ?? false}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

/** Exactly `height` rows of `lines` from `offset` (blank rows below the end). */
export function ScrollView({ lines, offset, height, width }: { lines: Line[]; offset: number; height: number; width: number }) {
  const rows = Array.from({ length: Math.max(0, height) }, (_, i) => lines[offset + i] ?? []);
  return (
    <Box flexDirection="column" height={Math.max(0, height)}>
      {rows.map((l, i) => (
        <LineView key={i} line={l} width={width} />
      ))}
    </Box>
  );
}

/** Lines without a viewport (short, fixed content). */
export function LinesView({ lines, width }: { lines: Line[]; width: number }) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <LineView key={i} line={l} width={width} />
      ))}
    </Box>
  );
}
