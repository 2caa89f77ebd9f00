/**
 * Thrown by `loadStackConfig`, `parseStackConfig` and `buildkiteParametersToConfig` when a config file has problems.
 * `problems` holds one line per problem, each naming the field (or Buildkite parameter) and the fix; the message lists
 * them all, so one run shows everything to correct. Secret values (the agent token) are never part of it.
 */
export class StackConfigError extends Error {
  override name = 'StackConfigError';
  constructor(
    message: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** One error listing `problems` under a heading that names the file. */
  static of(source: string, problems: readonly string[], cause?: unknown): StackConfigError {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    return new StackConfigError(
      `${source}: invalid stack configuration (${count}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
      problems,
      cause === undefined ? undefined : { cause },
    );
  }
}
