/** Where the sandbox's AWS (moto, or a proxy in front of it) is, and how to sign for it. */
export interface AwsTarget {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** SDK v3 client configuration for the target. */
export function clientConfig(target: AwsTarget) {
  return {
    endpoint: target.endpoint,
    region: target.region,
    credentials: { ...target.credentials },
    forcePathStyle: true,
    maxAttempts: 3,
  };
}

/** Environment that points SDKs and CLIs of child processes at the target (and nowhere else). */
export function awsProcessEnvironment(target: AwsTarget): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: target.endpoint,
    AWS_REGION: target.region,
    AWS_DEFAULT_REGION: target.region,
    AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
    // Never fall back to a developer's real profile or instance credentials.
    AWS_PROFILE: '',
    AWS_SDK_LOAD_CONFIG: '0',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
