import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * A stand-in for `@aws-sdk/credential-provider-node` in Lambda bundles (the bundler aliases it here). Lambda hands a
 * function its execution role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), so the full chain (SSO, INI files, STS web identity, IMDS) is dead weight: about 90 KB of
 * minified code and parse time on every cold start.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> => fromEnv(init);
