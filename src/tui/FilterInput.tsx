import React from 'react';
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
  return (
    <Box>
      <Text bold>/ </Text>
      <TextInput
        defaultValue={initial}
        placeholder="id, title, table, status or severity — Enter keeps, Esc clears"
        onChange={(text) => store.dispatch({ type: 'filter', text })}
        onSubmit={() => store.dispatch({ type: 'filtering', on: false })}
      />
    </Box>
  );
}
