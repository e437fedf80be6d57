import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export interface TermSize {
  columns: number;
  rows: number;
}

/** The terminal's size, following resizes; `fixed` pins it (tests). Falls back to 80×24. */
export function useTerminalSize(fixed?: TermSize): TermSize {
  const { stdout } = useStdout();
  const read = (): TermSize => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed?.columns, fixed?.rows]);
  return fixed ?? size;
}
