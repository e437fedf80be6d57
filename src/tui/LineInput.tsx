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
    if (key.backspace || key.delete) return set(Array.from(value.current).slice(0, -1).join(''));
    if ((key.upArrow || key.downArrow) && onNavigate) return onNavigate(key.upArrow ? -1 : 1);
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown) return;
    const [text, ...rest] = input.split(/\r\n|\r|\n/);
    // eslint-disable-next-line no-control-regex
    const printable = (text ?? '').replace(/[\u0000-\u001f\u007f]/g, '');
    if (printable) set(value.current + printable);
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
