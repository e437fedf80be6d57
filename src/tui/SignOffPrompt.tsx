import React from 'react';
import { Box, Text } from 'ink';
import type { ReviewController } from './controller.js';
import { cancelPrompt, submitPrompt } from './effects/sign-off.js';
import { LineInput } from './LineInput.js';
import type { NotePrompt } from './state.js';

/** Rows the prompt takes. */
export const SIGN_OFF_ROWS = 1;

const ASK: Record<NotePrompt['kind'], string> = {
  approved: 'approve',
  skipped: 'skip',
  note: 'note for',
};

/** `v` / `w` / `n`: a one-line note for the sign-off; Enter writes it to the findings file, Esc cancels. */
export function SignOffPrompt({ prompt, ctx }: { prompt: NotePrompt; ctx: ReviewController }) {
  const hint = prompt.kind === 'skipped' ? 'why (Enter saves, Esc cancels)' : 'note, optional (Enter saves, Esc cancels)';
  return (
    <Box>
      <Text bold>{`${ASK[prompt.kind]} ${prompt.id}: `}</Text>
      <LineInput initial={prompt.initial} placeholder={hint} onSubmit={(t) => void submitPrompt(ctx, t)} onCancel={() => cancelPrompt(ctx)} />
    </Box>
  );
}
