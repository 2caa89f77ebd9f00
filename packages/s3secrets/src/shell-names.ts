/**
 * Variables bash makes read-only at start-up (`bash -c 'readonly -p'`; the bash manual says so of BASHOPTS, EUID,
 * SHELLOPTS and UID). Assigning one is an error that ends the environment hook's `eval`, and with it the job.
 */
export const BASH_READONLY_NAMES: ReadonlySet<string> = new Set([
  'BASHOPTS',
  'BASH_VERSINFO',
  'EUID',
  'PPID',
  'SHELLOPTS',
  'UID',
]);

/**
 * Variables bash maintains itself: the manual says assignments to BASHPID, EPOCHREALTIME, EPOCHSECONDS, FUNCNAME,
 * GROUPS, HISTCMD and SRANDOM have no effect or are ignored, and the rest are rewritten by the shell as it runs (or,
 * for BASH_ARGV0, rename the shell's $0). A value assigned to one never reaches the job as written.
 */
export const BASH_MANAGED_NAMES: ReadonlySet<string> = new Set([
  'BASHPID',
  'BASH_ARGC',
  'BASH_ARGV',
  'BASH_ARGV0',
  'BASH_COMMAND',
  'BASH_LINENO',
  'BASH_SOURCE',
  'BASH_SUBSHELL',
  'EPOCHREALTIME',
  'EPOCHSECONDS',
  'FUNCNAME',
  'GROUPS',
  'HISTCMD',
  'LINENO',
  'PIPESTATUS',
  'RANDOM',
  'SECONDS',
  'SRANDOM',
]);

/** Why `name` cannot be set by the hook's `eval`, or undefined when it can. Fixed text: never a value. */
export function shellOwnedNameReason(name: string): string | undefined {
  if (BASH_READONLY_NAMES.has(name)) {
    return `${name} is read-only in bash; assigning it would stop the environment hook`;
  }
  if (BASH_MANAGED_NAMES.has(name)) return `bash sets ${name} itself and would not keep the value`;
  return undefined;
}
