/** Base of every error this package throws on purpose; `exitCode` is what the CLI exits with. */
export class S3SecretsError extends Error {
  override name = 'S3SecretsError';
  readonly exitCode: number = 1;
}

/** Thrown for bad command-line arguments or bad configuration variables: exit code 2. */
export class UsageError extends S3SecretsError {
  override name = 'UsageError';
  override readonly exitCode = 2;
}

/** Thrown when the environment variables fail validation; the message names every bad variable. */
export class ConfigurationError extends UsageError {
  override name = 'ConfigurationError';
}

/** Thrown when the secrets bucket does not exist or the role may not read it. */
export class BucketUnavailableError extends S3SecretsError {
  override name = 'BucketUnavailableError';
}

/** Thrown when an object could not be read for a reason other than "absent" (throttling, 5xx, network, deadline). */
export class SecretDownloadError extends S3SecretsError {
  override name = 'SecretDownloadError';
}

/** Thrown when a secret cannot be given to the job as a variable (the kernel would refuse the environment). */
export class UnusableSecretError extends S3SecretsError {
  override name = 'UnusableSecretError';
}

/**
 * Thrown when a signal (a cancelled job: the agent sends SIGTERM to the hook's process group) stops `env` before it
 * printed the script. Exits 128 + the signal's number, as a shell reports a process the signal ended.
 */
export class RunStoppedError extends S3SecretsError {
  override name = 'RunStoppedError';
  override readonly exitCode: number;
  constructor(
    readonly signal: NodeJS.Signals,
    signalNumber: number,
  ) {
    super(
      `stopped by ${signal} before the job's secrets were loaded: no script was printed, and the ssh-agent this ` +
        'run started (if any) was stopped',
    );
    this.exitCode = 128 + signalNumber;
  }
}

/** Thrown when ssh-agent cannot be started or refuses a key. */
export class SshAgentError extends S3SecretsError {
  override name = 'SshAgentError';
}

/** Thrown by `s3secrets put` when the file must not be uploaded (unsafe permissions, wrong shape). */
export class UnsafeUploadError extends S3SecretsError {
  override name = 'UnsafeUploadError';
}

/** Thrown when an env file cannot be parsed; `line` is 1-based. */
export class EnvFileSyntaxError extends S3SecretsError {
  override name = 'EnvFileSyntaxError';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}
