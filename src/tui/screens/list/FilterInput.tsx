import React, { useCallback } from 'react';
import { Box, Text } from 'ink';
import { LineInput } from '../../LineInput.js';
import type { Store } from '../../store.js';

/** `/`: the filter, narrowing the list as it is typed. Enter keeps it, Esc clears it. */
export function FilterInput({ store, initial }: { store: Store; initial: string }) {
  const onChange = useCallback((text: string) => store.dispatch({ type: 'filter', text }), [store]);
  const onSubmit = useCallback(() => store.dispatch({ type: 'filtering', on: false }), [store]);
  const onCancel = useCallback(() => {
    store.dispatch({ type: 'filter', text: '' });
    store.dispatch({ type: 'filtering', on: false });
  }, [store]);
  return (
    <Box>
      <Text bold>/ </Text>
      <LineInput initial={initial} placeholder="words, kind:orphans, status:blocked, !word — Enter keeps, Esc clears" onChange={onChange} onSubmit={onSubmit} onCancel={onCancel} />
    </Box>
  );
}
