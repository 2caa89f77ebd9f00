import type { PolicySummary } from '@elastic-ci/simulator';
import { formatWorldWindow } from '../replay/world-duration';
import type { InstanceBrokerTally } from './broker-log';
import type { MeasuredFigures } from './measure';
import { formatWorldClock } from './progress';
import type { RecordedRun } from './recorded-run';

/** The simulator's figures for the same cut and policy (a `PolicySummary` and where its run ended). */
export interface Prediction {
  readonly summary: PolicySummary;
  /** World second the simulation ended (its fleet at rest, or its tail cap). */
  readonly endSec: number;
}

/** What the sandbox's world does that the simulator's model does not, used to explain differences. */
export interface WorldPhysics {
  /** How often a simulated agent pings for work, world seconds (the simulator dispatches instantly). */
  readonly agentPingIntervalSec?: number;
  /** The scaler's poll interval, world seconds. */
  readonly pollIntervalSec: number;
  /** The model's boot and agent registration, world seconds. */
  readonly bootSec?: number;
  readonly registrationSec?: number;
}

/** Where the sandbox's time went, measured from the run: the facts behind the "why" of each difference. */
export interface RunDiagnostics {
  /** First job scheduled → first sample with desired capacity above zero, world seconds. */
  readonly firstScaleOutAfterSec?: number;
  /** That sample → first sample with a connected agent, world seconds (boot + agent start). */
  readonly firstAgentAfterScaleOutSec?: number;
  /** Median of (finished − started) / trace duration over the finished jobs: 1 when jobs run exactly as long. */
  readonly jobRunRatio?: number;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** Facts of the run that explain its figures (pure: from the recorded samples and jobs). */
export function diagnoseRun(run: RecordedRun): RunDiagnostics {
  const queueJobs = run.jobs.filter((job) => job.queue === run.queue);
  const scheduledTimes = queueJobs.flatMap((job) => (job.scheduledAtSec === undefined ? [] : [job.scheduledAtSec]));
  const firstScheduled = scheduledTimes.length === 0 ? undefined : Math.min(...scheduledTimes);
  const samples = [...run.samples].sort((a, b) => a.atSec - b.atSec);
  const scaleOut =
    firstScheduled === undefined
      ? undefined
      : samples.find((sample) => sample.atSec >= firstScheduled && sample.desired > 0);
  const firstAgent =
    scaleOut === undefined ? undefined : samples.find((sample) => sample.atSec >= scaleOut.atSec && sample.agents > 0);
  const ratios = queueJobs.flatMap((job) =>
    job.state === 'finished' &&
    job.startedAtSec !== undefined &&
    job.finishedAtSec !== undefined &&
    (job.traceDurationSec ?? 0) > 0
      ? [(job.finishedAtSec - job.startedAtSec) / (job.traceDurationSec as number)]
      : [],
  );
  const ratio = median(ratios);
  return {
    ...(scaleOut === undefined || firstScheduled === undefined
      ? {}
      : { firstScaleOutAfterSec: scaleOut.atSec - firstScheduled }),
    ...(firstAgent === undefined || scaleOut === undefined
      ? {}
      : { firstAgentAfterScaleOutSec: firstAgent.atSec - scaleOut.atSec }),
    ...(ratio === undefined ? {} : { jobRunRatio: Math.round(ratio * 100) / 100 }),
  };
}

function machineNote(run: RecordedRun): string {
  return run.machine === undefined
    ? ''
    : ` (load average ${run.machine.loadAverage.toFixed(1)} on ${run.machine.cores} cores)`;
}

export interface FigureComparison {
  readonly figure:
    | 'jobs run'
    | 'wait p50 (s)'
    | 'wait p95 (s)'
    | 'instance-hours'
    | 'scaling actions'
    | 'jobs interrupted';
  readonly measured: number;
  readonly predicted: number;
  readonly agrees: boolean;
  /** Why they differ (empty when they agree). */
  readonly why: string;
}

export interface DemoReport {
  readonly trace: {
    readonly name: string;
    readonly cutSec: number;
    readonly fromSec: number;
    readonly jobs: number;
    readonly queue: string;
  };
  readonly policy: string;
  readonly timeScale: number;
  readonly endSec: number;
  readonly atRest: boolean;
  readonly measured: MeasuredFigures;
  readonly predicted: {
    readonly jobs: number;
    readonly unfinishedJobs: number;
    readonly waitSec: { readonly p50: number; readonly p95: number; readonly max: number };
    readonly instanceHours: number;
    readonly scalingApiCalls: number;
    readonly apiCalls: PolicySummary['apiCalls'];
    readonly interruptedJobs: number;
    readonly endSec: number;
  };
  readonly figures: readonly FigureComparison[];
  readonly webhooks?: { readonly sent: number; readonly failed: number; readonly lastFailure?: string };
  /** The instance broker's requests (the hosts' Auto Scaling writes), when the stack deploys it. */
  readonly instanceBroker?: InstanceBrokerTally;
  readonly diagnostics: RunDiagnostics;
  readonly machine?: { readonly loadAverage: number; readonly cores: number };
  /** Exit 1 unless 0: a job killed by our own action is the one thing the demo must never show. */
  readonly interruptedJobs: number;
}

/** Two figures agree when within `absolute` of each other or within `relative` of the larger. */
function agree(measured: number, predicted: number, absolute: number, relative: number): boolean {
  const gap = Math.abs(measured - predicted);
  return gap <= absolute || gap <= relative * Math.max(Math.abs(measured), Math.abs(predicted));
}

function percentGap(measured: number, predicted: number): string {
  if (predicted === 0) return measured === 0 ? '±0%' : 'from 0';
  const percent = Math.round(((measured - predicted) / predicted) * 100);
  return `${percent >= 0 ? '+' : ''}${percent}%`;
}

function waitWhy(
  run: RecordedRun,
  physics: WorldPhysics,
  diagnostics: RunDiagnostics,
  measured: number,
  predicted: number,
  count: number,
) {
  if (measured > predicted) {
    const facts: string[] = [];
    if (diagnostics.firstScaleOutAfterSec !== undefined) {
      facts.push(
        `the real scaler first raised desired capacity ${diagnostics.firstScaleOutAfterSec.toFixed(0)} world s after the first job was scheduled (the model: at its next poll, ≤ ${physics.pollIntervalSec.toFixed(0)} s)${passGapNote(run, physics)}`,
      );
    }
    if (diagnostics.firstAgentAfterScaleOutSec !== undefined && physics.bootSec !== undefined) {
      facts.push(
        `the first agent connected ${diagnostics.firstAgentAfterScaleOutSec.toFixed(0)} world s after that (the model: boot ${physics.bootSec.toFixed(0)} s + registration ${(physics.registrationSec ?? 0).toFixed(0)} s)`,
      );
    }
    if (facts.length > 0) {
      return `longer in the sandbox: ${facts.join('; ')}; the replay ran up to ${run.replayLagSec.max.toFixed(0)} world s behind the trace; every step is a real process on this machine${machineNote(run)}, and each real second is ${run.timeScale} world seconds`;
    }
    const ping =
      physics.agentPingIntervalSec === undefined
        ? 'an agent takes a job on its next ping'
        : `an agent takes a job on its next ping (up to ${physics.agentPingIntervalSec.toFixed(0)} world s)`;
    return `longer in the sandbox: ${ping}, the real scaler sees a job at its next poll (every ${physics.pollIntervalSec.toFixed(0)} world s) or webhook, and this machine ran the world up to ${run.replayLagSec.max.toFixed(0)} world s late (mean ${run.replayLagSec.mean.toFixed(1)} s); the simulator hands a job to an idle agent the instant it is scheduled and polls exactly on time`;
  }
  return `shorter in the sandbox: this percentile of ${count} waits is set by the few jobs that found no idle agent, and which ones do depends on when instances left; the real idle exits and drains happen at polls and pings on a loaded wall clock, not at the simulator's exact event times, and the simulator draws each boot from the policy's distribution`;
}

/** How far apart the real scaler's polls came: its poll interval plus the real time a pass takes, times the speed. */
function passGapNote(run: RecordedRun, physics: WorldPhysics): string {
  const gapRealSec = run.scheduledPassGapRealSec;
  if (gapRealSec === undefined) return '';
  const gapWorldSec = gapRealSec * run.timeScale;
  if (gapWorldSec <= physics.pollIntervalSec * 1.5) return '';
  return `; its scheduled passes came a median ${gapRealSec.toFixed(2)} real s = ${gapWorldSec.toFixed(0)} world s apart, not every ${physics.pollIntervalSec.toFixed(0)} s, as each pass's own calls take real time`;
}

function instanceHoursWhy(
  run: RecordedRun,
  prediction: Prediction,
  diagnostics: RunDiagnostics,
  measured: number,
  predicted: number,
) {
  if (measured > predicted && diagnostics.jobRunRatio !== undefined && diagnostics.jobRunRatio > 1.25) {
    return `instances stay up longer in the sandbox: its jobs ran a median ${diagnostics.jobRunRatio.toFixed(1)}× their trace duration (each job start and finish runs the real instance hooks as processes on this machine${machineNote(run)}), so more instances were busy for longer; the simulator runs each job exactly its trace duration`;
  }
  if (!run.atRest && measured < predicted) {
    return `the sandbox stopped at ${formatWorldClock(run.endSec)} with instances still up, the simulator counted until its fleet was at rest at ${formatWorldClock(prediction.endSec)}`;
  }
  if (!run.atRest) {
    return `the sandbox stopped at ${formatWorldClock(run.endSec)} before its fleet was at rest, and its instances stay up longer: they leave only when the real scaler's poll, the agents' idle exit and the lifecycle hook's drain have run on a loaded machine`;
  }
  if (measured > predicted) {
    return 'instances stay up longer in the sandbox: an instance leaves only after the real scaler polls, the agent exits (idle exit or drain) and lifecycled completes the lifecycle hook, each a few real seconds that the speed-up multiplies; the simulator ends an instance the moment its model says so';
  }
  return 'fewer instance-hours in the sandbox: fewer cold boots were needed than the simulator drew (its boot times are random draws, the sandbox hosts boot in their configured time), so fewer instances were launched';
}

function scalingActionsWhy(run: RecordedRun, summary: PolicySummary, measured: number): string {
  const passes =
    run.scalerPasses === undefined
      ? ''
      : `the real scaler completed ${run.scalerPasses} passes against the model's ${summary.decisions} decisions (a pass that finds the scaling lease held, or a throttled invocation, decides nothing); `;
  return measured > summary.scalingApiCalls
    ? `more calls in the sandbox: ${passes}it decides on metrics read at its poll times, a few seconds after each change, so one step in the model can take two passes`
    : `fewer calls in the sandbox: ${passes}each pass acts on the queue as it finds it, so changes the model answers one by one (one call per job or idle instance) are answered together`;
}

/** Side by side: the sandbox's measured figures and the simulator's prediction, with why each pair differs. */
export function buildDemoReport(input: {
  run: RecordedRun;
  measured: MeasuredFigures;
  prediction: Prediction;
  physics: WorldPhysics;
  webhooks?: { sent: number; failed: number; lastFailure?: string };
  instanceBroker?: InstanceBrokerTally;
}): DemoReport {
  const { run, measured, prediction, physics } = input;
  const diagnostics = diagnoseRun(run);
  const summary = prediction.summary;
  const predictedRun = summary.jobs - summary.unfinishedJobs - summary.interruptedJobs;
  const figures: FigureComparison[] = [];
  const add = (figure: FigureComparison['figure'], m: number, p: number, agrees: boolean, why: () => string) =>
    figures.push({ figure, measured: m, predicted: p, agrees, why: agrees ? '' : `${percentGap(m, p)}: ${why()}` });

  add('jobs run', measured.jobsRun, predictedRun, measured.jobsRun === predictedRun, () =>
    measured.jobsRun < predictedRun
      ? `${predictedRun - measured.jobsRun} job(s) had not finished when the sandbox stopped at ${formatWorldClock(run.endSec)}`
      : 'the simulator left jobs unfinished (its fleet never provided capacity for them)',
  );
  // One poll interval is the resolution both sides share; below that the difference is noise.
  const waitTolerance = Math.max(5, physics.pollIntervalSec);
  add(
    'wait p50 (s)',
    measured.waitSec.p50,
    summary.waitSec.p50,
    agree(measured.waitSec.p50, summary.waitSec.p50, waitTolerance, 0.15),
    () => waitWhy(run, physics, diagnostics, measured.waitSec.p50, summary.waitSec.p50, measured.waitSec.count),
  );
  add(
    'wait p95 (s)',
    measured.waitSec.p95,
    summary.waitSec.p95,
    agree(measured.waitSec.p95, summary.waitSec.p95, waitTolerance, 0.15),
    () => waitWhy(run, physics, diagnostics, measured.waitSec.p95, summary.waitSec.p95, measured.waitSec.count),
  );
  add(
    'instance-hours',
    measured.instanceHours,
    summary.instanceHours,
    agree(measured.instanceHours, summary.instanceHours, 0.05, 0.15),
    () => instanceHoursWhy(run, prediction, diagnostics, measured.instanceHours, summary.instanceHours),
  );
  add(
    'scaling actions',
    measured.scalingActions,
    summary.scalingApiCalls,
    agree(measured.scalingActions, summary.scalingApiCalls, 2, 0.25),
    () => scalingActionsWhy(run, summary, measured.scalingActions),
  );
  add(
    'jobs interrupted',
    measured.interruptedJobs,
    summary.interruptedJobs,
    measured.interruptedJobs === 0 && summary.interruptedJobs === 0,
    () =>
      measured.interruptedJobs > 0
        ? `FAILURE: ${measured.interruptedJobs} job(s) stopped mid-run in the sandbox (see the run's logs); the guarantee is that no busy job is ever killed by our own action`
        : 'the simulator reports interrupted jobs: its model is broken (run its own tests)',
  );

  return {
    trace: {
      name: run.trace.name,
      cutSec: run.trace.cutSec,
      fromSec: run.trace.fromSec,
      jobs: run.trace.jobs,
      queue: run.queue,
    },
    policy: run.policy,
    timeScale: run.timeScale,
    endSec: run.endSec,
    atRest: run.atRest,
    measured,
    predicted: {
      jobs: summary.jobs,
      unfinishedJobs: summary.unfinishedJobs,
      waitSec: { p50: summary.waitSec.p50, p95: summary.waitSec.p95, max: summary.waitSec.max },
      instanceHours: summary.instanceHours,
      scalingApiCalls: summary.scalingApiCalls,
      apiCalls: summary.apiCalls,
      interruptedJobs: summary.interruptedJobs,
      endSec: prediction.endSec,
    },
    figures,
    ...(input.webhooks === undefined ? {} : { webhooks: input.webhooks }),
    ...(input.instanceBroker === undefined ? {} : { instanceBroker: input.instanceBroker }),
    diagnostics,
    ...(run.machine === undefined ? {} : { machine: run.machine }),
    interruptedJobs: measured.interruptedJobs,
  };
}

const FORMAT: Record<FigureComparison['figure'], (value: number) => string> = {
  'jobs run': (value) => String(value),
  'wait p50 (s)': (value) => value.toFixed(1),
  'wait p95 (s)': (value) => value.toFixed(1),
  'instance-hours': (value) => value.toFixed(3),
  'scaling actions': (value) => String(value),
  'jobs interrupted': (value) => String(value),
};

/** The human report: a measured / simulator table, then one line per figure that differs saying why. */
export function formatDemoReport(report: DemoReport): string {
  const header = [
    `elastic-ci sandbox: trace ${report.trace.name}, ${formatWorldWindow(report.trace.fromSec, report.trace.cutSec)} (${report.trace.jobs} jobs, queue "${report.trace.queue}"), policy ${report.policy}, speed ${report.timeScale}× (1 real s = ${report.timeScale} world s)`,
    `the real agent-scaler, lifecycled and stop-agent-gracefully against moto and the Buildkite API stand-in; times are WORLD seconds (real × ${report.timeScale})`,
    `run ended at ${formatWorldClock(report.endSec)}${report.atRest ? ' with the fleet at rest' : ' before the fleet was at rest'}; the simulator's at ${formatWorldClock(report.predicted.endSec)}`,
  ];
  const labelWidth = Math.max(...report.figures.map((figure) => figure.figure.length));
  const cells = report.figures.map((figure) => [
    FORMAT[figure.figure](figure.measured),
    FORMAT[figure.figure](figure.predicted),
  ]);
  const measuredWidth = Math.max('measured'.length, ...cells.map((cell) => (cell[0] as string).length));
  const predictedWidth = Math.max('simulator'.length, ...cells.map((cell) => (cell[1] as string).length));
  const row = (label: string, measured: string, predicted: string, verdict: string) =>
    `${label.padEnd(labelWidth)}  ${measured.padStart(measuredWidth)}  ${predicted.padStart(predictedWidth)}  ${verdict}`.trimEnd();
  const table = [
    row('', 'measured', 'simulator', ''),
    ...report.figures.map((figure, index) => {
      const [measured, predicted] = cells[index] as [string, string];
      const verdict =
        figure.figure === 'jobs interrupted'
          ? figure.measured === 0
            ? 'must be 0: ok'
            : 'must be 0: FAILED'
          : figure.agrees
            ? 'agrees'
            : 'differs (below)';
      return row(figure.figure, measured, predicted, verdict);
    }),
  ];
  const differences = report.figures.filter((figure) => !figure.agrees);
  const why =
    differences.length === 0
      ? ['every figure agrees with the simulator within its tolerance']
      : ['where they differ and why:', ...differences.map((figure) => `- ${figure.figure}: ${figure.why}`)];
  const extras: string[] = [];
  const byKind = Object.entries(report.measured.scalingActionsByKind)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  extras.push(
    `scaling actions in the sandbox: ${byKind || 'none'}; simulator: SetDesiredCapacity ${report.predicted.apiCalls.setDesiredCapacity}, TerminateInstanceInAutoScalingGroup ${report.predicted.apiCalls.terminateInstanceInAutoScalingGroup}, PutWarmPool ${report.predicted.apiCalls.putWarmPool}`,
  );
  if (report.webhooks !== undefined) {
    const last = report.webhooks.lastFailure === undefined ? '' : ` (last: ${report.webhooks.lastFailure})`;
    extras.push(
      `job.scheduled webhooks: ${report.webhooks.sent} delivered, ${report.webhooks.failed} not accepted${last}`,
    );
  }
  if (report.instanceBroker !== undefined) {
    const broker = report.instanceBroker;
    const actions = Object.entries(broker.byAction)
      .map(([action, count]) => `${action} ${count}`)
      .join(', ');
    extras.push(
      `instance broker (the hosts' Auto Scaling writes, each for the instance whose credentials signed it): ${broker.requests} requests for ${broker.instances} instance${broker.instances === 1 ? '' : 's'}${actions === '' ? '' : ` (${actions})`}, ${broker.refused} refused`,
    );
  }
  return [...header, '', ...table, '', ...why, ...extras].join('\n');
}
