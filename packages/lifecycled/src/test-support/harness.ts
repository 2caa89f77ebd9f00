import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as z from 'zod';

/** A fresh temporary directory per test. */
export const temporaryDirectory = () => mkdtempSync(join(tmpdir(), 'lifecycled-test-'));

/** Collects what is written to a stream; `entries()` parses JSON log lines (other lines are kept as text). */
export function captureStream() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return {
    stream,
    text: () => text,
    entries: () =>
      text
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => z.record(z.string(), z.unknown()).parse(JSON.parse(line))),
  };
}

/** Writes an executable Node script that appends its arguments and selected env as JSON lines, then exits `exitCode`. */
export function recordingHandler(directory: string, options: { exitCode?: number; sleepMs?: number } = {}) {
  const path = join(directory, 'recording-handler.mjs');
  const log = join(directory, 'handler-calls.jsonl');
  writeFileSync(
    path,
    `#!${process.execPath}
import { appendFileSync } from 'node:fs';
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('LIFECYCLED_')));
appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args: process.argv.slice(2), env, at: Date.now() }) + '\\n');
console.log('handler saw ' + process.argv.slice(2).join(' '));
setTimeout(() => process.exit(${options.exitCode ?? 0}), ${options.sleepMs ?? 0});
`,
  );
  chmodSync(path, 0o755);
  return { path, log };
}
