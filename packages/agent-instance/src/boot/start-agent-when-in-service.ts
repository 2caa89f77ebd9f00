import type { BootContract } from '../boot-contract.js';
import { protectionPaths } from '../protection/protection.js';
import { instancePaths } from './paths.js';
import type { BootPorts } from './ports.js';
import {
  AGENT_SERVICE,
  BootStepError,
  completeLaunchHook,
  everyBootStepsOncePerBoot,
  failClosed,
  readContract,
} from './run-boot.js';

export interface WaitOptions {
  readonly contractPath: string;
  readonly root: string;
  /** Between two reads of the target lifecycle state (one cheap local HTTP call each). @default 2000 */
  readonly pollIntervalMs?: number;
  /** Reads that may fail in a row before the instance is given up (marked unhealthy, powered off). @default 30 */
  readonly maxConsecutiveFailures?: number;
}

export type WaitOutcome =
  | { readonly status: 'not-booted' }
  | { readonly status: 'agent-started'; readonly lifecycleState: string | undefined }
  | { readonly status: 'terminating'; readonly lifecycleState: string }
  | { readonly status: 'failed'; readonly error: BootStepError };

const TERMINATING = new Set(['Terminated', 'Warmed:Terminated']);

/**
 * Run by `elastic-ci-start-agent.service` on every start of the instance once the first boot completed: re-does the
 * every-boot steps (instance store, docker daemon config), then polls the
 * target lifecycle state and starts the agent as soon as it is `InService` (or the instance is in no group). A
 * terminating instance gets no agent (lifecycled handles the termination). IMDS failing for too long fails closed.
 */
export async function runStartAgentWhenInService(options: WaitOptions, ports: BootPorts): Promise<WaitOutcome> {
  const paths = instancePaths(options.root);
  if ((await ports.fs.readText(paths.bootMarker)) === undefined) {
    if ((await ports.fs.readText(paths.bootStartedMarker)) !== undefined) {
      // The machine restarted in the middle of its first boot (user data does not run again): it can never be
      // trusted to be configured, so it is replaced (Buildkite's stack does the same).
      const failure = new BootStepError(
        'first boot interrupted',
        'the instance restarted before its first boot completed',
        'nothing to fix here: the group replaces the instance',
      );
      const instanceId = await ports.metadata.instanceId().catch(() => undefined);
      await failClosed(failure, instanceId, undefined, ports);
      return { status: 'failed', error: failure };
    }
    ports.log.info('the first boot has not completed: elastic-ci-boot starts the agent itself');
    return { status: 'not-booted' };
  }
  const interval = options.pollIntervalMs ?? 2000;
  const maxFailures = options.maxConsecutiveFailures ?? 30;
  let instanceId: string | undefined;
  let contract: BootContract | undefined;
  try {
    instanceId = await ports.metadata.instanceId().catch((cause: unknown) => {
      throw new BootStepError('instance metadata', String((cause as Error).message ?? cause), undefined, { cause });
    });
    contract = await readContract(ports, options.contractPath);
    // After a reboot or a warm-pool resume the instance store is empty and unmounted: redo it (and the docker config
    // that may point there) before the agent can start; skipped on the boot that already did them.
    await everyBootStepsOncePerBoot(contract, ports, paths);
    let failures = 0;
    let lastState: string | undefined;
    for (;;) {
      let state: string | undefined;
      try {
        state = await ports.metadata.targetLifecycleState();
        failures = 0;
      } catch (cause) {
        failures++;
        if (failures >= maxFailures) {
          throw new BootStepError(
            'wait for InService',
            `autoscaling/target-lifecycle-state unreadable ${failures} times in a row: ${(cause as Error).message}`,
            'the instance metadata service must answer IMDSv2',
            { cause },
          );
        }
        await ports.clock.sleep(interval);
        continue;
      }
      if (state !== lastState)
        ports.log.info('target lifecycle state', { lifecycleState: state ?? 'none (not in a group)' });
      lastState = state;
      if (state === undefined || state === 'InService') {
        if (state === 'InService' && instanceId !== undefined) {
          // Leaving the warm pool runs the launch hook again (Pending:Wait): the instance goes InService only once it
          // is completed; a plain reboot has no action pending.
          const id = instanceId;
          const loaded = contract;
          await completeLaunchHook(loaded, id, 'CONTINUE', ports).catch((cause: unknown) => {
            throw new BootStepError(
              'launch lifecycle hook',
              (cause as Error).message,
              'the instance role needs autoscaling:CompleteLifecycleAction on its group',
              { cause },
            );
          });
        }
        // Idle since before the warm pool (kept across a stop, a hibernation or a Warmed:Running wait): the scaler
        // would take the instance that has just come InService for demand for its longest-idle one. The agent's
        // start (its ExecStartPost reconcile) tags it idle from now.
        await ports.fs.remove(protectionPaths(options.root).idleSince).catch((cause: unknown) => {
          throw new BootStepError('start agent', (cause as Error).message, undefined, { cause });
        });
        await ports.commands.run('systemctl', ['start', AGENT_SERVICE]).catch((cause: unknown) => {
          throw new BootStepError('start agent', (cause as Error).message, undefined, { cause });
        });
        ports.log.info('agent started', { lifecycleState: state ?? 'none' });
        return { status: 'agent-started', lifecycleState: state };
      }
      if (TERMINATING.has(state)) return { status: 'terminating', lifecycleState: state };
      await ports.clock.sleep(interval);
    }
  } catch (error) {
    const failure =
      error instanceof BootStepError
        ? error
        : new BootStepError('wait for InService', (error as Error).message, undefined, { cause: error });
    await failClosed(failure, instanceId, contract, ports);
    return { status: 'failed', error: failure };
  }
}
