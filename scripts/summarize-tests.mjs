#!/usr/bin/env node
// Sums the test counts of one `make test` run (vitest summaries and bats TAP lines in turbo's log) into the single
// closing line CI readers look for: `tests: N passed, N failed, N skipped`. Exits 1 if the log holds no test at all,
// because a green run that executed nothing is not green.
import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

const logPath = process.argv[2];
if (!logPath) {
  console.error('usage: summarize-tests.mjs <turbo-log>');
  process.exit(2);
}
const log = stripVTControlCharacters(readFileSync(logPath, 'utf8'));

let passed = 0;
let failed = 0;
let skipped = 0;
for (const line of log.split('\n')) {
  // vitest: "      Tests  2 failed | 211 passed | 3 skipped (216)"
  const vitest = /\bTests\s+(.+)\(\d+\)\s*$/.exec(line);
  if (vitest?.[1]) {
    for (const [, count, kind] of vitest[1].matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
      if (kind === 'passed') passed += Number(count);
      else if (kind === 'failed') failed += Number(count);
      else skipped += Number(count);
    }
    continue;
  }
  // bats (TAP), bare or behind turbo's "pkg:test: " prefix: "ok 3 name", "not ok 4 name", "ok 5 name # skip reason"
  const tap = /^(?:\S+:\s+)?(not ok|ok) \d+ .*?(# skip)?\s*$/i.exec(line);
  if (tap) {
    if (tap[1] === 'not ok') failed += 1;
    else if (tap[2]) skipped += 1;
    else passed += 1;
  }
}

console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (passed + failed === 0) {
  console.error('summarize-tests: the run executed no test');
  process.exit(1);
}
process.exit(failed > 0 ? 1 : 0);
