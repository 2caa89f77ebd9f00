/** The sandbox's public surface (filled in as the world, hosts and report land). */
export type { HostEvent, HostState, HostSummary } from './hosts/simulated-host';
export type { InvocationOutcome, InvocationRecord } from './lambdas/lambda-function';
export { ProductNotBuiltError } from './product-paths';
export {
  type Sandbox,
  type SandboxOptions,
  SandboxStartError,
  type ScalingAction,
  startSandbox,
  type TimelineSample,
  type WebhookAnswer,
} from './sandbox';
export type { StackUpdateResult, StackUpdateStep } from './stack-update/simulate-stack-update';
export type { AwsTarget } from './world/aws-config';
export { type World, WorldBuildError } from './world/build-world';
export { TemplateError } from './world/template';
export {
  type ClampedDuration,
  DEFAULT_WORLD_CONFIG,
  renderStackConfig,
  type WorldSettings,
} from './world/world-config';
