import { describe, expect, test } from 'vitest';
import React from 'react';
import { render } from 'ink-testing-library';
import { edited, LineInput } from '../../src/tui/LineInput.js';
import { stripAnsi } from './harness.js';

/** Several Backspaces arriving together (key repeat, a fast hand, tmux) each remove a character. */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LineInput', () => {
  test('a burst of Backspaces in one chunk removes as many characters', async () => {
    let value = '';
    const ui = render(<LineInput onChange={(v) => (value = v)} onSubmit={() => {}} onCancel={() => {}} />);
    await sleep(50);
    ui.stdin.write('actorhub');
    await sleep(50);
    ui.stdin.write('\u007f\u007f\u007f');
    await sleep(50);
    expect(value).toBe('actor');
    ui.stdin.write('\u007f');
    await sleep(50);
    expect(value).toBe('acto');
    ui.stdin.write('\b\b');
    await sleep(50);
    expect(value).toBe('ac');
    expect(stripAnsi(ui.lastFrame()!)).toContain('ac');
    ui.unmount();
  });

  test('edited: text and Backspaces in one chunk apply in order', () => {
    expect(edited('abc', 'de\u007f\u007f\u007fx')).toBe('abx');
    expect(edited('', '\u007f\u007f')).toBe('');
    expect(edited('ü€', '\u007f')).toBe('ü');
  });
});
