import { useEffect, useRef, useState } from 'react';
import { useStdout } from 'ink';

export interface TermSize {
  columns: number;
  rows: number;
}

/** Clear the visible screen and home the cursor (scrollback is kept). */
const CLEAR_SCREEN = '\u001B[2J\u001B[H';

/**
 * The terminal's size, following resizes; `fixed` pins it (tests). Falls back to 80×24.
 * When the terminal gets narrower, most terminals re-wrap what is on screen, which leaves
 * fragments of the old frame Ink cannot erase: the screen is cleared once and the frame redrawn
 * (inside Ink's synchronized write, so it does not flicker).
 */
export function useTerminalSize(fixed?: TermSize): TermSize {
  const { stdout, write } = useStdout();
  const read = (): TermSize => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  const last = useRef(size);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => {
      const next = read();
      if (next.columns < last.current.columns && stdout.isTTY) write(CLEAR_SCREEN);
      last.current = next;
      setSize(next);
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, write, fixed?.columns, fixed?.rows]);
  return fixed ?? size;
}
