export { type ConfigResult, loadConfig, type SuspenderConfig } from './config';
export {
  AzRebalancingSuspenderError,
  ConfigurationError,
  ResourcePropertiesError,
  SuspendProcessesError,
} from './errors';
export { createSuspenderHandler, type SuspenderHandlerDependencies } from './handler';
export { createProcessSuspender, type ProcessSuspender } from './process-suspender';
export { AZ_REBALANCE_PROCESS, planSuspension, type SuspensionPlan } from './suspension-plan';
