import { describe, expect, it } from 'vitest';
import { buildDemoReport, diagnoseRun, formatDemoReport } from './demo-report';
import { measureRun } from './measure';
import { PREDICTED_SUMMARY, RECORDED_RUN } from './recorded-run.fixture';

const physics = { agentPingIntervalSec: 60, pollIntervalSec: 10, bootSec: 100, registrationSec: 10 };

function report(run = RECORDED_RUN) {
  return buildDemoReport({
    run,
    measured: measureRun(run, 60),
    prediction: { summary: PREDICTED_SUMMARY, endSec: 3_900 },
    physics,
    webhooks: { sent: 5, failed: 0 },
  });
}

describe('buildDemoReport', () => {
  it('puts each measured figure beside the prediction and says which differ and why', () => {
    // Act
    const { figures, interruptedJobs } = report();

    // Assess: measured 4 run vs 5 predicted; p95 100 vs 40 is 60 s apart (> the 10 s poll, > 15 % of 100);
    // 1.517 vs 1.5 instance-hours is within 0.05 h; 4 vs 4 actions.
    expect(figures.map(({ figure, measured, predicted, agrees }) => [figure, measured, predicted, agrees])).toEqual([
      ['jobs run', 4, 5, false],
      ['wait p50 (s)', 10, 10, true],
      ['wait p95 (s)', 100, 40, false],
      ['instance-hours', 1.517, 1.5, true],
      ['scaling actions', 4, 4, true],
      ['jobs interrupted', 0, 0, true],
    ]);
    expect(figures[0]?.why).toBe('-20%: 1 job(s) had not finished when the sandbox stopped at +01:01:40');
    expect(figures[2]?.why).toBe(
      '+150%: longer in the sandbox: the real scaler first raised desired capacity 0 world s after the first job was scheduled (the model: at its next poll, ≤ 10 s); the first agent connected 120 world s after that (the model: boot 100 s + registration 10 s); the replay ran up to 12 world s behind the trace; every step is a real process on this machine, and each real second is 60 world seconds',
    );
    expect(figures[1]?.why).toBe('');
    expect(interruptedJobs).toBe(0);
  });

  it('reports an interrupted job as a failure', () => {
    const run = {
      ...RECORDED_RUN,
      jobs: RECORDED_RUN.jobs.map((job) => (job.id === 'j2' ? { ...job, state: 'canceled', interrupted: true } : job)),
    };
    const built = report(run);
    expect(built.interruptedJobs).toBe(1);
    expect(built.figures[5]?.agrees).toBe(false);
    expect(formatDemoReport(built)).toMatch(/jobs interrupted +1 +0 +must be 0: FAILED/);
  });

  it('explains missing instance-hours by a run stopped before the fleet was at rest', () => {
    const run = { ...RECORDED_RUN, atRest: false, instances: [{ id: 'i-a', running: [{ fromSec: 0, toSec: 1800 }] }] };
    const figure = report(run).figures[3];
    expect(figure?.agrees).toBe(false);
    expect(figure?.why).toBe(
      '-67%: the sandbox stopped at +01:01:40 with instances still up, the simulator counted until its fleet was at rest at +01:05:00',
    );
  });
});

describe('wait reasons', () => {
  it("says how far apart the real scaler's scheduled passes came when that is well beyond its poll interval", () => {
    // Arrange: passes a median 0.75 real s apart at 60× = 45 world s, against the 10 s poll.
    const run = { ...RECORDED_RUN, scheduledPassGapRealSec: 0.75 };

    // Act
    const why = report(run).figures[2]?.why;

    // Assess
    expect(why).toContain(
      "(the model: at its next poll, ≤ 10 s); its scheduled passes came a median 0.75 real s = 45 world s apart, not every 10 s, as each pass's own calls take real time; the first agent connected",
    );
  });

  it('says nothing of the passes when they came about as often as the poll interval', () => {
    // 0.2 real s at 60× = 12 world s: within 1.5 × the 10 s poll.
    expect(report({ ...RECORDED_RUN, scheduledPassGapRealSec: 0.2 }).figures[2]?.why).not.toContain('scheduled passes');
  });
});

describe('scaling actions', () => {
  it("explains fewer calls with the passes the real scaler completed against the model's decisions", () => {
    // Arrange: the fixture's 4 calls against 12 predicted; 7 passes against the fixture's 60 decisions.
    const run = { ...RECORDED_RUN, scalerPasses: 7 };
    const built = buildDemoReport({
      run,
      measured: measureRun(run, 60),
      prediction: { summary: { ...PREDICTED_SUMMARY, scalingApiCalls: 12 }, endSec: 3_900 },
      physics,
    });

    // Assess
    expect(built.figures[4]?.agrees).toBe(false);
    expect(built.figures[4]?.why).toBe(
      "-67%: fewer calls in the sandbox: the real scaler completed 7 passes against the model's 60 decisions (a pass that finds the scaling lease held, or a throttled invocation, decides nothing); each pass acts on the queue as it finds it, so changes the model answers one by one (one call per job or idle instance) are answered together",
    );
  });
});

describe('diagnoseRun', () => {
  it('finds the first scale-out, the first agent and how much longer jobs ran (worked out in the fixture)', () => {
    expect(diagnoseRun(RECORDED_RUN)).toEqual({
      firstScaleOutAfterSec: 0,
      firstAgentAfterScaleOutSec: 120,
      jobRunRatio: 1.5,
    });
  });

  it('says nothing it cannot know', () => {
    expect(diagnoseRun({ ...RECORDED_RUN, samples: [], jobs: [] })).toEqual({});
  });

  it('explains extra instance-hours by jobs that ran longer than the trace says', () => {
    // Arrange: one instance for the whole 3700 s run: 1.028 h against the predicted 0.5 h.
    const run = {
      ...RECORDED_RUN,
      instances: [{ id: 'i-a', running: [{ fromSec: 0 }] }],
      machine: { loadAverage: 7.5, cores: 2 },
    };
    const built = buildDemoReport({
      run,
      measured: measureRun(run, 60),
      prediction: { summary: { ...PREDICTED_SUMMARY, instanceHours: 0.5 }, endSec: 3_900 },
      physics,
    });
    expect(built.figures[3]?.why).toBe(
      '+106%: instances stay up longer in the sandbox: its jobs ran a median 1.5× their trace duration (each job start and finish runs the real instance hooks as processes on this machine (load average 7.5 on 2 cores)), so more instances were busy for longer; the simulator runs each job exactly its trace duration',
    );
  });
});

describe('formatDemoReport', () => {
  it('prints the table with measured and simulator columns and the reasons below', () => {
    const text = formatDemoReport(report());
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'elastic-ci sandbox: trace hand-made, first 1h (5 jobs, queue "default"), policy elastic-ci, speed 60× (1 real s = 60 world s)',
    );
    expect(lines).toContain('                  measured  simulator');
    expect(lines).toContain('wait p95 (s)         100.0       40.0  differs (below)');
    expect(lines).toContain('instance-hours       1.517      1.500  agrees');
    expect(lines).toContain('jobs interrupted         0          0  must be 0: ok');
    expect(text).toContain('where they differ and why:\n- jobs run: -20%');
    expect(text).toContain('job.scheduled webhooks: 5 delivered, 0 not accepted');
    expect(text).toContain(
      'scaling actions in the sandbox: SetDesiredCapacity 3, TerminateInstanceInAutoScalingGroup 1; simulator: SetDesiredCapacity 3, TerminateInstanceInAutoScalingGroup 1, PutWarmPool 0',
    );
  });
});
