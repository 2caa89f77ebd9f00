import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStackConfig } from './config/load-stack-config';
import { synthesizeApp } from './synth-app';
import { MAXIMAL_PROPS, synthesizeStack } from './test-support/synthesize';

const CFN_LINT = resolve(import.meta.dirname, '../../../.venv/bin/cfn-lint');
const BUILDKITE_PARAMETER_FILE = resolve(import.meta.dirname, 'config/fixtures/buildkite-full.json');
const ELASTIC_CI_PROFILE_FILE = resolve(import.meta.dirname, 'config/fixtures/elastic-ci-profile.yaml');
/** Warnings CDK's own output always triggers (an explicit DependsOn next to a GetAtt), not ours to change. */
const ACCEPTED_WARNINGS = new Set(['W3005']);
const IMPORTED_ROLE_ARN = 'arn:aws:iam::123456789012:role/ci/shared-agents';

interface LintMatch {
  Level: 'Error' | 'Warning' | 'Informational';
  Rule: { Id: string };
  Message: string;
  Filename: string;
}

let matches: LintMatch[];
let templates: Record<string, string>;

beforeAll(async () => {
  if (!existsSync(CFN_LINT)) throw new Error(`cfn-lint is missing at ${CFN_LINT}: run make python-deps`);
  const outRoot = mkdtempSync(join(tmpdir(), 'elastic-ci-cfn-lint-'));
  const defaults = await synthesizeApp({ outRoot, loadConfig: loadStackConfig });
  const buildkite = await synthesizeApp({ outRoot, configPath: BUILDKITE_PARAMETER_FILE, loadConfig: loadStackConfig });
  const profile = await synthesizeApp({ outRoot, configPath: ELASTIC_CI_PROFILE_FILE, loadConfig: loadStackConfig });
  const maximalPath = join(outRoot, 'maximal.template.json');
  writeFileSync(maximalPath, JSON.stringify(synthesizeStack(MAXIMAL_PROPS, 'elastic-ci-maximal').json));
  // A role of the user's: the instance broker's function policy names its ARN (a literal) instead of a GetAtt.
  const importedRolePath = join(outRoot, 'imported-role.template.json');
  writeFileSync(
    importedRolePath,
    JSON.stringify(
      synthesizeStack(
        { agentTokenParameterName: '/buildkite/agent-token', instanceRoleArn: IMPORTED_ROLE_ARN },
        'elastic-ci-imported-role',
      ).json,
    ),
  );
  templates = {
    default: defaults.templatePath,
    maximal: maximalPath,
    buildkite: buildkite.templatePath,
    'elastic-ci profile': profile.templatePath,
    'imported role': importedRolePath,
  };
  // One cfn-lint run for all five (its start-up is most of its time). Exit codes are a bit mask of the levels
  // found, so the JSON on stdout is the verdict, not the code.
  const run = await promisify(execFile)(CFN_LINT, ['--format', 'json', '--', ...Object.values(templates)], {
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string; code?: number }) => {
    if (typeof error.stdout === 'string' && error.stdout.trim().startsWith('[')) return { stdout: error.stdout };
    throw error;
  });
  matches = JSON.parse(run.stdout) as LintMatch[];
}, 600_000);

describe('cfn-lint', () => {
  it.each(['default', 'maximal', 'buildkite', 'elastic-ci profile', 'imported role'])(
    'finds no error in the %s template',
    (name) => {
      const file = templates[name];
      const found = matches.filter((match) => resolve(match.Filename) === file && match.Level === 'Error');
      expect(found.map((match) => `${match.Rule.Id} ${match.Message}`)).toEqual([]);
    },
  );

  it('really linted all five templates (each shows the warning every CDK template has)', () => {
    for (const file of Object.values(templates)) {
      expect(matches.some((match) => resolve(match.Filename) === file && match.Rule.Id === 'W3005')).toBe(true);
    }
  });

  it('finds no warning beyond the ones CDK itself causes', () => {
    const warnings = matches.filter((match) => match.Level !== 'Error' && !ACCEPTED_WARNINGS.has(match.Rule.Id));
    expect(warnings.map((match) => `${match.Filename}: ${match.Rule.Id} ${match.Message}`)).toEqual([]);
  });
});
