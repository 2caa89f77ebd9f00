export * from './boot-contract.js';
