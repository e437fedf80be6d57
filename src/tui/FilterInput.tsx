import React, { useCallback } from 'react';
import { Box, Text, useInput } from 'ink';
import { TextInput } from '@inkjs/ui';
import type { Store } from './store.js';

/** `/`: the filter, narrowing the list as it is typed. Enter keeps it, Esc clears it. */
export function FilterInput({ store, initial }: { store: Store; initial: string }) {
  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) {
      store.dispatch({ type: 'filter', text: '' });
      store.dispatch({ type: 'filtering', on: false });
    }
  });
  // @inkjs/ui calls onChange from an effect that depends on it: it must be stable.
  const onChange = useCallback((text: string) => store.dispatch({ type: 'filter', text }), [store]);
  const onSubmit = useCallback(() => store.dispatch({ type: 'filtering', on: false }), [store]);
  return (
    <Box>
      <Text bold>/ </Text>
      <TextInput
        defaultValue={initial}
        placeholder="id, title, table, status or severity — Enter keeps, Esc clears"
        onChange={onChange}
        onSubmit={onSubmit}
      />
    </Box>
  );
}
