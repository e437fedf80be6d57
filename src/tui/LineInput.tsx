import React, { useRef, useState } from 'react';
import { Text, useInput } from 'ink';
import { useTheme } from './theme.js';

/**
 * A one-line text input. Unlike a plain keypress handler it treats a chunk such as `actorhub⏎`
 * (fast typing, a paste, tmux send-keys) as text followed by Enter. Backspace arrives as
 * `key.delete` in Ink 6 and is handled as both. Esc and Ctrl-C cancel.
 */
export interface LineInputProps {
  initial?: string;
  placeholder?: string;
  onChange?: (value: string) => void;
  onSubmit: (value: string) => void;
  onCancel: () => void;
  /** ↑/↓ leave the input (e.g. to the previous field). */
  onNavigate?: (direction: -1 | 1) => void;
}

/**
 * A chunk typed at once, in order: printable characters are added, each Backspace (DEL or BS —
 * several pressed together arrive as one chunk) removes the last character, other control
 * characters are dropped.
 */
export function edited(value: string, chunk: string): string {
  const out = Array.from(value);
  for (const ch of Array.from(chunk)) {
    if (ch === '\u007f' || ch === '\b') out.pop();
    // eslint-disable-next-line no-control-regex
    else if (!/[\u0000-\u001f]/.test(ch)) out.push(ch);
  }
  return out.join('');
}

export function LineInput({ initial = '', placeholder = '', onChange, onSubmit, onCancel, onNavigate }: LineInputProps) {
  const theme = useTheme();
  const value = useRef(initial);
  const [shown, setShown] = useState(initial);
  const set = (v: string) => {
    value.current = v;
    setShown(v);
    onChange?.(v);
  };
  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) return onCancel();
    if (key.return) return onSubmit(value.current);
    // One Backspace, or several pressed together (the chunk holds each of them).
    if (key.backspace || key.delete) return set(edited(value.current, /[\u007f\b]/.test(input) ? input : '\u007f'));
    if ((key.upArrow || key.downArrow) && onNavigate) return onNavigate(key.upArrow ? -1 : 1);
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown) return;
    const [text, ...rest] = input.split(/\r\n|\r|\n/);
    const next = edited(value.current, text ?? '');
    if (next !== value.current) set(next);
    if (rest.length) onSubmit(value.current);
  });
  return (
    <Text>
      {shown ? <Text>{shown}</Text> : null}
      <Text inverse> </Text>
      {!shown && placeholder ? <Text color={theme.color('muted')} dimColor={theme.noColor}>{` ${placeholder}`}</Text> : null}
    </Text>
  );
}
