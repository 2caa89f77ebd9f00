export * from './agent-fleet/index';
export * from './config/index';
export { AgentToken } from './control-plane/agent-token';
export { InstanceBroker, type InstanceBrokerProps } from './control-plane/instance-broker';
export * from './elastic-ci-stack';
export * from './elastic-ci-stack-props';
export { SCALING_PROFILES, type ScalingProfile, withScalingProfile } from './scaling-profile';
export { DEFAULT_APP_PROPS, DEFAULT_STACK_NAME, synthesizeApp } from './synth-app';
export { runSynthCli } from './synth-cli';
