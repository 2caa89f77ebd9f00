import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeInterruptions, findSecretLeaks, findZombies, queueDrained } from './invariants';

describe('attributeInterruptions', () => {
  it('charges a crashed agent’s lost job to the crash and every other interruption to us', () => {
    const jobs = [
      { id: 'j1', state: 'lost', agentId: 'crashed', interrupted: true },
      { id: 'j2', state: 'finished', agentId: 'drained', interrupted: true },
      { id: 'j3', state: 'finished', agentId: 'crashed', interrupted: false },
      { id: 'j4', state: 'canceled', interrupted: true },
    ];

    const attribution = attributeInterruptions(jobs, [{ agentId: 'crashed', reason: 'SIGKILL' }]);

    expect(attribution.byInjectedCrash.map((job) => job.id)).toEqual(['j1']);
    expect(attribution.byUs.map((job) => job.id)).toEqual(['j2', 'j4']);
  });

  it('partitions the interrupted jobs: none dropped, none counted twice', () => {
    const job = fc.record({
      id: fc.uuid(),
      state: fc.constantFrom('finished', 'lost', 'canceled'),
      agentId: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
      interrupted: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(job), fc.subarray(['a', 'b', 'c']), (jobs, crashed) => {
        const attribution = attributeInterruptions(
          jobs.map(({ agentId, ...rest }) => (agentId === undefined ? rest : { ...rest, agentId })),
          crashed.map((agentId) => ({ agentId, reason: 'test' })),
        );
        expect(attribution.byInjectedCrash.length + attribution.byUs.length).toBe(
          jobs.filter((candidate) => candidate.interrupted).length,
        );
      }),
    );
  });
});

describe('queueDrained', () => {
  it('is false while any job waits, is scheduled or runs', () => {
    for (const state of ['waiting', 'scheduled', 'assigned', 'accepted', 'running']) {
      expect(
        queueDrained([
          { id: 'a', state: 'finished', interrupted: false },
          { id: 'b', state, interrupted: false },
        ]),
      ).toBe(false);
    }
    expect(
      queueDrained([
        { id: 'a', state: 'finished', interrupted: false },
        { id: 'b', state: 'lost', interrupted: true },
      ]),
    ).toBe(true);
  });
});

describe('findZombies', () => {
  it('reports only in-service instances past the grace period with no running agent', () => {
    const instances = [
      { instanceId: 'i-old-no-agent', lifecycleState: 'InService', launchedAtWorldSec: 0 },
      { instanceId: 'i-old-with-agent', lifecycleState: 'InService', launchedAtWorldSec: 0 },
      { instanceId: 'i-booting', lifecycleState: 'InService', launchedAtWorldSec: 250 },
      { instanceId: 'i-draining', lifecycleState: 'Terminating:Wait', launchedAtWorldSec: 0 },
    ];

    const zombies = findZombies(instances, (id) => id === 'i-old-with-agent', 300, 120);

    expect(zombies).toEqual([{ instanceId: 'i-old-no-agent', inServiceForWorldSec: 300 }]);
  });
});

describe('findSecretLeaks', () => {
  it('names the source, the secret’s label and the line, never the value', () => {
    const leaks = findSecretLeaks(
      [
        { source: 'scaler.log', text: 'ok\nusing token canary-agent-token-123\n' },
        { source: 'host.log', text: 'nothing here' },
      ],
      [
        { label: 'agent token', value: 'canary-agent-token-123' },
        { label: 'empty', value: '' },
      ],
    );

    expect(leaks).toEqual([{ source: 'scaler.log', label: 'agent token', line: 2 }]);
    expect(JSON.stringify(leaks)).not.toContain('canary-agent-token-123');
  });
});
