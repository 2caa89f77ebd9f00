import type { Logger } from '../logger.js';

/** What every subcommand gets from the CLI shell: parsed options, the scratch root, a logger and the environment. */
export interface CommandContext {
  /** Arguments after the subcommand name, global options removed. */
  readonly args: readonly string[];
  /** Prefix for every absolute path the command reads or writes ('' on an instance, a scratch dir in tests). */
  readonly root: string;
  readonly log: Logger;
  readonly env: NodeJS.ProcessEnv;
}

export interface Command {
  readonly name: string;
  /** One line: `<name> [options]`, shown in the usage text. */
  readonly usage: string;
  readonly summary: string;
  /** Resolves to the process exit status. */
  run(context: CommandContext): Promise<number>;
}

/** A command line the command cannot act on: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
