import { join } from 'node:path';
import { bootContractSchema } from '../boot-contract.js';
import {
  BuildPermissionsRefusedError,
  checkCheckoutArgument,
  fixBuildPermissions,
} from '../build-permissions/fix-build-permissions.js';
import { readBootContract } from '../protection/instance-runtime.js';
import { spawnCommandRunner } from '../terminate/command-runner.js';
import { type Command, UsageError } from './command.js';

const USAGE = 'fix-build-permissions CHECKOUT_DIR';

export const fixBuildPermissionsCommand: Command = {
  name: 'fix-build-permissions',
  usage: USAGE,
  summary:
    "give one job's checkout (inside the build path, symlinks resolved) back to buildkite-agent: the pre-exit hook runs it with sudo when docker.userNamespaceRemap is off",
  async run({ args, root, env, log }) {
    if (args.length !== 1 || (args[0] as string).startsWith('-'))
      throw new UsageError('needs exactly one checkout directory');
    // Run through sudo, the caller must not choose the root the build path is read under (it would choose what is
    // "inside"); sudo's env_reset already drops ELASTIC_CI_ROOT, --root is refused here.
    if (root !== '' && env.SUDO_UID !== undefined) throw new UsageError('--root is not allowed through sudo');
    const checkout = args[0] as string;
    try {
      checkCheckoutArgument(checkout);
      const contract =
        (await readBootContract(root, log)) ??
        bootContractSchema.parse({
          version: 1,
          stack: { name: 'unknown', region: 'us-east-1', version: '0' },
          agent: { token: { kind: 'ssm-parameter', name: '/unknown' } },
        });
      const at = (path: string) => join(root || '/', path);
      return await fixBuildPermissions(
        { buildsDir: at(contract.paths.builds), checkout: at(checkout) },
        { runner: spawnCommandRunner, log },
      );
    } catch (error) {
      if (error instanceof BuildPermissionsRefusedError) {
        log.error(`refused: ${error.message}`);
        return 2;
      }
      throw error;
    }
  },
};
