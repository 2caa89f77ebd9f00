import type { Command } from './command.js';

export const startAgentWhenInServiceCommand: Command = {
  name: 'start-agent-when-in-service',
  usage: 'start-agent-when-in-service',
  summary: 'wait until the instance leaves the warm pool (InService), then start the agent',
  async run() {
    throw new Error('start-agent-when-in-service: not implemented yet');
  },
};
