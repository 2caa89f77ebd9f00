import { protectionDeps } from '../protection/instance-runtime.js';
import { applyProtectionEvent } from '../protection/protection.js';
import { type Command, UsageError } from './command.js';

export const reconcileProtectionCommand: Command = {
  name: 'reconcile-protection',
  usage: 'reconcile-protection',
  summary:
    'drop busy-job records whose agent is gone, then set protection and the idle-since tag to match (boot and timer)',
  async run({ args, root, env, log }) {
    if (args.length > 0) throw new UsageError('reconcile-protection takes no arguments');
    const outcome = await applyProtectionEvent({ kind: 'reconcile' }, await protectionDeps({ root, env, log }));
    // Non-zero so the timer's unit shows the failure; the next run tries again.
    return outcome.applied ? 0 : 1;
  },
};
