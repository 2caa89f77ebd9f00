import { formatDurationArg } from './duration-arg.js';
import type { Policy } from './policy.js';
import type { SimulationResult } from './simulation.js';
import { mean, percentile } from './statistics.js';
import type { Trace } from './trace.js';

export interface WaitSummary {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** One policy's figures. Seconds to 0.1 s, hours to 0.001 h, dollars to the cent. */
export interface PolicySummary {
  readonly policy: string;
  readonly description: string;
  readonly jobs: number;
  readonly unfinishedJobs: number;
  readonly waitSec: WaitSummary;
  readonly instanceHours: number;
  readonly idleInstanceHours: number;
  readonly stoppedInstanceHours: number;
  readonly cost: { readonly compute: number; readonly volume: number; readonly total: number };
  readonly peakInstances: number;
  readonly scalingApiCalls: number;
  readonly apiCalls: {
    readonly setDesiredCapacity: number;
    readonly terminateInstanceInAutoScalingGroup: number;
    readonly putWarmPool: number;
  };
  readonly decisions: number;
  readonly coldLaunches: number;
  readonly warmResumes: number;
  /** Killed by anything but a spot reclaim: must be 0. */
  readonly interruptedJobs: number;
  readonly spotReclaimedJobs: number;
  readonly spotInterruptions: number;
}

export interface PolicyRatios {
  readonly policy: string;
  /** `null` when the baseline figure is 0 and this one is not. */
  readonly waitP50: number | null;
  readonly waitP95: number | null;
  readonly waitP99: number | null;
  readonly instanceHours: number | null;
  readonly idleInstanceHours: number | null;
  readonly cost: number | null;
}

export interface ComparisonReport {
  readonly trace: {
    readonly name: string;
    readonly description: string;
    readonly jobs: number;
    readonly spanSec: number;
    readonly queue: string;
  };
  readonly seed: number;
  /**
   * The measured window: jobs created from `fromSec` on (seconds since the trace start) are counted; earlier jobs ran
   * and taught the policy. Instance-hours, cost, peak, launches and API calls count from `fromSec` too.
   */
  readonly window: { readonly fromSec: number; readonly jobs: number };
  readonly baseline: string;
  readonly policies: readonly PolicySummary[];
  readonly ratios: readonly PolicyRatios[];
}

const round = (value: number, digits: number): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export function summarize(policy: Policy, result: SimulationResult): PolicySummary {
  const waits = result.waitsSec;
  const compute = result.computeCost;
  const volume = result.volumeCost;
  return {
    policy: policy.name,
    description: policy.description,
    jobs: result.measuredJobs,
    unfinishedJobs: result.unfinishedJobs,
    waitSec: {
      p50: round(percentile(waits, 50), 1),
      p95: round(percentile(waits, 95), 1),
      p99: round(percentile(waits, 99), 1),
      max: round(percentile(waits, 100), 1),
      mean: round(mean(waits), 1),
    },
    instanceHours: round(result.instanceHours, 3),
    idleInstanceHours: round(result.idleInstanceHours, 3),
    stoppedInstanceHours: round(result.stoppedInstanceHours, 3),
    cost: { compute: round(compute, 2), volume: round(volume, 2), total: round(compute + volume, 2) },
    peakInstances: result.peakInstances,
    scalingApiCalls: result.setDesiredCapacityCalls + result.terminateInstanceCalls + result.putWarmPoolCalls,
    apiCalls: {
      setDesiredCapacity: result.setDesiredCapacityCalls,
      terminateInstanceInAutoScalingGroup: result.terminateInstanceCalls,
      putWarmPool: result.putWarmPoolCalls,
    },
    decisions: result.decisions,
    coldLaunches: result.coldLaunches,
    warmResumes: result.warmResumes,
    interruptedJobs: result.interruptedJobs,
    spotReclaimedJobs: result.spotReclaimedJobs,
    spotInterruptions: result.spotInterruptions,
  };
}

function ratio(value: number, baseline: number): number | null {
  if (baseline === 0) return value === 0 ? 1 : null;
  return round(value / baseline, 3);
}

export function buildReport(
  trace: Trace,
  queue: string,
  seed: number,
  summaries: readonly PolicySummary[],
  baselineName?: string,
  measureFromSec?: number,
): ComparisonReport {
  const baseline = summaries.find((summary) => summary.policy === baselineName) ?? (summaries[0] as PolicySummary);
  const fromSec = measureFromSec ?? 0;
  return {
    trace: {
      name: trace.name,
      description: trace.description,
      jobs: trace.jobs.filter((job) => job.queue === queue).length,
      spanSec: trace.spanSec,
      queue,
    },
    seed,
    window: {
      fromSec,
      jobs: trace.jobs.filter((job) => job.queue === queue && job.createdAtSec >= fromSec).length,
    },
    baseline: baseline.policy,
    policies: summaries,
    ratios: summaries.map((summary) => ({
      policy: summary.policy,
      waitP50: ratio(summary.waitSec.p50, baseline.waitSec.p50),
      waitP95: ratio(summary.waitSec.p95, baseline.waitSec.p95),
      waitP99: ratio(summary.waitSec.p99, baseline.waitSec.p99),
      instanceHours: ratio(summary.instanceHours, baseline.instanceHours),
      idleInstanceHours: ratio(summary.idleInstanceHours, baseline.idleInstanceHours),
      cost: ratio(summary.cost.total, baseline.cost.total),
    })),
  };
}

function formatSpan(spanSec: number): string {
  if (spanSec >= 2 * 86_400) return `${round(spanSec / 86_400, 1)} days`;
  return `${round(spanSec / 3600, 1)} h`;
}

const fixed = (value: number, digits: number): string => value.toFixed(digits);
const formatRatio = (value: number | null): string => (value === null ? '∞' : `${value.toFixed(2)}×`);

/** The human table: one column per policy, side by side, ratios against the baseline at the bottom. */
export function formatReport(report: ComparisonReport): string {
  const { policies, ratios } = report;
  const rows: [string, (summary: PolicySummary, index: number) => string][] = [
    ['jobs', (summary) => String(summary.jobs)],
    ['wait p50 (s)', (summary) => fixed(summary.waitSec.p50, 1)],
    ['wait p95 (s)', (summary) => fixed(summary.waitSec.p95, 1)],
    ['wait p99 (s)', (summary) => fixed(summary.waitSec.p99, 1)],
    ['wait max (s)', (summary) => fixed(summary.waitSec.max, 1)],
    ['instance-hours', (summary) => fixed(summary.instanceHours, 2)],
    ['idle instance-hours', (summary) => fixed(summary.idleInstanceHours, 2)],
    ['stopped (warm pool) hours', (summary) => fixed(summary.stoppedInstanceHours, 2)],
    ['cost ($, compute + EBS)', (summary) => fixed(summary.cost.total, 2)],
    ['peak instances', (summary) => String(summary.peakInstances)],
    ['cold launches / warm resumes', (summary) => `${summary.coldLaunches} / ${summary.warmResumes}`],
    ['scaling API calls', (summary) => String(summary.scalingApiCalls)],
    ['jobs interrupted', (summary) => String(summary.interruptedJobs)],
    ['jobs hit by spot reclaims', (summary) => String(summary.spotReclaimedJobs)],
    [`wait p95 vs ${report.baseline}`, (_summary, index) => formatRatio(ratios[index]?.waitP95 ?? null)],
    [`instance-hours vs ${report.baseline}`, (_summary, index) => formatRatio(ratios[index]?.instanceHours ?? null)],
    [`cost vs ${report.baseline}`, (_summary, index) => formatRatio(ratios[index]?.cost ?? null)],
  ];
  if (policies.some((summary) => summary.unfinishedJobs > 0)) {
    rows.splice(1, 0, ['jobs never finished', (summary) => String(summary.unfinishedJobs)]);
  }
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const cells = rows.map(([, cell]) => policies.map((summary, index) => cell(summary, index)));
  const widths = policies.map((summary, column) =>
    Math.max(summary.policy.length, ...cells.map((row) => (row[column] as string).length)),
  );
  const line = (label: string, values: readonly string[]) =>
    `${label.padEnd(labelWidth)}  ${values.map((value, column) => value.padStart(widths[column] as number)).join('  ')}`;
  const header = `trace ${report.trace.name}: ${report.trace.jobs} jobs over ${formatSpan(report.trace.spanSec)}, queue "${report.trace.queue}", seed ${report.seed}`;
  const window =
    report.window.fromSec > 0
      ? [
          `measured from ${formatDurationArg(report.window.fromSec)}: the ${report.window.jobs} jobs created from then on; earlier jobs ran and taught the policies but are not counted, nor is anything billed before`,
        ]
      : [];
  return [
    header,
    ...window,
    '',
    line(
      '',
      policies.map((summary) => summary.policy),
    ),
    ...rows.map(([label], index) => line(label, cells[index] as string[])),
  ].join('\n');
}
