import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePolicies } from './compare.js';
import { parsePolicy } from './policy.js';
import { PRESETS } from './presets.js';
import { buildReport } from './report.js';
import { bundledTracePath } from './run-cli.js';
import { ScalerCorePolicy, scalerConfigOf } from './scaler-core-policy.js';
import { type SimulationOptions, type SimulationResult, simulate } from './simulation.js';
import { controlOf, fixed, fleetOf, type JobSpec, ReactivePolicy, ScriptedPolicy, traceOf } from './test-support.js';
import { parseTrace } from './trace.js';

const HAND_FLEET = { bootSec: fixed(100), agentRegistrationSec: 0, shutdownSec: 20, idleTimeoutSec: 600 };
const EVERY_TEN_SECONDS = { scheduleSec: 60, pollIntervalSec: 10, invocationTimeoutSec: 60 };

function run(jobs: readonly JobSpec[], overrides: Partial<SimulationOptions> = {}): SimulationResult {
  return simulate({
    trace: traceOf(jobs),
    fleet: fleetOf(HAND_FLEET),
    control: controlOf(EVERY_TEN_SECONDS),
    policy: new ReactivePolicy(),
    seed: 1,
    queue: 'default',
    recordStarts: true,
    ...overrides,
  });
}

function expectConservation(result: SimulationResult): void {
  // Every job ran to completion exactly once, every start was on an in-service instance, nothing was killed.
  expect([...result.completionsPerJob].every((count) => count === 1)).toBe(true);
  expect(result.unfinishedJobs).toBe(0);
  expect(result.interruptedJobs).toBe(0);
  expect(result.starts?.every((start) => start.instanceState === 'in-service')).toBe(true);
}

describe('Function: simulate — hand-computable micro traces', () => {
  it('waits between the boot time and boot + poll interval for one job on an empty fleet', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 3000, noNaN: true }), fc.integer({ min: 1, max: 600 }), (at, duration) => {
        // Prepare / Act
        const result = run([{ id: 'only', at, duration }]);

        // Assess: the next 10 s poll sees the job, a 100 s boot later the agent takes it.
        expect(result.waitsSec).toHaveLength(1);
        const wait = result.waitsSec[0] as number;
        expect(wait).toBeGreaterThanOrEqual(100);
        expect(wait).toBeLessThanOrEqual(110);
      }),
      { numRuns: 60 },
    );
  });

  it('waits up to boot + 20 s with Buildkite polls at 0–40 s of a 50 s invocation each minute', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 3000, noNaN: true }), (at) => {
        const result = run([{ id: 'only', at, duration: 30 }], {
          control: controlOf({ scheduleSec: 60, pollIntervalSec: 10, invocationTimeoutSec: 50 }),
        });
        const wait = result.waitsSec[0] as number;
        expect(wait).toBeGreaterThanOrEqual(100);
        expect(wait).toBeLessThanOrEqual(120);
      }),
      { numRuns: 40 },
    );
  });

  it('bills boot + job + idle period + shutdown for one job, then scales to zero', () => {
    // Prepare: the job appears at 5 s, the poll at 10 s launches, boot 100 s, job 50 s, idle 600 s, shutdown 20 s.
    const result = run([{ id: 'only', at: 5, duration: 50 }]);

    // Assess
    expect(result.waitsSec[0]).toBe(105);
    expect(result.instanceHours * 3600).toBeCloseTo(100 + 50 + 600 + 20, 6);
    expect(result.idleInstanceHours * 3600).toBeCloseTo(600, 6);
    expect(result.endSec).toBeCloseTo(10 + 100 + 50 + 600 + 20, 6);
    expect(result.runningInstancesAtEnd).toBe(0);
    expect(result.coldLaunches).toBe(1);
    expect(result.terminateInstanceCalls).toBe(1);
    expectConservation(result);
  });

  it('scales to zero after the idle period with scaler-core driving the buildkite-tuned preset', () => {
    // Prepare
    const policy = parsePolicy(PRESETS['buildkite-tuned'], 'preset');
    const jobs = Array.from({ length: 6 }, (_, index) => ({ id: `j${index}`, at: 30 + index, duration: 120 }));

    // Act
    const result = simulate({
      trace: traceOf(jobs),
      fleet: { ...policy.fleet, bootSec: 100, agentRegistrationSec: 0 },
      control: policy.control,
      policy: new ScalerCorePolicy(scalerConfigOf(policy)),
      seed: 1,
      queue: 'default',
      recordStarts: true,
    });

    // Assess: at least six instances (Buildkite's availability boost may add one while agents register), each gone
    // 600 s after its last job (+20 s shutdown); the run ends when the last one stops.
    expect(result.peakInstances).toBeGreaterThanOrEqual(6);
    expect(result.runningInstancesAtEnd).toBe(0);
    const lastFinish = Math.max(...(result.starts ?? []).map((start) => start.atSec + 120));
    expect(result.endSec).toBeCloseTo(lastFinish + 600 + 20, 6);
    expectConservation(result);
  });

  it('reuses an idle agent instead of launching when a job arrives within the idle period', () => {
    const result = run([
      { id: 'first', at: 5, duration: 50 },
      { id: 'second', at: 400, duration: 50 },
    ]);
    expect([...result.waitsSec]).toEqual([0, 105]);
    expect(result.coldLaunches).toBe(1);
  });

  it('schedules a job only after its dependency finishes and measures its wait from then', () => {
    const result = run([
      { id: 'build', at: 5, duration: 50 },
      { id: 'test', at: 5, duration: 50, dependsOn: ['build'] },
    ]);
    // build waits 105 s; test becomes scheduled when build ends and takes the same, now idle, agent at once.
    expect([...result.waitsSec]).toEqual([0, 105]);
    expect(result.starts?.map((start) => start.job)).toEqual(['build', 'test']);
  });

  it('resumes from the warm pool instead of booting cold', () => {
    const result = run([{ id: 'only', at: 1000, duration: 50 }], {
      fleet: fleetOf({
        ...HAND_FLEET,
        warmPool: { minSize: 1, resumeSec: fixed(20), reuseOnScaleIn: true },
      }),
    });
    // Poll at 1000 s sees it, the pooled instance resumes in 20 s.
    expect(result.waitsSec[0]).toBe(20);
    expect(result.warmResumes).toBe(1);
    expectConservation(result);
  });

  it("prepares the warm pool for waiting jobs when the decision raises the pool's MinSize", () => {
    // build runs 300 s; test-1 and test-2 wait behind it. test-1 takes build's agent, test-2 needs an instance.
    const jobs = [
      { id: 'build', at: 5, duration: 300 },
      { id: 'test-1', at: 5, duration: 200, dependsOn: ['build'] },
      { id: 'test-2', at: 5, duration: 200, dependsOn: ['build'] },
    ];
    const fleet = fleetOf({ ...HAND_FLEET, warmPool: { resumeSec: fixed(20), reuseOnScaleIn: true } });
    const poolFor = (withPool: boolean) =>
      new ScriptedPolicy((observation) => {
        const { queue } = observation;
        const needed = queue.scheduledJobs + queue.runningJobs;
        return {
          desired: Math.max(observation.group.desired, needed),
          warmPoolMinSize: withPool ? Math.max(0, queue.waitingJobs - queue.idleAgents) : null,
        };
      });

    const prepared = run(jobs, { fleet, policy: poolFor(true) });
    const cold = run(jobs, { fleet, policy: poolFor(false) });

    // build waits its 100 s boot (poll at 10 s ends at 110 s) and ends at 410 s; test-2 is seen at the 410 s poll:
    // one pooled instance resumes in 20 s, without the pool it boots cold in 100 s (test-1 still runs then).
    expect([...prepared.waitsSec]).toEqual([0, 20, 105]);
    expect([...cold.waitsSec]).toEqual([0, 100, 105]);
    expect(prepared.warmResumes).toBe(1);
    expect(cold.warmResumes).toBe(0);
    // MinSize 2 while both tests wait, then 0: PutWarmPool only when it changes.
    expect(prepared.putWarmPoolCalls).toBe(2);
    expect(cold.putWarmPoolCalls).toBe(0);
    expectConservation(prepared);
  });

  it('ignores a warm-pool MinSize when the fleet has no warm pool', () => {
    const result = run([{ id: 'only', at: 5, duration: 50 }], {
      policy: new ScriptedPolicy((observation) => ({ desired: 1, warmPoolMinSize: 3 + observation.group.desired })),
    });

    expect(result.putWarmPoolCalls).toBe(0);
    expect(result.stoppedInstanceHours).toBe(0);
  });

  it('triggers a decision from the webhook a latency after the job is scheduled', () => {
    const result = run([{ id: 'only', at: 3, duration: 50 }], {
      control: controlOf({ ...EVERY_TEN_SECONDS, webhook: { latencySec: fixed(2) } }),
    });
    expect(result.waitsSec[0]).toBe(102);
  });

  it('never runs more jobs at once than agents, with several agents per instance', () => {
    const jobs = Array.from({ length: 5 }, (_, index) => ({ id: `j${index}`, at: 5, duration: 100 }));
    const result = run(jobs, {
      fleet: fleetOf({ ...HAND_FLEET, agentsPerInstance: 2 }),
      policy: new ScriptedPolicy((observation) => ({
        desired: Math.max(
          observation.group.desired,
          Math.ceil((observation.queue.scheduledJobs + observation.queue.runningJobs) / 2),
        ),
      })),
    });
    expect(result.peakInstances).toBe(3);
    expectConservation(result);
  });
});

describe('Function: simulate — several queues', () => {
  it("runs other queues' jobs at once (another fleet) and only scales for its own", () => {
    // Prepare: a 60 s job on another queue gates ours.
    const result = run([
      { id: 'elsewhere', at: 5, duration: 60, queue: 'gpu' },
      { id: 'ours', at: 5, duration: 50, dependsOn: ['elsewhere'] },
    ]);

    // Assess: ours becomes scheduled at 65 s, the 70 s poll launches, it starts at 170 s.
    expect(result.jobs).toBe(1);
    expect([...result.waitsSec]).toEqual([105]);
    expect(result.coldLaunches).toBe(1);
    expect(result.starts?.map((start) => start.job)).toEqual(['ours']);
  });
});

describe('Function: simulate — a policy that never scales out', () => {
  it('gives up a week after the last job and reports the jobs that never ran', () => {
    const result = run([{ id: 'stuck', at: 100, duration: 10 }], {
      policy: new ScriptedPolicy(() => ({ desired: 0 })),
    });
    expect(result.unfinishedJobs).toBe(1);
    expect(result.waitsSec).toHaveLength(0);
    expect(result.endSec).toBe(100 + 7 * 86_400);
    expect(result.instanceHours).toBe(0);
  });
});

describe('Function: simulate — dispatch rule', () => {
  it('gives a job to the agent that most recently completed one, and to never-used agents last', () => {
    // Prepare: three instances kept by MinSize; two jobs end at 210 s and 250 s, the third instance never ran one.
    const result = run(
      [
        { id: 'short', at: 200, duration: 10 },
        { id: 'long', at: 200, duration: 50 },
        { id: 'next', at: 300, duration: 10 },
      ],
      {
        fleet: fleetOf({ ...HAND_FLEET, minSize: 3, idleTimeoutSec: null }),
        policy: new ScriptedPolicy((observation) => ({ desired: observation.group.desired })),
      },
    );

    // Assess
    const instanceOf = (job: string) => result.starts?.find((start) => start.job === job)?.instance;
    expect(instanceOf('next')).toBe(instanceOf('long'));
    expect(new Set(result.starts?.map((start) => start.instance)).size).toBe(2);
  });
});

describe('Function: simulate — never kills a busy job', () => {
  it('lets a drained busy instance finish its job before it stops', () => {
    // Prepare: the policy asks to drain every in-service instance as soon as it sees one busy.
    let drained = '';
    const policy = new ScriptedPolicy((observation) => {
      const busy = observation.group.instances.find((instance) => instance.busyAgents > 0);
      if (busy !== undefined && drained === '') {
        drained = busy.id;
        return { desired: observation.group.desired - 1, instancesToDrain: [busy.id] };
      }
      const needed = observation.queue.scheduledJobs + observation.queue.runningJobs;
      return { desired: drained === '' ? Math.max(observation.group.desired, needed) : observation.group.desired };
    });

    // Act
    const result = run([{ id: 'long', at: 5, duration: 500 }], { policy });

    // Assess: the job ran to the end on the drained instance; the instance stopped 20 s after it, not before.
    expect(drained).not.toBe('');
    expectConservation(result);
    expect(result.endSec).toBeCloseTo(10 + 100 + 500 + 20, 6);
    expect(result.instanceHours * 3600).toBeCloseTo(100 + 500 + 20, 6);
  });

  it('counts spot reclaims separately, retries their jobs, and still completes every job once', () => {
    const trace = parseTrace(readFileSync(bundledTracePath(), 'utf8'), 'bundled');
    const policy = parsePolicy(PRESETS['elastic-ci'], 'preset');
    const result = simulate({
      trace,
      fleet: { ...policy.fleet, spot: { interruptionsPerInstanceHour: 0.5, noticeSec: 120 } },
      control: policy.control,
      policy: new ScalerCorePolicy(scalerConfigOf(policy)),
      seed: 7,
      queue: 'default',
      recordStarts: true,
    });
    expect(result.spotInterruptions).toBeGreaterThan(0);
    expect(result.spotReclaimedJobs).toBeGreaterThan(0);
    expect(result.interruptedJobs).toBe(0);
    expect([...result.completionsPerJob].every((count) => count === 1)).toBe(true);
    expect(result.starts?.every((start) => start.instanceState === 'in-service')).toBe(true);
  });
});

describe('Function: simulate — conservation and determinism', () => {
  const jobArbitrary = fc
    .array(
      fc.record({
        at: fc.integer({ min: 0, max: 7200 }),
        duration: fc.integer({ min: 0, max: 900 }),
        dependencies: fc.array(fc.nat(), { maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 60 },
    )
    .map((specs) =>
      specs.map((spec, index) => ({
        id: `j${index}`,
        at: spec.at,
        duration: spec.duration,
        // Only earlier jobs, so the graph is acyclic.
        dependsOn: index === 0 ? [] : [...new Set(spec.dependencies.map((value) => `j${value % index}`))],
      })),
    );

  it('runs every job to completion exactly once, only on in-service instances, under every preset, with or without spot, 1–4 agents per instance', () => {
    fc.assert(
      fc.property(
        jobArbitrary,
        fc.constantFrom(...Object.keys(PRESETS)),
        fc.nat(),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        (jobs, preset, seed, spot, agentsPerInstance) => {
          const base = parsePolicy(PRESETS[preset], preset);
          const policy = { ...base, fleet: { ...base.fleet, agentsPerInstance } };
          const result = simulate({
            trace: traceOf(jobs, 7200),
            fleet: { ...policy.fleet, spot: spot ? { interruptionsPerInstanceHour: 3, noticeSec: 120 } : null },
            control: policy.control,
            policy: new ScalerCorePolicy(scalerConfigOf(policy)),
            seed,
            queue: 'default',
            recordStarts: true,
          });
          expectConservation(result);
          // One start per job, plus one per retry of a job cancelled by a spot reclaim.
          expect(result.waitsSec).toHaveLength(jobs.length + result.spotReclaimedJobs);
          // Without spot the fleet always scales to zero; with 3 reclaims an hour the ASG keeps replacing reclaimed idle
          // instances (desired is unchanged by a reclaim), so it may still be cycling when the run ends.
          if (!spot) expect(result.runningInstancesAtEnd).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('gives identical JSON for the same seed', () => {
    const trace = parseTrace(readFileSync(bundledTracePath(), 'utf8'), 'bundled');
    const policies = Object.values(PRESETS).map((preset) => parsePolicy(preset, 'preset'));
    const report = (seed: number) =>
      JSON.stringify(
        buildReport(
          trace,
          'default',
          seed,
          comparePolicies({ trace, policies, seed }).map((entry) => entry.summary),
        ),
      );

    expect(report(42)).toBe(report(42));
    expect(report(42)).not.toBe(report(43));
  });
});
