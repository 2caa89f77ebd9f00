export { type ChartFormat, type ChartOptions, type ChartSeries, renderChart } from './chart.js';
export {
  type CompareOptions,
  checkMeasureFrom,
  chooseQueue,
  comparePolicies,
  fleetWithOverrides,
  type PhysicsOverrides,
  type PolicyRun,
} from './compare.js';
export {
  type DurationDistribution,
  type DurationDistributionInput,
  durationDistributionSchema,
  medianOf,
  sampleDuration,
  withMedian,
} from './distribution.js';
export { formatDurationArg, parseDurationArg } from './duration-arg.js';
export {
  BuildkiteExportError,
  InvariantViolationError,
  PolicyConfigError,
  SimulatorError,
  type TraceIssue,
  TraceParseError,
  UsageError,
} from './errors.js';
export { EventQueue } from './event-queue.js';
export {
  FRONTIER_GRID,
  type FrontierFigures,
  type FrontierHeading,
  type FrontierOptions,
  type FrontierPoint,
  type FrontierResult,
  type FrontierSettings,
  formatFrontier,
  frontierSettings,
  matchesOrBeats,
  paretoFrontier,
  policyWith,
  runFrontier,
  type VariantFigures,
} from './frontier.js';
export {
  checkGenerateOptions,
  GENERATED_TRACE_START,
  type GenerateOptions,
  generateTrace,
  MAX_GENERATED_DAYS,
  TRACE_SHAPES,
  type TraceShape,
} from './generate.js';
export {
  type ExportSource,
  type ImportedTrace,
  type ImportSummary,
  importBuildkiteBuilds,
  mondayAtOrBefore,
  queueOf,
} from './import-buildkite.js';
export { type Limit, type LimitOptions, limitOf } from './limit.js';
export {
  type ControlConfig,
  type FleetConfig,
  mergePolicyInput,
  type Policy,
  type PolicyInput,
  parsePolicy,
  policySchema,
} from './policy.js';
export { BUILDKITE_VARIANT_NAMES, BUILDKITE_VARIANT_SHORT_NAMES, PRESET_NAMES, PRESETS } from './presets.js';
export { type ReadyBound, type ReadyBoundOptions, readyBound } from './ready-bound.js';
export {
  buildReport,
  type ComparisonReport,
  formatReport,
  type PolicyRatios,
  type PolicySummary,
  summarize,
  type WaitSummary,
} from './report.js';
export { type ReadTextFile, resolvePolicy } from './resolve-policy.js';
export { createRandom, type Random } from './rng.js';
export { bundledTracePath, type CliIo, DEFAULT_POLICIES, GENERATE_USAGE, runCli, USAGE } from './run-cli.js';
export { ScalerCorePolicy, scalerConfigOf } from './scaler-core-policy.js';
export type {
  FleetObservation,
  GroupObservation,
  InstanceObservation,
  QueueObservation,
  ScalingDecision,
  ScalingPolicy,
} from './scaling-policy.js';
export { type SimulationOptions, type SimulationResult, type StartRecord, simulate } from './simulation.js';
export { percentile } from './statistics.js';
export type { TimelineSeries } from './timeline.js';
export { parseTrace, type Trace, type TraceJob } from './trace.js';
