/**
 * Runs `action` with everything written to stdout and stderr captured instead of printed, and returns it: how tests
 * read what Powertools' logger wrote and check that no secret is in it.
 */
export async function captureProcessOutput(action: () => Promise<unknown>): Promise<string> {
  const printed: string[] = [];
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = ((chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    await action();
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
  return printed.join('');
}
