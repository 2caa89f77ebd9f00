/**
 * Polls `probe` every 200 ms until it yields a value (not `undefined`/`false`) and returns it; gives up after
 * `boundMs` — a bound against hangs, generous because the sandbox runs real processes on a loaded machine.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  boundMs = 150_000,
): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
