import { ELASTIC_CI_POLICY } from '@elastic-ci/scaler-core';
import { mergePolicyInput, type PolicyInput } from './policy.js';

/**
 * Buildkite's Elastic CI Stack as shipped: agent-scaler 1.12.0 with the stack's defaults. Scale-in is disabled, so
 * instances leave only when all their agents were idle for ScaleInIdlePeriod (600 s) and they terminate themselves.
 */
const buildkiteDefault: PolicyInput = {
  name: 'buildkite-default',
  description:
    'Elastic CI Stack defaults: MinSize 0, InstanceBuffer 0, ScaleOutFactor 1, ScaleOutCooldownPeriod 300 s, DisableScaleIn, ScaleInIdlePeriod 600 s, 10 s polls in a 1-minute schedule',
  scaler: {
    instanceBuffer: 0,
    scaleOutFactor: 1,
    scaleOutCooldownSec: 300,
    disableScaleIn: true,
    availabilityThreshold: 0.5,
  },
  fleet: { minSize: 0, idleTimeoutSec: 600 },
  control: { scheduleSec: 60, pollIntervalSec: 10, invocationTimeoutSec: 50, webhook: null },
};

/** The same stack with the scale-out cooldown removed, so the comparison is not against a straw man. */
const buildkiteTuned: PolicyInput = {
  ...buildkiteDefault,
  name: 'buildkite-tuned',
  description: 'buildkite-default without the scale-out cooldown (ScaleOutCooldownPeriod 0)',
  scaler: { ...buildkiteDefault.scaler, scaleOutCooldownSec: 0 },
};

/**
 * The two settings any Buildkite user can change on top of `buildkite-tuned`, alone and together, so elastic-ci is
 * compared with every configuration a user could pick. Each is what a policy file
 * `{"extends": "buildkite-tuned", …}` with the same override gives.
 */
const buildkiteTunedVariant = (name: string, description: string, override: Record<string, unknown>): PolicyInput =>
  ({
    ...(mergePolicyInput(buildkiteTuned, override) as PolicyInput),
    name,
    description,
    extends: 'buildkite-tuned',
  }) as PolicyInput;

/**
 * ScaleOutForWaitingJobs (the scaler's INCLUDE_WAITING): when more jobs wait behind a wait step than run, the waiting
 * ones are counted instead of the running ones (`scheduled + max(waiting, running)`), so the fleet boots for a
 * fan-out while its build step still runs.
 */
const buildkiteTunedIncludeWaiting = buildkiteTunedVariant(
  'buildkite-tuned-include-waiting',
  'buildkite-tuned with ScaleOutForWaitingJobs: scheduled + max(waiting, running) agents, booting for jobs behind a wait step',
  { scaler: { includeWaiting: true } },
);

/** ScaleInIdlePeriod 300 s: idle instances terminate themselves after 5 minutes instead of 10. */
const buildkiteTunedIdle300 = buildkiteTunedVariant(
  'buildkite-tuned-idle-300',
  'buildkite-tuned with ScaleInIdlePeriod 300 s',
  { fleet: { idleTimeoutSec: 300 } },
);

const buildkiteTunedIncludeWaitingIdle300 = buildkiteTunedVariant(
  'buildkite-tuned-include-waiting-idle-300',
  'buildkite-tuned with ScaleOutForWaitingJobs and ScaleInIdlePeriod 300 s',
  { scaler: { includeWaiting: true }, fleet: { idleTimeoutSec: 300 } },
);

/**
 * Our recommended defaults. Wait is dominated by cold boots and cost by idle instances, so:
 * - a warm pool whose MinSize only the scaler sets (no fixed prepared capacity: stopped instances pay their volume),
 *   with reuse on scale-in: a job that finds no idle agent waits a ~25 s resume instead of a ~110 s boot, and
 *   instances leaving the group are stopped back into the pool instead of terminated;
 * - scaler-core's forecast sizes that pool a boot ahead of the demand seen at this time yesterday or a week ago (only
 *   what was seen twice while yesterday's load has not been recurring), and for the peak of the last break-even
 *   (given back gradually) plus two agents, and shrinks it when nothing is expected;
 * - scaler-core's dependency-aware capacity: jobs behind a wait step that the agents of the running step will not
 *   take get instances prepared in the pool while the step runs, resumed a resume before the 70th percentile of the
 *   learned waits: a cohort released earlier waits at most a resume for its prepared instance, while capacity
 *   resumed for the 10th percentile idled through most cohorts' steps (1.6× the idle instance-hours on weekday-team);
 * - a `job.scheduled` webhook: the scaler reacts in seconds instead of at the next poll;
 * - scaler-driven, dispatch-aware scale-in: Buildkite hands jobs to the most recently busy agent, so the
 *   longest-idle instances are the surplus; they are drained into the pool after 45 s idle (a resume's compute is
 *   cheaper than idling longer), never a busy one;
 *   a surplus pool instance stays stopped 10 min (about its break-even) before it is terminated;
 * - the agents' own idle exit stays as a backstop (30 min) should the scaler stop running.
 */
const elasticCi: PolicyInput = {
  name: 'elastic-ci',
  description:
    'warm pool sized by the forecast and the waiting jobs (reuse on scale-in), capacity for waiting jobs just in time, job.scheduled webhook, no cooldown, longest-idle-first graceful drain after 45 s idle',
  // Defined once in scaler-core: the infra app deploys the same object (`scalingProfile: 'elastic-ci'`). The scaler
  // sets the pool's MinSize (PutWarmPool), as the agent-scaler Lambda does in production.
  scaler: ELASTIC_CI_POLICY,
  fleet: {
    minSize: 0,
    idleTimeoutSec: 1800,
    // The group's own warm pool (AWS mechanics): no fixed prepared capacity (the scaler's MinSize is the pool),
    // reuse on scale-in, surplus retention about a stopped instance's break-even (a boot's compute in volume).
    warmPool: { maxPreparedCapacity: 0, reuseOnScaleIn: true, surplusRetentionSec: 600 },
  },
  control: { scheduleSec: 60, pollIntervalSec: 10, invocationTimeoutSec: 50, webhook: { latencySec: 2 } },
};

export const PRESETS: Readonly<Record<string, PolicyInput>> = {
  'buildkite-default': buildkiteDefault,
  'buildkite-tuned': buildkiteTuned,
  'buildkite-tuned-include-waiting': buildkiteTunedIncludeWaiting,
  'buildkite-tuned-idle-300': buildkiteTunedIdle300,
  'buildkite-tuned-include-waiting-idle-300': buildkiteTunedIncludeWaitingIdle300,
  'elastic-ci': elasticCi,
};

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

/** Every Buildkite configuration a user could pick (issue 15's targets): `buildkite-tuned` first, then its variants. */
export const BUILDKITE_VARIANT_NAMES: readonly string[] = [
  buildkiteTuned.name,
  buildkiteTunedIncludeWaiting.name,
  buildkiteTunedIdle300.name,
  buildkiteTunedIncludeWaitingIdle300.name,
] as string[];

/** How tables name the Buildkite variants where the full preset names do not fit. */
export const BUILDKITE_VARIANT_SHORT_NAMES: Readonly<Record<string, string>> = {
  [buildkiteTuned.name]: 'tuned',
  [buildkiteTunedIncludeWaiting.name]: 'include-waiting',
  [buildkiteTunedIdle300.name]: 'idle-300',
  [buildkiteTunedIncludeWaitingIdle300.name]: 'both',
};
