import React from 'react';
import { Text } from 'ink';
import type { ItemStatus } from './screens/list/list-view.js';
import { SEVERITY_LOOK, STATUS_LOOK, spinnerGlyph, useTheme, type Look } from './theme.js';
import type { Severity } from '../findings/model.js';
import { seg, type Seg } from './text.js';

/** A status as glyph + word (+ color): `✖ blocked`, `⠋ checking`. */
export function statusSeg(status: ItemStatus, frame: number, busy?: string): Seg {
  if (busy) return seg(`${spinnerGlyph(frame)} ${busy}`, 'info');
  if (status === 'checking' || status === 'planning') return seg(`${spinnerGlyph(frame)} ${status}`, 'info');
  if (status === 'waiting') return seg('○ waiting', 'muted');
  const look: Look = STATUS_LOOK[status];
  return seg(`${look.glyph} ${look.word}`, look.tone, status === 'blocked' ? { bold: true } : {});
}

export function severitySeg(s: Severity): Seg {
  const look = SEVERITY_LOOK[s];
  return seg(`${look.glyph} ${look.word}`, look.tone);
}

export function StatusBadge({ status, frame, busy }: { status: ItemStatus; frame: number; busy?: string }) {
  const theme = useTheme();
  const s = statusSeg(status, frame, busy);
  return (
    <Text color={theme.color(s.tone)} bold={s.bold ?? false}>
      {s.text}
    </Text>
  );
}
