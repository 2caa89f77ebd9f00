import { randomUUID } from 'node:crypto';

/**
 * The sandbox's bookkeeping variable: every process one sandbox starts (moto, the Lambda containers, each simulated
 * host's lifecycled, agent, hooks and Run Command scripts, and what they start in turn) carries the run's label in its
 * environment, so an operator (or a test) can find every one of them in `/proc/<pid>/environ`, e.g. after Ctrl-C.
 * It is no product setting: nothing of elastic-ci reads it, and it is not one of the template's variables.
 */
export const SANDBOX_RUN_ID_VARIABLE = 'ELASTIC_CI_SANDBOX_RUN_ID';

/** The run's label: the one in the sandbox's own environment when set (a caller names the run), else a fresh one. */
export function sandboxRunId(environment: NodeJS.ProcessEnv = process.env): string {
  const given = environment[SANDBOX_RUN_ID_VARIABLE]?.trim();
  return given === undefined || given === '' ? randomUUID() : given;
}
