/** Rewrites the README's key section from the keymap (src/tui/keymap.ts): `npm run readme:keys`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { keymapMarkdown } from '../src/tui/keymap.js';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const start = readme.indexOf('### Keys in `pgmend review`');
if (start < 0) throw new Error('README.md has no "### Keys in `pgmend review`" section');
const rest = readme.slice(start + 1);
const next = rest.search(/\n#{2,3} /);
const end = next < 0 ? readme.length : start + 1 + next + 1;
writeFileSync(file, readme.slice(0, start) + keymapMarkdown() + '\n' + readme.slice(end).replace(/^\n+/, ''));
