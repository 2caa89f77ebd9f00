import type { Logger } from '../logger';

/** What every subcommand gets from the CLI shell: its inputs and where output goes. */
export interface CommandContext {
  environment: NodeJS.ProcessEnv;
  /** The shell script (env), the credential answer (git-credential) or the report (doctor). */
  writeStdout(text: string): void;
  /** Standard input as UTF-8 text (empty when it is a terminal): git's credential request. */
  readStdin(): Promise<string>;
  /** Standard input as it is, byte for byte, until its end: a secret given to `put` as `-`. */
  readStdinBytes(): Promise<Uint8Array>;
  /** Whether standard input is a terminal (nothing piped in). */
  stdinIsTerminal: boolean;
  logger: Logger;
  /** argv that runs this CLI again, e.g. `[process.execPath, '/opt/s3secrets/dist/cli.js']`. */
  selfCommand: readonly string[];
}
