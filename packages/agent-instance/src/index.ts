export * from './boot-contract.js';
export * from './boot-contract-fields.js';
