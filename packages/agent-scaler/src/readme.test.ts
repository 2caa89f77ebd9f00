import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { awsClientSettings } from './aws-adapters';
import { DURATION_RANGES, formatDurationMs, parseAgentScalerConfig, RATIO_RANGES } from './config';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

const MINIMAL = {
  BUILDKITE_QUEUE: 'default',
  ASG_NAME: 'agents',
  AGENTS_PER_INSTANCE: '2',
  BUILDKITE_AGENT_TOKEN_SSM_KEY: '/buildkite/agent-token',
};
/** Variables that are refused without their switch: their defaults are compared with the switch on. */
const SWITCHES: Record<string, Record<string, string>> = {
  SCALER_LOCK_TTL: { SCALER_LOCK_TABLE: 'agent-scaler-locks' },
  SCALER_LOCK_WAIT: { SCALER_LOCK_TABLE: 'agent-scaler-locks' },
  ZOMBIE_GRACE_PERIOD: { ZOMBIE_CHECK: 'true' },
  ZOMBIE_MAX_PER_PASS: { ZOMBIE_CHECK: 'true' },
};
/** Read by libraries, not by this package's code. */
const READ_ELSEWHERE = ['POWERTOOLS_LOG_LEVEL'];

interface Row {
  variables: string[];
  fallback: string;
  allowed: string;
}

/** The rows of the environment table (the one under "## Configuration" whose header has an "allowed" column). */
function environmentTable(): Row[] {
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('`MIN_SIZE`/`MAX_SIZE`'));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [name = '', fallback = '', allowed = ''] = line
        .split('|')
        .slice(1, 4)
        .map((cell) => cell.trim());
      return { variables: [...name.matchAll(/`([A-Z_]+)`/g)].map((match) => match[1] as string), fallback, allowed };
    });
}

describe('README configuration table', () => {
  it('names every variable the Lambda reads, and only those', () => {
    // Prepare: every switch on, so that the variables behind it are read too
    const read = new Set<string>();
    const environment = new Proxy<Record<string, string>>(
      { ...MINIMAL, ...Object.assign({}, ...Object.values(SWITCHES)) },
      {
        get(target, key) {
          if (typeof key === 'string') read.add(key);
          return target[key as string];
        },
      },
    );

    // Act
    parseAgentScalerConfig(environment);
    awsClientSettings(environment);

    // Assess
    const documented = environmentTable().flatMap((row) => row.variables);
    expect([...read].filter((variable) => !documented.includes(variable))).toEqual([]);
    expect(documented.filter((variable) => !read.has(variable) && !READ_ELSEWHERE.includes(variable))).toEqual([]);
  });

  it('states each default as the value that changes nothing when set explicitly', () => {
    const checked: string[] = [];
    for (const row of environmentTable()) {
      // The first literal of the default cell: `5s`, `0` (= none), scaler-core default (`120s`), `adaptive` / `8`
      const fallback = /`([^`]+)`/.exec(row.fallback)?.[1];
      if (fallback === undefined || /required|refused/.test(row.fallback)) continue;
      // The SDK reads these itself; the code only stays out of the way when they are set.
      if (row.variables.some((variable) => variable.startsWith('AWS_'))) continue;
      for (const variable of row.variables) {
        // Prepare
        const base = { ...MINIMAL, ...SWITCHES[variable] };

        // Act
        const explicit = parseAgentScalerConfig({ ...base, [variable]: fallback });

        // Assess
        expect({ variable, config: explicit }).toEqual({ variable, config: parseAgentScalerConfig(base) });
        checked.push(variable);
      }
    }
    expect(checked).toContain('LAMBDA_INTERVAL');
    expect(checked).toContain('ZOMBIE_MAX_PER_PASS');
    expect(checked.length).toBeGreaterThan(30);
  });

  it('states each SCALER_POLICIES default as the value that changes nothing when set explicitly', () => {
    const section = readme.slice(readme.indexOf('| `SCALER_POLICIES` key'));
    const rows = section.slice(0, section.indexOf('\n\n')).split('\n').slice(2);
    const checked: string[] = [];
    for (const line of rows) {
      const [names = '', fallbacks = ''] = line
        .split('|')
        .slice(1, 3)
        .map((cell) => cell.trim());
      // `costs.bootSec` / `resumeSec` with `120` / `40`: the second name is in the first one's section
      const paths = [...names.matchAll(/`([^`]+)`/g)].map((match) => (match[1] as string).replace('[]', ''));
      const values = [...fallbacks.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
      expect({ line, values: values.length }).toEqual({ line, values: paths.length });
      const section = (paths[0] ?? '').split('.')[0] as string;
      paths.forEach((path, index) => {
        // Prepare
        const [key, field] = path.includes('.') ? path.split('.') : [section, path];
        const text = values[index] as string;
        const value = /^[[{\d]|^(true|false)$/.test(text) ? JSON.parse(text) : text;

        // Act
        const explicit = parseAgentScalerConfig({
          ...MINIMAL,
          SCALER_POLICIES: JSON.stringify({ [key as string]: { [field as string]: value } }),
        });

        // Assess
        expect({ path, config: explicit }).toEqual({ path, config: parseAgentScalerConfig(MINIMAL) });
        checked.push(`${key}.${field}`);
      });
    }
    expect(checked).toContain('costs.resumeSec');
    expect(checked).toContain('warmPool.schedules');
    expect(checked).toHaveLength(13);
  });

  it("states each bounded variable's allowed range as the parser enforces it", () => {
    const rows = new Map(environmentTable().flatMap((row) => row.variables.map((variable) => [variable, row])));
    const written = (ms: number) => (ms === 0 ? '0' : formatDurationMs(ms));
    for (const [variable, range] of Object.entries(DURATION_RANGES)) {
      const expected =
        variable === 'STALE_METRICS_AFTER'
          ? `0 (off) or 10s – ${written(range.max)}`
          : `${written(range.min)} – ${written(range.max)}`;
      expect({ variable, allowed: rows.get(variable)?.allowed }).toEqual({
        variable,
        allowed: expect.stringContaining(expected),
      });
    }
    for (const [variable, range] of Object.entries(RATIO_RANGES)) {
      expect({ variable, allowed: rows.get(variable)?.allowed }).toEqual({
        variable,
        allowed: expect.stringContaining(`${range.min} – ${range.max}`),
      });
    }
  });
});
