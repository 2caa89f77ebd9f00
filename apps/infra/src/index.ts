export * from './elastic-ci-stack-props';
export type * from './agent-fleet/agent-fleet-options';
