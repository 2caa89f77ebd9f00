import type { Options } from 'tsup';

/** tsup builds for a custom-resource Lambda package: the library (`dist/`) and the bundled handler (`dist/lambda/lambda.mjs`). */
export declare function customResourceLambdaTsupConfig(options?: { lambdaEntry?: string }): Options[];
