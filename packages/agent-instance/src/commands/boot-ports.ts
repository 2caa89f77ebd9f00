import { createInstanceAws } from '../aws/aws-ports.js';
import { systemClock } from '../aws/clock.js';
import { createImdsClient, imdsEndpointFromEnv } from '../aws/imds-client.js';
import { commandDockerImages } from '../boot/image-pre-pull.js';
import { httpsGet, nodeCommandRunner, nodeFileSystem } from '../boot/node-ports.js';
import { instancePaths } from '../boot/paths.js';
import type { BootPorts } from '../boot/ports.js';
import { type CommandContext, UsageError } from './command.js';

/** The real ports: this machine's files and programs, IMDS, AWS. */
export function realBootPorts(context: CommandContext): BootPorts {
  return {
    fs: nodeFileSystem,
    commands: nodeCommandRunner,
    docker: commandDockerImages(nodeCommandRunner),
    metadata: createImdsClient({ endpoint: imdsEndpointFromEnv(context.env), clock: systemClock }),
    aws: (region, options) => createInstanceAws(region, undefined, options),
    httpsGet,
    clock: systemClock,
    log: context.log,
  };
}

/** `--contract FILE` (default: the path user data writes, under the root). */
export function parseOptions(
  context: CommandContext,
  allowed: { pollInterval?: boolean } = {},
): { contractPath: string; pollIntervalMs?: number } {
  let contractPath = instancePaths(context.root).at('/etc/elastic-ci/boot-contract.json');
  let pollIntervalMs: number | undefined;
  const args = [...context.args];
  while (args.length > 0) {
    const arg = args.shift() as string;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg];
    const value = inline ?? args.shift();
    if (flag === '--contract') {
      if (value === undefined || value === '') throw new UsageError('--contract needs a file');
      contractPath = value;
    } else if (flag === '--poll-interval-ms' && allowed.pollInterval) {
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < 10 || parsed > 60_000) {
        throw new UsageError('--poll-interval-ms needs an integer from 10 to 60000');
      }
      pollIntervalMs = parsed;
    } else {
      throw new UsageError(/^--[a-z-]{1,40}$/.test(flag ?? '') ? `unknown option ${flag}` : 'unexpected argument');
    }
  }
  return pollIntervalMs === undefined ? { contractPath } : { contractPath, pollIntervalMs };
}
