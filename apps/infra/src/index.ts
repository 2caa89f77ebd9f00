export type * from './agent-fleet/agent-fleet-options';
export { AgentToken } from './control-plane/agent-token';
export * from './elastic-ci-stack';
export * from './elastic-ci-stack-props';
export { DEFAULT_APP_PROPS, DEFAULT_STACK_NAME, synthesizeApp } from './synth-app';
