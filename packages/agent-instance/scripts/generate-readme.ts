// Rewrites the boot-contract field table in README.md from the schema: `pnpm --filter @elastic-ci/agent-instance run readme`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { replaceFieldsTable } from '../src/readme.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(readmePath, 'utf8');
const after = replaceFieldsTable(before);
if (after !== before) writeFileSync(readmePath, after);
console.log(after === before ? 'README.md is up to date' : 'README.md: field table regenerated');
