import { AGENT_STATE_TAG } from '@elastic-ci/agent-instance/instance-state-tags';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GroupInstance, InstanceDetails } from './ports';
import { findZombies, ZOMBIE_CONFIRM_MS } from './zombie-probe';

const NOW_MS = Date.UTC(2026, 11, 7, 1, 0, 0);
const MINUTE_MS = 60_000;
const settings = { gracePeriodMs: 10 * MINUTE_MS, maxPerPass: 3 };

function instance(id: string, lifecycleState = 'InService', protectedFromScaleIn: boolean | undefined = false) {
  return { id, lifecycleState, protectedFromScaleIn } satisfies GroupInstance;
}

function details(entries: [string, number, Record<string, string>][]): Map<string, InstanceDetails> {
  return new Map(entries.map(([id, launchedAtMs, tags]) => [id, { launchedAtMs, tags }]));
}

describe('Function: findZombies', () => {
  it('chooses an old instance whose agent is not running once seen so for the confirmation window', () => {
    // Prepare
    const instances = [instance('i-zombie'), instance('i-stopped'), instance('i-running')];
    const ec2 = details([
      ['i-zombie', NOW_MS - 60 * MINUTE_MS, {}],
      ['i-stopped', NOW_MS - 30 * MINUTE_MS, { [AGENT_STATE_TAG]: 'stopped' }],
      ['i-running', NOW_MS - 60 * MINUTE_MS, { [AGENT_STATE_TAG]: 'running' }],
    ]);
    const sightings = new Map<string, number>();

    // Act
    const first = findZombies(instances, ec2, sightings, NOW_MS, settings);
    const second = findZombies(instances, ec2, sightings, NOW_MS + ZOMBIE_CONFIRM_MS, settings);

    // Assess
    expect(first).toEqual({ zombies: [], deferred: [] });
    expect(second.zombies).toEqual([
      {
        id: 'i-zombie',
        launchedAtMs: NOW_MS - 60 * MINUTE_MS,
        agentState: undefined,
        reason: 'agent-state-missing',
        notRunningSinceMs: NOW_MS,
      },
      {
        id: 'i-stopped',
        launchedAtMs: NOW_MS - 30 * MINUTE_MS,
        agentState: 'stopped',
        reason: 'agent-not-running',
        notRunningSinceMs: NOW_MS,
      },
    ]);
  });

  it('never chooses a young, protected, unknown-protection, waiting, warmed or running instance', () => {
    // Prepare
    const old = NOW_MS - 60 * MINUTE_MS;
    const instances = [
      instance('i-young'),
      instance('i-protected', 'InService', true),
      { id: 'i-unknown', lifecycleState: 'InService', protectedFromScaleIn: undefined },
      instance('i-hook', 'Terminating:Wait'),
      instance('i-pending', 'Pending:Wait'),
      instance('i-warm', 'Warmed:Running'),
      instance('i-running'),
      instance('i-no-launch-time'),
    ];
    const ec2 = details([
      ['i-young', NOW_MS - 9 * MINUTE_MS, {}],
      ['i-protected', old, {}],
      ['i-unknown', old, {}],
      ['i-hook', old, {}],
      ['i-pending', old, {}],
      ['i-warm', old, {}],
      ['i-running', old, { [AGENT_STATE_TAG]: 'running' }],
    ]);
    const sightings = new Map<string, number>([['i-running', NOW_MS - 60 * MINUTE_MS]]);

    // Act
    const findings = findZombies(instances, ec2, sightings, NOW_MS + 60 * MINUTE_MS, settings);

    // Assess: only i-young has grown past the grace by then; it is a suspect, not yet confirmed
    expect(findings).toEqual({ zombies: [], deferred: [] });
    expect([...sightings.keys()]).toEqual(['i-young']);
  });

  it('forgets an instance whose agent started, so a later stop starts the window again', () => {
    // Prepare
    const instances = [instance('i-slow')];
    const sightings = new Map<string, number>();
    findZombies(instances, details([['i-slow', NOW_MS - 60 * MINUTE_MS, {}]]), sightings, NOW_MS, settings);

    // Act
    findZombies(
      instances,
      details([['i-slow', NOW_MS - 60 * MINUTE_MS, { [AGENT_STATE_TAG]: 'running' }]]),
      sightings,
      NOW_MS + MINUTE_MS,
      settings,
    );
    const later = findZombies(
      instances,
      details([['i-slow', NOW_MS - 60 * MINUTE_MS, { [AGENT_STATE_TAG]: 'stopped' }]]),
      sightings,
      NOW_MS + ZOMBIE_CONFIRM_MS,
      settings,
    );

    // Assess
    expect(later.zombies).toEqual([]);
    expect(sightings.get('i-slow')).toBe(NOW_MS + ZOMBIE_CONFIRM_MS);
  });

  it('takes at most maxPerPass zombies, oldest first, and defers the rest', () => {
    // Prepare
    const ids = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'];
    const instances = ids.map((id) => instance(id));
    // i-5 launched first, i-1 last
    const ec2 = details(ids.map((id, index) => [id, NOW_MS - (20 + index) * MINUTE_MS, {}]));
    const sightings = new Map(ids.map((id) => [id, NOW_MS - ZOMBIE_CONFIRM_MS]));

    // Act
    const findings = findZombies(instances, ec2, sightings, NOW_MS, settings);

    // Assess
    expect(findings.zombies.map((zombie) => zombie.id)).toEqual(['i-5', 'i-4', 'i-3']);
    expect(findings.deferred).toEqual(['i-2', 'i-1']);
  });

  it('only ever chooses unprotected InService instances past the grace without a running agent (property)', () => {
    const arbitraryInstance = fc.record({
      id: fc.constantFrom('i-a', 'i-b', 'i-c', 'i-d', 'i-e', 'i-f'),
      lifecycleState: fc.constantFrom('InService', 'Pending', 'Terminating:Wait', 'Warmed:Running', 'Standby'),
      protectedFromScaleIn: fc.constantFrom(true, false, undefined),
      launchedAgoMs: fc.option(fc.integer({ min: 0, max: 120 * MINUTE_MS }), { nil: undefined }),
      agentState: fc.constantFrom(undefined, 'running', 'stopped', ''),
      seenAgoMs: fc.option(fc.integer({ min: 0, max: 10 * MINUTE_MS }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(arbitraryInstance, { selector: (candidate) => candidate.id, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        (generated, maxPerPass) => {
          const sightings = new Map<string, number>();
          const ec2 = new Map<string, InstanceDetails>();
          for (const candidate of generated) {
            if (candidate.seenAgoMs !== undefined) sightings.set(candidate.id, NOW_MS - candidate.seenAgoMs);
            const tags: Record<string, string> =
              candidate.agentState === undefined ? {} : { [AGENT_STATE_TAG]: candidate.agentState };
            const launchedAtMs = candidate.launchedAgoMs === undefined ? undefined : NOW_MS - candidate.launchedAgoMs;
            ec2.set(candidate.id, { launchedAtMs, tags });
          }
          const findings = findZombies(generated, ec2, sightings, NOW_MS, { ...settings, maxPerPass });
          expect(findings.zombies.length).toBeLessThanOrEqual(maxPerPass);
          for (const zombie of findings.zombies) {
            const chosen = generated.find((candidate) => candidate.id === zombie.id);
            expect(chosen?.lifecycleState).toBe('InService');
            expect(chosen?.protectedFromScaleIn).toBe(false);
            expect(chosen?.agentState).not.toBe('running');
            expect(chosen?.launchedAgoMs).toBeGreaterThanOrEqual(settings.gracePeriodMs);
            expect(chosen?.seenAgoMs).toBeGreaterThanOrEqual(ZOMBIE_CONFIRM_MS);
          }
        },
      ),
    );
  });
});
