import { PolicyConfigError, UsageError } from './errors.js';
import { mergePolicyInput, type Policy, parsePolicy } from './policy.js';
import { PRESET_NAMES, PRESETS } from './presets.js';
import { scalerConfigOf } from './scaler-core-policy.js';

/** Reads a file as text; the CLI passes `fs.readFileSync`, tests pass a stand-in. */
export type ReadTextFile = (path: string) => string;

function knownPolicies(): string {
  return `known policies: ${PRESET_NAMES.join(', ')} (or a policy file path ending in .json)`;
}

function looksLikeFile(spec: string): boolean {
  return spec.endsWith('.json') || spec.includes('/') || spec.includes('\\');
}

function fromFile(path: string, readTextFile: ReadTextFile): Policy {
  let text: string;
  try {
    text = readTextFile(path);
  } catch (error) {
    throw new UsageError(`cannot read policy file ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (error) {
    throw new PolicyConfigError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    });
  }
  const base =
    typeof raw === 'object' && raw !== null && 'extends' in raw ? (raw as { extends: unknown }).extends : undefined;
  if (base === undefined) return parsePolicy(raw, path);
  if (typeof base !== 'string' || PRESETS[base] === undefined) {
    throw new PolicyConfigError(
      `${path}: "extends" must name a preset; known policies: ${PRESET_NAMES.join(', ')} (a policy file cannot extend another file: copy what you need from it)`,
    );
  }
  return parsePolicy(mergePolicyInput(PRESETS[base], raw), path);
}

/**
 * Turns a `--policy` argument into a validated policy: a preset name, or a JSON file (optionally `"extends"` a
 * preset and overriding it field by field). The scaler section is checked with scaler-core's schema here, so a bad
 * file fails before any simulation runs.
 */
export function resolvePolicy(spec: string, readTextFile: ReadTextFile): Policy {
  const preset = PRESETS[spec];
  let policy: Policy;
  if (preset !== undefined) {
    policy = parsePolicy(preset, `preset ${spec}`);
  } else if (looksLikeFile(spec)) {
    policy = fromFile(spec, readTextFile);
  } else {
    throw new UsageError(`unknown policy "${spec}"; ${knownPolicies()}`);
  }
  scalerConfigOf(policy);
  return policy;
}
