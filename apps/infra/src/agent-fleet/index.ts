export * from './agent-fleet.js';
export * from './agent-fleet-defaults.js';
export * from './agent-fleet-errors.js';
export type * from './agent-fleet-options.js';
export { BOOT_CONTRACT_PATH, BOOT_PROGRAM, bootContractFromUserData } from './fleet-boot-contract.js';
export { FLEET_TAG_KEY, UNSCOPED_INSTANCE_ACTIONS } from './fleet-instance-role.js';
export { architectureOf } from './instance-architecture.js';
export { fleetArchitecture, MAX_INSTANCE_TYPES, validateAgentFleetOptions } from './validate-agent-fleet-options.js';
