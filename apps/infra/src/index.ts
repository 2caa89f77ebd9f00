export type * from './agent-fleet/agent-fleet-options';
export * from './elastic-ci-stack-props';
