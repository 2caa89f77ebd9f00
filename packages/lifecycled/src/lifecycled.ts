#!/usr/bin/env node
import { runLifecycled } from './run-lifecycled';

const stop = new AbortController();
let signalsSeen = 0;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    signalsSeen++;
    // The first signal stops listening (and the handler); an action whose drain it cut short is left pending.
    if (signalsSeen === 1) stop.abort();
  });
}

runLifecycled({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stop: stop.signal,
  processWarnings: process,
})
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    process.stderr.write(`lifecycled: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    // Pending sockets (SDK keep-alive) must not hold the process open once the work is done.
    setTimeout(() => process.exit(), 100).unref();
  });
