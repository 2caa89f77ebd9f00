/** The bucket layout, identical to Buildkite's elastic-ci-stack-s3-secrets-hooks so existing buckets work unchanged. */

/** A secret file is exported only when its name ends with one of these. */
export const SECRET_SUFFIXES = ['_SECRET', '_SECRET_KEY', '_PASSWORD', '_TOKEN', '_ACCESS_KEY'] as const;

export function hasSecretSuffix(name: string): boolean {
  return SECRET_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** Env-file variables whose names *contain* a suffix have their values redacted from logs. */
export function containsSecretSuffix(name: string): boolean {
  return SECRET_SUFFIXES.some((suffix) => name.includes(suffix));
}

export interface SecretKeys {
  /** Loaded into ssh-agent; every key found is loaded. */
  sshKeys: string[];
  /** Applied in this order, so pipeline-level files override bucket-wide ones. */
  envFiles: string[];
  /** Each found object becomes one credential helper. */
  gitCredentials: string[];
  /** Listed, then every object whose name has a secret suffix becomes a variable; pipeline-level wins. */
  secretFilePrefixes: string[];
}

/** The object keys a pipeline with key prefix `prefix` receives, in the order they are applied. */
export function secretKeysFor(prefix: string): SecretKeys {
  return {
    sshKeys: [`${prefix}/private_ssh_key`, `${prefix}/id_rsa_github`, 'private_ssh_key', 'id_rsa_github'],
    envFiles: ['env', 'environment', `${prefix}/env`, `${prefix}/environment`],
    gitCredentials: ['git-credentials', `${prefix}/git-credentials`],
    secretFilePrefixes: ['secret-files/', `${prefix}/secret-files/`],
  };
}

/** The variable a secret file becomes: the last path component of its key. */
export function secretFileVariableName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
