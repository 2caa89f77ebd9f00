import { AGENT_TOKEN_DEPLOY_PARAMETER } from './control-plane/agent-token';

/** The environment variable `make deploy` takes the agent token from. */
export const AGENT_TOKEN_ENV = 'BUILDKITE_AGENT_TOKEN';

export interface CdkDeployIo {
  /** The CDK CLI's arguments as `make deploy` gives them: `deploy --app <assembly> --all [CDK_ARGS…]`. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stderr: (text: string) => void;
  /** The texts of the assembly's `*.template.json` files. */
  readonly readTemplates: (assemblyDirectory: string) => readonly string[];
  /** Runs the CDK CLI in this very process with these arguments (its exit code is its own business). */
  readonly runCdk: (args: readonly string[]) => void;
}

/** Exit code of a refused invocation, as the repository's other CLIs use for bad input. */
export const CDK_DEPLOY_BAD_INPUT = 2;

// The CDK CLI's verbose log prints its parsed arguments ("Command line arguments: …"), --parameters included.
const VERBOSE_FLAG = /^(-v+|--verbose(=.*)?)$/;

/** The assembly directory given with `--app <dir>` or `--app=<dir>`. */
function assemblyOf(argv: readonly string[]): string | undefined {
  for (const [index, arg] of argv.entries()) {
    if (arg === '--app' || arg === '-a') return argv[index + 1];
    if (arg.startsWith('--app=')) return arg.slice('--app='.length);
  }
  return undefined;
}

function declaresTokenParameter(templateText: string): boolean {
  try {
    const template = JSON.parse(templateText) as { Parameters?: Record<string, unknown> };
    return template.Parameters?.[AGENT_TOKEN_DEPLOY_PARAMETER] !== undefined;
  } catch {
    return false;
  }
}

/**
 * The CDK CLI's arguments with the agent token added as `--parameters BuildkiteAgentToken=…` when the environment
 * has one and the assembly's template asks for it. Pure. The token only ever goes into the arguments of the CLI run
 * inside this process (`process.argv` is a copy; the command line `ps` shows is fixed when the process starts), so
 * it is never on any process's command line. Refused: a verbose flag, whose log would print the token.
 */
export function cdkDeployArguments(
  argv: readonly string[],
  token: string | undefined,
  templates: readonly string[],
): { ok: true; args: readonly string[] } | { ok: false; message: string } {
  if (token === undefined || token === '' || !templates.some(declaresTokenParameter)) return { ok: true, args: argv };
  const verbose = argv.find((arg) => VERBOSE_FLAG.test(arg));
  if (verbose !== undefined) {
    return {
      ok: false,
      message: `${verbose} would make the CDK CLI log its arguments, the agent token among them; deploy without it (or unset ${AGENT_TOKEN_ENV}: an existing stack keeps the token it has)`,
    };
  }
  return { ok: true, args: [...argv, '--parameters', `${AGENT_TOKEN_DEPLOY_PARAMETER}=${token}`] };
}

/**
 * `make deploy`: runs `cdk deploy` with the agent token from `BUILDKITE_AGENT_TOKEN` when the template declares the
 * `BuildkiteAgentToken` parameter. Returns an exit code when it refuses, `undefined` once the CLI runs.
 */
export function runCdkDeployCli(io: CdkDeployIo): number | undefined {
  const assembly = assemblyOf(io.argv);
  const token = io.env[AGENT_TOKEN_ENV];
  const templates = assembly !== undefined && token ? io.readTemplates(assembly) : [];
  const result = cdkDeployArguments(io.argv, token, templates);
  if (!result.ok) {
    io.stderr(`deploy: ${result.message}\n`);
    return CDK_DEPLOY_BAD_INPUT;
  }
  io.runCdk(result.args);
  return undefined;
}
