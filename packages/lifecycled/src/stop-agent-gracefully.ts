#!/usr/bin/env node
import { runStopAgent } from './run-stop-agent';

// lifecycled stops a handler with SIGTERM only when it is itself stopping; the agent keeps its own SIGTERM.
process.on('SIGTERM', () => process.exit(143));

runStopAgent({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr })
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    process.stderr.write(`stop-agent-gracefully: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
