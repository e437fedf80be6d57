import React from 'react';
import { Box, Text, useInput } from 'ink';
import { ConfirmInput } from '@inkjs/ui';
import type { ReviewController } from './controller.js';
import type { EditError } from './state.js';
import { LineView } from './LineView.js';
import { seg } from './text.js';

/** After $EDITOR: the edit did not validate. One line saying why, and an offer to edit again. */
export function EditErrorPrompt({ error, controller, width }: { error: EditError; controller: ReviewController; width: number }) {
  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) controller.dismissEditError();
  });
  return (
    <Box flexDirection="column">
      <LineView line={[seg('✖ not saved: ', 'bad', { bold: true }), seg(error.message)]} width={width} />
      <Box>
        <Text>Edit {error.id} again (your text is kept)? </Text>
        <ConfirmInput defaultChoice="cancel" onConfirm={() => void controller.edit(error.id, true)} onCancel={() => controller.dismissEditError()} />
      </Box>
    </Box>
  );
}
