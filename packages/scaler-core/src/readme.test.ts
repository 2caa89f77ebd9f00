import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScalerConfig } from './config';
import { decide } from './decide';
import { ScalerConfigError } from './errors';
import type { Decision, ScalerState } from './types';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

describe('README', () => {
  it('has an example that runs and gives the decision its comments state', async () => {
    // Prepare: the first ts block, importing this package's source, exporting what its comments describe
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const directory = mkdtempSync(join(tmpdir(), 'scaler-core-readme-'));
    const file = join(directory, 'example.ts');
    writeFileSync(
      file,
      `${example.replace("'@elastic-ci/scaler-core'", JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url))))}\nexport { decision, state };\n`,
    );

    // Act
    let result: { decision: Decision; state: ScalerState };
    try {
      result = await import(file);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }

    // Assess: the values the example's comments name
    const { decision, state } = result;
    expect(example).toContain("// decision.action === 'scale-out', decision.desired === 6");
    expect(decision.action).toBe('scale-out');
    expect(decision.desired).toBe(6);
    const reasonsComment = /\/\/ decision\.reasons: (\[.*\])\n/.exec(example)?.[1] ?? '';
    expect(JSON.parse(reasonsComment.replaceAll("'", '"'))).toEqual(decision.reasons);
    expect(state).toBe(decision.nextState);
    expect(state.lastScaleOutAtMs).toBe(decision.inputs.nowMs);
  });

  it('names the problems of a bad config as it says', () => {
    // Act
    let error: unknown;
    try {
      parseScalerConfig({
        idlePool: { periods: [{ cron: '* * * * *', timezone: 'Mars/Base', idleCount: 1 }] },
        typo: true,
      });
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(ScalerConfigError);
    const issues = (error as ScalerConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
    expect(issues).toEqual([
      'idlePool.periods[0].timezone: unknown IANA time zone "Mars/Base"',
      'typo: unknown option',
    ]);
    for (const issue of issues) expect(readme).toContain(`\`${issue}\``);
  });

  it('gives worked example 2 (its JSON config as printed) the decision it describes', () => {
    // Prepare: Monday 2026-01-05 09:30 UTC is 10:30 in Berlin
    const json = /\*\*2\. Office-hours[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const config = parseScalerConfig(JSON.parse(json));
    const at = (iso: string) => {
      const nowMs = Date.parse(iso);
      return decide({
        config,
        nowMs,
        metrics: {
          scheduledJobs: 3,
          runningJobs: 6,
          waitingJobs: 0,
          idleAgents: 0,
          busyAgents: 6,
          totalAgents: 6,
          collectedAtMs: nowMs,
        },
        group: { desired: 3, min: 0, max: 20, inService: 3, pending: 0 },
        state: {},
      });
    };

    // Act
    const morning = at('2026-01-05T09:30:00Z');
    const evening = at('2026-01-05T19:00:00Z'); // 20:00 in Berlin

    // Assess
    expect(morning.action).toBe('scale-out');
    expect(morning.desired).toBe(7);
    expect(morning.nextState.throttleTokens).toBe(0);
    expect(morning.reasons).toContain('idle pool: 4 spare slot(s) → 7');
    expect(evening.desired).toBe(5); // 9 agents + the base idleCount 1 → ceil(10 / 2)
    expect(readme).toContain('**scale-out to 7**, `nextState.throttleTokens = 0`');
  });

  it('gives worked example 3 the drain it describes', () => {
    // Prepare
    const nowMs = Date.parse('2026-01-05T12:00:00Z');
    const config = parseScalerConfig({
      agentsPerInstance: 2,
      scaleInCooldownSec: 600,
      scaleIn: { strategy: 'drain', minRunningTimeSec: 3600, minIdleSec: 300 },
    });
    const instance = (id: string, ageMs: number, busyAgents: number, idleForMs?: number) => ({
      id,
      lifecycleState: 'InService' as const,
      launchedAtMs: nowMs - ageMs,
      busyAgents,
      idleAgents: 2 - busyAgents,
      ...(idleForMs === undefined ? {} : { idleSinceMs: nowMs - idleForMs }),
    });

    // Act
    const decision = decide({
      config,
      nowMs,
      metrics: {
        scheduledJobs: 0,
        runningJobs: 2,
        waitingJobs: 0,
        idleAgents: 6,
        busyAgents: 2,
        totalAgents: 8,
        collectedAtMs: nowMs,
      },
      group: {
        desired: 4,
        min: 0,
        max: 10,
        inService: 4,
        pending: 0,
        instances: [
          instance('i-a', 5 * HOUR_MS, 1),
          instance('i-b', 4 * HOUR_MS, 0, 20 * MINUTE_MS),
          instance('i-c', 90 * MINUTE_MS, 0, 2 * MINUTE_MS),
          instance('i-d', 30 * MINUTE_MS, 1),
        ],
      },
      state: { lastScaleInAtMs: nowMs - HOUR_MS },
    });

    // Assess
    expect(decision.target).toBe(1);
    expect(decision.action).toBe('scale-in');
    expect(decision.desired).toBe(3);
    expect(decision.instancesToDrain).toEqual(['i-b']);
    expect(readme).toContain("**scale-in to 3 draining `['i-b']`**");
  });
});
