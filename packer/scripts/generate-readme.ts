// Rewrites the boot settings table in packer/README.md from the boot contract schema, with the agent-instance
// package's own renderer (the same table as its README): `packages/agent-instance/node_modules/.bin/tsx packer/scripts/generate-readme.ts`.
// `--check` changes nothing and exits 1 when the table is out of date (run by `make test` through packer/test).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { replaceFieldsTable } from '../../packages/agent-instance/src/readme.js';

const args = process.argv.slice(2);
const check = args.includes('--check');
const readmePath = args.find((arg) => arg !== '--check') ?? fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(readmePath, 'utf8');
const after = replaceFieldsTable(before);
if (after === before) {
  console.log(`${readmePath}: boot settings table is up to date`);
} else if (check) {
  console.error(
    `${readmePath}: boot settings table is out of date; run packages/agent-instance/node_modules/.bin/tsx packer/scripts/generate-readme.ts`,
  );
  process.exitCode = 1;
} else {
  writeFileSync(readmePath, after);
  console.log(`${readmePath}: boot settings table regenerated`);
}
