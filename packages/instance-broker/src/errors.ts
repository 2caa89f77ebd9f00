/** Thrown nowhere: returned by `loadConfig` and answered 500 on every request when the environment is invalid. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}
