import type { Logger } from '../logger';

/** What every subcommand gets from the CLI shell: its inputs and where output goes. */
export interface CommandContext {
  environment: NodeJS.ProcessEnv;
  /** The shell script (env), the credential answer (git-credential) or the report (doctor). */
  writeStdout(text: string): void;
  readStdin(): Promise<string>;
  logger: Logger;
  /** argv that runs this CLI again, e.g. `[process.execPath, '/opt/s3secrets/dist/cli.js']`. */
  selfCommand: readonly string[];
}
