/**
 * Every error this package throws derives from {@link DockerLoginError}. The CLI maps
 * {@link ConfigurationError} to exit code 2 (usage) and every other {@link DockerLoginError} to exit code 1 (login
 * failed). Messages never contain a password, token or AWS credential: they name variables, registries and AWS error
 * codes only.
 */
export class DockerLoginError extends Error {
  override name = 'DockerLoginError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Thrown when command-line arguments or environment variables are invalid. The message lists every bad argument or
 * variable at once, each with how to fix it.
 */
export class ConfigurationError extends DockerLoginError {
  override name = 'ConfigurationError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`, options);
    this.problems = problems;
  }
}

/**
 * Thrown when a login step fails: an AWS call, the OIDC token request, the registry rejecting the credentials, or
 * `docker login`. `retryable` says whether trying again could help (network errors, throttling, HTTP 5xx) or not
 * (wrong password, access denied).
 */
export class LoginFailedError extends DockerLoginError {
  override name = 'LoginFailedError';
  readonly retryable: boolean;
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
  }
}

/** Thrown when `$DOCKER_CONFIG/config.json` exists but is not a JSON object, or cannot be read or written. */
export class DockerConfigFileError extends DockerLoginError {
  override name = 'DockerConfigFileError';
  readonly path: string;
  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(message, options);
    this.path = path;
  }
}

/** Thrown when a program the chosen mode needs (docker, buildkite-agent, docker-credential-ecr-login) is missing. */
export class MissingProgramError extends DockerLoginError {
  override name = 'MissingProgramError';
  readonly program: string;
  constructor(program: string, hint: string) {
    super(`${program} not found in PATH: ${hint}`);
    this.program = program;
  }
}
