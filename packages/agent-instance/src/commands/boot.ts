import { runBoot } from '../boot/run-boot.js';
import { parseOptions, realBootPorts } from './boot-ports.js';
import type { Command } from './command.js';

export const bootCommand: Command = {
  name: 'boot',
  usage: 'boot [--contract FILE]',
  summary:
    'configure this instance from the boot contract (default /etc/elastic-ci/boot-contract.json) and start the agent; on failure mark the instance unhealthy and power off',
  async run(context) {
    const { contractPath } = parseOptions(context);
    const outcome = await runBoot({ contractPath, root: context.root }, realBootPorts(context));
    return outcome.status === 'failed' ? 1 : 0;
  },
};
