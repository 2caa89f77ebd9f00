export type { GroupLookupPort, LifecycleAction, LifecycleActionPort, TerminationHook } from './aws-adapters';
export { type Clock, systemClock } from './clock';
export { type LifecycledConfig, parseConfig } from './config';
export { type DaemonResult, runDaemon } from './daemon';
export {
  type DrainEffect,
  type DrainInProgress,
  type DrainNotice,
  decide,
  decideDuringDrain,
  drainInProgress,
  type Effect,
  type HandlerInvocation,
  initialMemory,
  keepsWatchingDuringDrain,
  nextHeartbeat,
  type Observation,
  TRANSITIONS,
} from './decide';
export * from './errors';
export { ImdsClient } from './imds-client';
export { type LifecycledIo, runLifecycled } from './run-lifecycled';
export { nextStopStep, type StopStep } from './stop-agent-plan';
