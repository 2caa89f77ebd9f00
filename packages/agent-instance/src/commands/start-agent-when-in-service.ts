import { runStartAgentWhenInService } from '../boot/start-agent-when-in-service.js';
import { parseOptions, realBootPorts } from './boot-ports.js';
import type { Command } from './command.js';

export const startAgentWhenInServiceCommand: Command = {
  name: 'start-agent-when-in-service',
  usage: 'start-agent-when-in-service [--contract FILE] [--poll-interval-ms N]',
  summary: 'wait until the instance is InService (leaves the warm pool), then start the agent',
  async run(context) {
    const options = parseOptions(context, { pollInterval: true });
    const outcome = await runStartAgentWhenInService({ ...options, root: context.root }, realBootPorts(context));
    return outcome.status === 'failed' ? 1 : 0;
  },
};
