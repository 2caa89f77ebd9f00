export { createAutoScalingAgentGroup, createLambdaSelfInvoker, createSsmAgentStopper } from './aws-adapters';
export { type AgentPlatform, type ConfigResult, loadConfig, type StopAgentsConfig } from './config';
export {
  type CommandInvocation,
  type DrainAction,
  type DrainInput,
  type DrainStep,
  decideDrainStep,
  type GroupSnapshot,
  MAX_STOP_COMMANDS,
  MIN_WAIT_MS,
  RESEND_AFTER_MS,
  type SentCommand,
  TICK_ALLOWANCE_MS,
} from './drain-decision';
export { type DrainDependencies, type DrainState, drainGroup, parseDrainState } from './drain-loop';
export { AwsCallError, ConfigurationError, ResourcePropertiesError, StopAgentsError } from './errors';
export { createStopAgentsHandler, type StopAgentsHandlerDependencies } from './handler';
export type { AgentGroup, AgentStopper } from './ports';
export { physicalIdFor, planRequest, type RequestPlan } from './request-plan';
export { type StopCommand, stopCommandFor } from './stop-command';
