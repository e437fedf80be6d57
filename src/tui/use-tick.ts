import { createContext, useContext, useEffect, useState } from 'react';

/** One clock for every spinner on screen, running only while something is in progress. */
export function useTick(active: boolean, ms = 100): number {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setFrame((f) => f + 1), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return frame;
}

export const TickContext = createContext(0);
export const useFrame = (): number => useContext(TickContext);
