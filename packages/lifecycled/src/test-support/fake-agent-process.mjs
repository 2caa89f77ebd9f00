#!/usr/bin/env node
// A stand-in for buildkite-agent with one running job. It mimics the real agent's signals: the first SIGTERM lets the
// job finish (after --job-ms) and then exits 0; a second SIGTERM or a SIGQUIT cancels the job and exits 1.
// Every event is appended as a JSON line to --events so tests can check the order of things.
import { appendFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { 'pid-file': { type: 'string' }, events: { type: 'string' }, 'job-ms': { type: 'string' } },
});
const eventsFile = values.events ?? '/dev/null';
const jobMs = Number(values['job-ms'] ?? '500');
const record = (event, extra = {}) =>
  appendFileSync(eventsFile, `${JSON.stringify({ event, at: Date.now(), ...extra })}\n`);

let sigterms = 0;
process.on('SIGTERM', () => {
  sigterms++;
  if (sigterms === 1) {
    record('sigterm');
    setTimeout(() => {
      record('job-finished');
      process.exit(0);
    }, jobMs);
  } else {
    record('job-cancelled', { reason: 'second SIGTERM' });
    process.exit(1);
  }
});
process.on('SIGQUIT', () => {
  record('job-cancelled', { reason: 'SIGQUIT' });
  process.exit(1);
});

setInterval(() => {}, 60_000);
if (values['pid-file']) writeFileSync(values['pid-file'], `${process.pid}\n`);
record('job-started', { pid: process.pid });
