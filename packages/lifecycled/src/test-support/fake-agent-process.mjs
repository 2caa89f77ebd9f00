#!/usr/bin/env node
// A stand-in for buildkite-agent with one running job. It mimics the real agent's signals: the first SIGTERM lets the
// job finish (after --job-ms, or at once on SIGWINCH from the test) and then exits 0; a second SIGTERM or a SIGQUIT
// cancels the job and exits 1.
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
const finishJob = () => {
  record('job-finished');
  process.exit(0);
};
process.on('SIGTERM', () => {
  sigterms++;
  if (sigterms === 1) {
    record('sigterm');
    setTimeout(finishJob, jobMs);
  } else {
    record('job-cancelled', { reason: 'second SIGTERM' });
    process.exit(1);
  }
});
// SIGWINCH (from a test, never from the daemon): the running job finishes now, so a test can end the job when the
// events it waits for have happened instead of after a fixed time. Only after the SIGTERM, like the real job's end.
// Its number (28) is above SIGTERM's (15): Linux delivers pending signals lowest number first, so a SIGTERM sent
// before the test ends the job is always handled before it (a second SIGTERM is never hidden by the job's end).
process.on('SIGWINCH', () => {
  if (sigterms === 1) finishJob();
});
process.on('SIGQUIT', () => {
  record('job-cancelled', { reason: 'SIGQUIT' });
  process.exit(1);
});

setInterval(() => {}, 60_000);
if (values['pid-file']) writeFileSync(values['pid-file'], `${process.pid}\n`);
record('job-started', { pid: process.pid });
