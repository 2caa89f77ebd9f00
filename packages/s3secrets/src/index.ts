export { type EnvAssignment, type ParsedEnvFile, parseEnvFile, type VariableLookup } from './env-file';
export { buildEnvScript, type EnvScript, type EnvScriptInput, gitConfigEntry } from './env-script';
export * from './errors';
export {
  type CredentialRequest,
  findCredential,
  formatCredentialResponse,
  parseCredentialRequest,
  parseGitCredentials,
  type StoredCredential,
} from './git-credentials';
export { containsSecretSuffix, hasSecretSuffix, SECRET_SUFFIXES, type SecretKeys, secretKeysFor } from './layout';
export { chunkRedactions } from './redactor';
export { classifyError, type ObjectResult, type SecretStore } from './secret-store';
export { isShellIdentifier, shellQuote, shellQuoteBytes } from './shell-quote';
