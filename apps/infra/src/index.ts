export * from './elastic-ci-stack-props';
