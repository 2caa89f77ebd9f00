import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSynthCli } from './synth-cli';
import type { TemplateValue } from './test-support/synthesize';

const TYPED_CONFIG = resolve(import.meta.dirname, 'config/fixtures/typed-config.yaml');
const BUILDKITE_FILE = resolve(import.meta.dirname, 'config/fixtures/buildkite-full.json');
const BAD_BUILDKITE_FILE = resolve(import.meta.dirname, 'config/fixtures/buildkite-unknown-and-unsupported.json');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function synth(outRoot: string, ...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runSynthCli({
    argv,
    env: { ELASTIC_CI_OUT_ROOT: outRoot },
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    defaultOutRoot: '/nonexistent',
  });
  return { code, stdout, stderr };
}

const NON_GLOBAL_NAMES = new Set(['PolicyName', 'LifecycleHookName', 'DeviceName', 'KeyName', 'MetricName']);
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';
const readJson = (path: string): TemplateValue => JSON.parse(readFileSync(path, 'utf8'));

describe('make synth (runSynthCli)', () => {
  const outRoot = mkdtempSync(join(tmpdir(), 'elastic-ci-synth-cli-'));
  const runs: Record<string, CliRun> = {};
  beforeAll(async () => {
    runs.defaults = await synth(outRoot);
    runs.typed = await synth(outRoot, TYPED_CONFIG);
    runs.buildkite = await synth(outRoot, BUILDKITE_FILE);
  }, 600_000);

  it('without CONFIG: the documented defaults, the template path as the last line', () => {
    expect(runs.defaults?.code).toBe(0);
    const path = lastLine(runs.defaults?.stdout ?? '');
    expect(path).toBe(join(outRoot, 'elastic-ci', 'elastic-ci.template.json'));
    const template = readJson(path);
    // No token in the file: the template asks for it at deploy time.
    expect(template.Parameters.BuildkiteAgentToken).toMatchObject({ NoEcho: true });
  });

  it('several config files: several assemblies side by side, no physical name shared', () => {
    const paths = [runs.defaults, runs.typed, runs.buildkite].map((run) => lastLine(run?.stdout ?? ''));
    expect(new Set(paths.map((path) => dirname(path))).size).toBe(3);
    for (const path of paths) expect(existsSync(path)).toBe(true);
    const explicitNames = paths.map((path) => {
      const names = new Set<string>();
      for (const resource of Object.values(readJson(path).Resources) as TemplateValue[]) {
        for (const [key, value] of Object.entries(resource.Properties ?? {})) {
          // Names CloudFormation makes unique per account and region (not per-role policy or per-group hook names).
          if (!/Name$/.test(key) || NON_GLOBAL_NAMES.has(key)) continue;
          // A literal name, or one joined from literals and deploy-time values (e.g. the stack id); a bare `Ref` to
          // another resource of the same stack is that resource's name, already counted where it is declared.
          if (typeof value === 'string') names.add(value);
          else if (typeof value === 'object' && value !== null && 'Fn::Join' in value) names.add(JSON.stringify(value));
        }
      }
      return names;
    });
    const [first, second, third] = explicitNames as [Set<string>, Set<string>, Set<string>];
    const shared = [...first].filter((name) => second.has(name) || third.has(name));
    expect(shared).toEqual([]);
    expect(first.size).toBeGreaterThan(0);
  });

  it('each assembly is self-contained for other deployers: the asset manifest lists every Lambda bundle and the template', () => {
    const assembly = dirname(lastLine(runs.defaults?.stdout ?? ''));
    const manifest = readJson(join(assembly, 'elastic-ci.assets.json'));
    const template = readJson(join(assembly, 'elastic-ci.template.json'));
    const files = manifest.files as Record<string, { source: { path: string; packaging?: string } }>;
    const sources = Object.values(files).map((file) => file.source);
    expect(sources).toContainEqual({ path: 'elastic-ci.template.json', packaging: 'file' });
    // Every function's S3Key is a manifest entry whose staged directory exists and holds its handler file.
    for (const fn of Object.values(template.Resources as Record<string, TemplateValue>).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    )) {
      const hash = basename(fn.Properties.Code.S3Key, '.zip');
      const entry = files[hash];
      expect(entry?.source.packaging).toBe('zip');
      const staged = join(assembly, entry?.source.path ?? 'missing');
      const handlerFile = `${String(fn.Properties.Handler).split('.')[0]}.mjs`;
      expect(readdirSync(staged)).toContain(handlerFile);
      expect(readdirSync(staged).filter((file) => file.endsWith('.map'))).toEqual([]);
    }
  });

  it('a Buildkite parameter file: its values reach the template', () => {
    const template = readJson(lastLine(runs.buildkite?.stdout ?? ''));
    const text = JSON.stringify(template);
    expect(text).toContain('linux-large'); // queue
    expect(text).toContain('/buildkite/linux-large/agent-token'); // token parameter
  });

  it('a bad parameter file: one message naming every problem, exit 2, no template', async () => {
    const run = await synth(outRoot, BAD_BUILDKITE_FILE);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^synth: .*invalid stack configuration \(\d+ problems\)/);
    expect(readdirSync(outRoot).filter((name) => name.includes('unknown-and-unsupported'))).toEqual([]);
  });

  it('bad options in a typed config: every problem in one message, exit 2, no template', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elastic-ci-bad-config-'));
    const bad = join(dir, 'fleet.json');
    writeFileSync(
      bad,
      JSON.stringify({
        stackName: 'ci-bad',
        scaling: { minSize: 5, maxSize: 2 },
        instances: { types: ['m7g.large', 'c5.large'] },
      }),
    );
    const run = await synth(outRoot, bad);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('minSize 5 is greater than maxSize 2');
    expect(run.stderr).toContain('mix architectures');
    expect(run.stderr).toContain('agent token');
    expect(run.stderr.match(/^synth: /gm)).toHaveLength(1);
    expect(existsSync(join(outRoot, 'ci-bad'))).toBe(false);
  });

  it('a file that cannot be read or is empty: exit 2, one line each, no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elastic-ci-unusable-'));
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const expectations: [string, string][] = [
      [join(dir, 'missing.yaml'), '(file): cannot be read (ENOENT)'],
      [dir, '(file): cannot be read (EISDIR)'],
      [write('empty.yaml', ''), '(file): is empty'],
    ];
    for (const [path, problem] of expectations) {
      const run = await synth(outRoot, path);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`synth: ${path}: invalid stack configuration (1 problem):\n  - ${problem}\n`);
    }
  });

  it('a token in a Buildkite parameter file never reaches the assembly, stdout or an error message', async () => {
    const canary = 'bk-canary-token-3f9a2c71d0e84b56';
    const dir = mkdtempSync(join(tmpdir(), 'elastic-ci-canary-'));
    const withToken = join(dir, 'canary.json');
    const parameters = JSON.parse(readFileSync(BUILDKITE_FILE, 'utf8')) as { ParameterKey: string }[];
    writeFileSync(
      withToken,
      JSON.stringify([
        ...parameters.filter((parameter) => parameter.ParameterKey !== 'BuildkiteAgentTokenParameterStorePath'),
        { ParameterKey: 'BuildkiteAgentToken', ParameterValue: canary },
      ]),
    );
    const good = await synth(outRoot, withToken);
    expect(good.code).toBe(0);
    const assembly = dirname(lastLine(good.stdout));
    const files = readdirSync(assembly).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) expect(readFileSync(join(assembly, file), 'utf8')).not.toContain(canary);
    expect(good.stdout + good.stderr).not.toContain(canary);
    expect(readJson(lastLine(good.stdout)).Parameters.BuildkiteAgentToken).toMatchObject({ NoEcho: true });

    const bad = join(dir, 'canary-bad.json');
    writeFileSync(
      bad,
      JSON.stringify([
        { ParameterKey: 'BuildkiteAgentToken', ParameterValue: canary },
        { ParameterKey: 'MinSize', ParameterValue: '9' },
        { ParameterKey: 'MaxSize', ParameterValue: '2' },
      ]),
    );
    const refused = await synth(outRoot, bad);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('minSize 9 is greater than maxSize 2');
    expect(refused.stdout + refused.stderr).not.toContain(canary);
  });
});
