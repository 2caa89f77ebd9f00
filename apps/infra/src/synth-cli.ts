import { loadStackConfig } from './config/load-stack-config';
import { StackConfigError } from './config/stack-config-error';
import { ElasticCiStackOptionsError } from './elastic-ci-stack';
import { synthesizeApp } from './synth-app';

export interface SynthCliIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Where assemblies go unless `ELASTIC_CI_OUT_ROOT` says otherwise. */
  readonly defaultOutRoot: string;
}

/** Exit codes: 0 the template is written, 2 the config (or the options it gives) is wrong, 1 anything else. */
export const SYNTH_EXIT = { ok: 0, failed: 1, badConfig: 2 } as const;

/**
 * `make synth [CONFIG=…]`: the config path is the first argument (or `CONFIG`). On success the template's path is
 * the last line on stdout and the exit code 0; a bad config prints one message listing every problem on stderr and
 * exits 2 (as the repository's other CLIs do for bad input), so scripts can tell it from a failure of ours (1, with
 * the stack trace). Either way no template is left behind.
 */
export async function runSynthCli(io: SynthCliIo): Promise<number> {
  const configPath = io.argv[0] || io.env.CONFIG || undefined;
  try {
    const result = await synthesizeApp({
      configPath,
      outRoot: io.env.ELASTIC_CI_OUT_ROOT || io.defaultOutRoot,
      loadConfig: loadStackConfig,
    });
    io.stdout(`${result.templatePath}\n`);
    return SYNTH_EXIT.ok;
  } catch (error) {
    // Option problems are the user's to fix: their message alone, which lists every one. Anything else is ours.
    if (error instanceof ElasticCiStackOptionsError || error instanceof StackConfigError) {
      io.stderr(`synth: ${error.message}\n`);
      return SYNTH_EXIT.badConfig;
    }
    io.stderr(`synth: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return SYNTH_EXIT.failed;
  }
}
