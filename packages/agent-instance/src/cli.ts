import { resolve } from 'node:path';
import { type Command, UsageError } from './commands/command.js';
import { commands } from './commands/index.js';
import { createLogger, type Logger } from './logger.js';

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stderr: (text: string) => void;
  readonly stdout: (text: string) => void;
  /** `process` in the programs: its warnings then go through the logger, one line each (JSON with `--json`). */
  readonly warnings?: Pick<NodeJS.EventEmitter, 'listeners' | 'on' | 'off'>;
}

/**
 * The bundled AWS SDK's notice that its releases after early 2027 need Node 22: it concerns whoever upgrades the
 * pinned SDK at build time, not each run on an instance, and Node prints it on several lines.
 */
const isSdkNodeVersionNotice = (warning: Error) => warning.message.startsWith('NodeVersionSupportWarning');

function routeWarnings(emitter: NonNullable<CliIo['warnings']>, log: Logger): void {
  for (const listener of emitter.listeners('warning')) emitter.off('warning', listener as (warning: Error) => void);
  emitter.on('warning', (warning: Error) => {
    if (isSdkNodeVersionNotice(warning)) return;
    log.info(`node warning: ${warning.name}: ${warning.message.replace(/\s*\n\s*/g, ' ').trim()}`);
  });
}

const GLOBAL_OPTIONS = '[--root DIR] [--json]';

export function usage(program = 'elastic-ci-instance'): string {
  const lines = Object.keys(commands).map((name) => `  ${program} ${GLOBAL_OPTIONS} ${name} …`);
  return `usage: ${program} ${GLOBAL_OPTIONS} <command> [options]\ncommands:\n${lines.join('\n')}\n`;
}

interface GlobalOptions {
  root: string;
  json: boolean;
  help: boolean;
  rest: string[];
}

/** Global options may stand before or after the subcommand; everything else is the subcommand's. */
function parseGlobalOptions(argv: readonly string[], env: NodeJS.ProcessEnv): GlobalOptions {
  const options: GlobalOptions = { root: env.ELASTIC_CI_ROOT ?? '', json: false, help: false, rest: [] };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--json') options.json = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg === '--root' || arg.startsWith('--root=')) {
      const value = arg === '--root' ? argv[++index] : arg.slice('--root='.length);
      if (value === undefined || value === '' || value.startsWith('--')) {
        throw new UsageError('--root needs a directory');
      }
      options.root = value;
    } else options.rest.push(arg);
  }
  // An empty root means the real file system; anything else is made absolute so commands can join paths to it.
  if (options.root !== '') options.root = resolve(options.root);
  return options;
}

/**
 * The `elastic-ci-instance` program: `<command> [options]`. Resolves to the exit status: the command's, 2 for a
 * command line it cannot act on (with the usage on stderr), 1 for an unexpected error (one line, no stack).
 */
export async function runCli(argv: readonly string[], io: CliIo, program = 'elastic-ci-instance'): Promise<number> {
  let options: GlobalOptions;
  try {
    options = parseGlobalOptions(argv, io.env);
  } catch (error) {
    io.stderr(`${program}: ${(error as Error).message}\n${usage(program)}`);
    return 2;
  }
  const [name, ...args] = options.rest;
  if (options.help && name === undefined) {
    io.stdout(usage(program));
    return 0;
  }
  const load = name === undefined ? undefined : commands[name];
  if (name === undefined || load === undefined || !Object.hasOwn(commands, name)) {
    io.stderr(
      `${program}: ${name === undefined ? 'no command given' : `unknown command "${printable(name)}"`}\n${usage(program)}`,
    );
    return 2;
  }
  const log = createLogger({ json: options.json, write: io.stderr, program: `${program} ${name}` });
  // Before the command loads: the bundled SDK warns while it is being loaded.
  if (io.warnings !== undefined) routeWarnings(io.warnings, log);
  const command: Command = await load();
  if (options.help) {
    io.stdout(`usage: ${program} ${GLOBAL_OPTIONS} ${command.usage}\n${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run({ args, root: options.root, log, env: io.env });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${program} ${command.name}: ${error.message}\nusage: ${program} ${GLOBAL_OPTIONS} ${command.usage}\n`);
      return 2;
    }
    log.error(`unexpected failure: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return 1;
  }
}

/** Echo at most a short, plain word of what the user typed: an argument may be a pasted secret. */
function printable(value: string): string {
  return /^[a-z0-9-]{1,40}$/i.test(value) ? value : '…';
}
