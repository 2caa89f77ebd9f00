import { isDeepStrictEqual } from 'node:util';
import { type CompareOptions, comparePolicies, type PhysicsOverrides } from './compare.js';
import { mergePolicyInput, type Policy, parsePolicy } from './policy.js';
import { BUILDKITE_VARIANT_NAMES, BUILDKITE_VARIANT_SHORT_NAMES, PRESETS } from './presets.js';

/**
 * What a team trades on its own workload: the `elastic-ci` preset is one point between job wait and cost, chosen on
 * the benchmark's workloads. The three settings that move it most (when capacity for jobs behind a step comes, whether
 * it waits stopped in the warm pool, how long an idle agent is kept) are swept over a fixed grid, each setting
 * simulated on the same trace, seed and physics, and the settings no other setting beats on both figures are the
 * frontier — with the Buildkite variants beside them, so a team sees what matching any of them would cost.
 */

/**
 * The scaler-core settings a frontier point changes, as a policy file's `scaler` takes them. The stack takes
 * `warmPool.prepareForWaitingJobs` as an option of its own (`scaling.warmPool`) and the rest under `scaling.policies`.
 */
export interface FrontierSettings {
  readonly dependencies: { readonly releaseQuantile: number; readonly minSamples?: number };
  readonly warmPool: { readonly prepareForWaitingJobs: boolean };
  readonly scaleIn: { readonly minIdleSec: number };
}

/**
 * The values swept, every combination; and release quantile 0 once more with `minSamples: 1` (capacity a lead before
 * the earliest learned release, from the first cohort on: the README's "launch for them" setting).
 */
export const FRONTIER_GRID = {
  releaseQuantile: [0, 0.1, 0.3, 0.5, 0.7],
  prepareForWaitingJobs: [true, false],
  minIdleSec: [10, 45, 120],
} as const;

/** Every setting of the grid, in a fixed order (the preset's among them). */
export function frontierSettings(): FrontierSettings[] {
  const settings: FrontierSettings[] = [];
  const dependencyChoices = [
    ...FRONTIER_GRID.releaseQuantile.map((releaseQuantile) => ({ releaseQuantile })),
    { releaseQuantile: 0, minSamples: 1 },
  ];
  for (const dependencies of dependencyChoices) {
    for (const prepareForWaitingJobs of FRONTIER_GRID.prepareForWaitingJobs) {
      for (const minIdleSec of FRONTIER_GRID.minIdleSec) {
        settings.push({ dependencies, warmPool: { prepareForWaitingJobs }, scaleIn: { minIdleSec } });
      }
    }
  }
  return settings;
}

/** The `elastic-ci` preset with `settings` merged in, as a policy file `{"extends": "elastic-ci", "scaler": …}` gives it. */
export function policyWith(settings: FrontierSettings, name: string): Policy {
  return parsePolicy(mergePolicyInput(PRESETS['elastic-ci'], { name, scaler: settings }), name);
}

export interface FrontierFigures {
  readonly waitP95Sec: number;
  readonly cost: number;
}

export interface FrontierPoint extends FrontierFigures {
  readonly settings: FrontierSettings;
  /** The settings leave the preset as it is. */
  readonly preset: boolean;
  readonly instanceHours: number;
  readonly interruptedJobs: number;
  /** Buildkite variants this point matches or beats on both p95 wait and cost. */
  readonly beats: readonly string[];
  readonly onFrontier: boolean;
}

export interface VariantFigures extends FrontierFigures {
  readonly policy: string;
}

export interface FrontierResult {
  readonly variants: readonly VariantFigures[];
  /** Every setting simulated, in grid order. */
  readonly points: readonly FrontierPoint[];
  /** The points no other point beats on both figures, cheapest first (p95 falling). */
  readonly frontier: readonly FrontierPoint[];
}

/**
 * The points no other point beats: sorted by cost (then p95, then input order), each kept only if its p95 is below
 * every cheaper point's. Of points with equal figures the first given is kept.
 */
export function paretoFrontier<T extends FrontierFigures>(points: readonly T[]): T[] {
  const order = points
    .map((point, index) => ({ point, index }))
    .sort((a, b) => a.point.cost - b.point.cost || a.point.waitP95Sec - b.point.waitP95Sec || a.index - b.index);
  const frontier: T[] = [];
  let bestWait = Number.POSITIVE_INFINITY;
  for (const { point } of order) {
    if (point.waitP95Sec < bestWait) {
      frontier.push(point);
      bestWait = point.waitP95Sec;
    }
  }
  return frontier;
}

/** Whether `point` is at least as good as `other` on both figures. */
export function matchesOrBeats(point: FrontierFigures, other: FrontierFigures): boolean {
  return point.waitP95Sec <= other.waitP95Sec && point.cost <= other.cost;
}

export type FrontierOptions = Omit<CompareOptions, 'policies'>;

/** Simulates the Buildkite variants and every setting of the grid on the same trace, seed and physics. */
export function runFrontier(options: FrontierOptions): FrontierResult {
  const variants = comparePolicies({
    ...options,
    policies: BUILDKITE_VARIANT_NAMES.map((name) => parsePolicy(PRESETS[name], `preset ${name}`)),
  }).map(({ summary }) => ({ policy: summary.policy, waitP95Sec: summary.waitSec.p95, cost: summary.cost.total }));
  const preset = parsePolicy(PRESETS['elastic-ci'], 'preset elastic-ci');
  const grid = frontierSettings();
  const runs = comparePolicies({
    ...options,
    policies: grid.map((settings, index) => policyWith(settings, `elastic-ci-frontier-${index + 1}`)),
  });
  const simulated = runs.map(({ policy, summary }, index) => {
    const figures = { waitP95Sec: summary.waitSec.p95, cost: summary.cost.total };
    return {
      settings: grid[index] as FrontierSettings,
      preset: isDeepStrictEqual(policy.scaler, preset.scaler),
      ...figures,
      instanceHours: summary.instanceHours,
      interruptedJobs: summary.interruptedJobs,
      beats: variants.filter((variant) => matchesOrBeats(figures, variant)).map((variant) => variant.policy),
    };
  });
  const frontier = paretoFrontier(simulated).map((point) => ({ ...point, onFrontier: true }));
  const points = simulated.map(
    (point) => frontier.find((kept) => kept.settings === point.settings) ?? { ...point, onFrontier: false },
  );
  return { variants, points, frontier };
}

const shortName = (policy: string): string => BUILDKITE_VARIANT_SHORT_NAMES[policy] ?? policy;
const seconds = (value: number): string => `${value.toFixed(1)} s`;
const money = (value: number): string => `$${value.toFixed(2)}`;

export interface FrontierHeading {
  readonly trace: string;
  readonly queue: string;
  readonly seed: number;
  /** Shown when the measured window does not start at the trace's start. */
  readonly measureFrom?: string;
  /** The run-wide physics given (prices, boot, resume, spot rate), shown so a saved table says what it assumed. */
  readonly physics?: PhysicsOverrides;
}

/** The physics options given, as the heading shows them; empty without any. */
function describePhysics(physics: PhysicsOverrides = {}): string {
  const parts = [
    physics.instancePricePerHour === undefined ? '' : `compute $${physics.instancePricePerHour}/h`,
    physics.volumePricePerHour === undefined ? '' : `volume $${physics.volumePricePerHour}/h`,
    physics.bootMedianSec === undefined ? '' : `boot ${physics.bootMedianSec} s`,
    physics.resumeMedianSec === undefined ? '' : `resume ${physics.resumeMedianSec} s`,
    physics.spotRate === undefined ? '' : `${physics.spotRate} spot interruptions/instance-hour`,
  ].filter((part) => part !== '');
  return parts.length === 0 ? '' : `, ${parts.join(', ')}`;
}

/** The frontier as the CLI prints it: the variants, then one row per frontier point with the settings to deploy. */
export function formatFrontier(result: FrontierResult, heading: FrontierHeading): string {
  const cheapest = result.variants.reduce((best, variant) => (variant.cost < best.cost ? variant : best));
  const window = heading.measureFrom === undefined ? '' : `, measured from ${heading.measureFrom}`;
  const assumed = `${window}${describePhysics(heading.physics)}`;
  const lines = [
    `elastic-ci's wait/cost frontier on ${heading.trace} (queue ${heading.queue}, seed ${heading.seed}${assumed}): ` +
      `${result.points.length} settings simulated, ${result.frontier.length} not beaten on both p95 wait and cost by another`,
    '',
    `Buildkite variants: ${result.variants.map((v) => `${shortName(v.policy)} ${seconds(v.waitP95Sec)} ${money(v.cost)}`).join(' · ')}`,
    '',
  ];
  const rows = result.frontier.map((point) => [
    seconds(point.waitP95Sec),
    money(point.cost),
    `${(point.cost / cheapest.cost).toFixed(2)}×`,
    point.beats.length === 0 ? '-' : point.beats.map(shortName).join(', '),
    `${JSON.stringify(point.settings)}${point.preset ? '  (the elastic-ci preset)' : ''}`,
  ]);
  const header = ['p95 wait', 'cost', `÷ ${shortName(cheapest.policy)}`, 'matches or beats', 'settings (scaler-core)'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
  );
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column < 3 ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number),
      )
      .join('  ')
      .trimEnd();
  lines.push(render(header), render(widths.map((width) => '-'.repeat(width))), ...rows.map(render));
  const preset = result.points.find((point) => point.preset);
  if (preset !== undefined && !preset.onFrontier) {
    const better = result.frontier.find((point) => matchesOrBeats(point, preset)) as FrontierPoint;
    lines.push(
      '',
      `The elastic-ci preset (${seconds(preset.waitP95Sec)}, ${money(preset.cost)}) is beaten here by ${JSON.stringify(better.settings)} (${seconds(better.waitP95Sec)}, ${money(better.cost)}).`,
    );
  }
  const everyVariant = result.frontier.filter((point) => point.beats.length === result.variants.length);
  lines.push(
    '',
    everyVariant.length > 0
      ? `${everyVariant.length} of these match or beat every Buildkite variant on both figures.`
      : 'None of these matches or beats every Buildkite variant on both figures: pick the wait you need and read its cost.',
    'Deploy a row (stack config with scaling.profile: elastic-ci): scaling.warmPool.prepareForWaitingJobs as the row',
    'says, its dependencies and scaleIn under scaling.policies. Simulate it: a policy file',
    '{"extends": "elastic-ci", "scaler": SETTINGS} with elastic-ci-sim --policy FILE.',
  );
  if (result.points.some((point) => point.interruptedJobs > 0)) {
    lines.push('Warning: some settings interrupted jobs (see --json); none should.');
  }
  return lines.join('\n');
}
