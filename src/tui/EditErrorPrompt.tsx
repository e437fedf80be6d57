import React from 'react';
import { Box, Text, useInput } from 'ink';
import { ConfirmInput } from '@inkjs/ui';
import type { ReviewController } from './controller.js';
import { dismissEditError, edit } from './effects/edit.js';
import type { EditError } from './state.js';
import { LinesView } from './LineView.js';
import { seg, wrap } from './text.js';

/** Rows the prompt takes: the message (up to two rows) and the question. */
export const EDIT_ERROR_ROWS = 3;

/** After $EDITOR: the edit did not validate. One line saying why, and an offer to edit again. */
export function EditErrorPrompt({ error, ctx, width }: { error: EditError; ctx: ReviewController; width: number }) {
  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) dismissEditError(ctx);
  });
  return (
    <Box flexDirection="column">
      <LinesView lines={wrap([seg('✖ not saved: ', 'bad', { bold: true }), seg(error.message)], width).slice(0, EDIT_ERROR_ROWS - 1)} width={width} />
      <Box>
        <Text>Edit {error.id} again (your text is kept)? </Text>
        <ConfirmInput defaultChoice="cancel" onConfirm={() => void edit(ctx, error.id, true)} onCancel={() => dismissEditError(ctx)} />
      </Box>
    </Box>
  );
}
