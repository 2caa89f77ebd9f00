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

/**
 * `make synth [CONFIG=…]`: the config path is the first argument (or `CONFIG`). On success the template's path is
 * the last line on stdout and the exit code 0; on any problem one message on stderr, exit code 1, no template.
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
    return 0;
  } catch (error) {
    // Option problems are the user's to fix: their message alone, which lists every one. Anything else is ours.
    const known = error instanceof ElasticCiStackOptionsError || error instanceof StackConfigError;
    const detail = error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error);
    io.stderr(`synth: ${detail}\n`);
    return 1;
  }
}
