import type { Command } from './command.js';

export const bootCommand: Command = {
  name: 'boot',
  usage: 'boot --contract FILE',
  summary: 'configure this instance from the boot contract and start the agent (run once by user data)',
  async run() {
    throw new Error('boot: not implemented yet');
  },
};
