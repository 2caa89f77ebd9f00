#!/usr/bin/env node
// `elastic-ci-sandbox`: the thin shell of `make demo`. Everything it does is in src/cli (run-demo), src/replay and
// src/report; this file wires real files, clocks, signals and the sandbox in.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundledTracePath } from '@elastic-ci/simulator';
import { signBuildkiteWebhook } from '@elastic-ci/testing/webhook-signing';
import { runDemo } from '../cli/run-demo';
import { startDemoSandbox } from '../cli/sandbox-adapter';

const USAGE = `Usage: elastic-ci-sandbox <command> [options]

Commands:
  demo    the real control plane against moto and a Buildkite API stand-in on a replayed trace,
          measured beside the simulator's prediction (elastic-ci-sandbox demo --help)`;

// The repo supports Node.js 20 (root README); the AWS SDK's notice that future releases will need 22 is not something a
// demo user can act on, and it would sit in the middle of the progress lines. Every other warning is still printed.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  // The SDK emits it either with that type or as a plain Warning whose text starts with the name.
  const sdkNodeNotice =
    warning.name === 'NodeVersionSupportWarning' || warning.message.startsWith('NodeVersionSupportWarning');
  if (!sdkNodeNotice) process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== 'demo') {
    process.stderr.write(
      `elastic-ci-sandbox: ${command === undefined ? 'a command is needed' : `unknown command "${command}"`}\n${USAGE}\n`,
    );
    return 2;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write(`\nelastic-ci-sandbox: ${signal}: stopping the sandbox (again to force)…\n`);
      controller.abort(new Error(`stopped by ${signal}`));
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return runDemo(rest, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readTextFile: (path) => readFileSync(path, 'utf8'),
    writeTextFile: (path, text) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    },
    bundledTracePath: bundledTracePath(),
    startSandbox: startDemoSandbox,
    sign: signBuildkiteWebhook,
    nowEpochMs: () => Date.now(),
    delay: (ms, signal) => sleep(ms, undefined, signal === undefined ? {} : { signal }),
    signal: controller.signal,
    machine: () => ({ loadAverage: loadavg()[0] ?? 0, cores: availableParallelism() }),
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Handles the sandbox may leave (an SDK keep-alive socket) must not keep a finished demo alive.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (error: unknown) => {
    process.stderr.write(
      `elastic-ci-sandbox: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  },
);
