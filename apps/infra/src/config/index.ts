export * from './buildkite-parameters.js';
export * from './config-to-stack-props.js';
export * from './load-stack-config.js';
export * from './stack-config-error.js';
export * from './stack-config-schema.js';
