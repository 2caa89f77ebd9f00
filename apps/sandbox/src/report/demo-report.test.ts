import { describe, expect, it } from 'vitest';
import { buildDemoReport, formatDemoReport } from './demo-report';
import { measureRun } from './measure';
import { PREDICTED_SUMMARY, RECORDED_RUN } from './recorded-run.fixture';

const physics = { agentPingIntervalSec: 60, pollIntervalSec: 10 };

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
    expect(figures[2]?.why).toMatch(
      /^\+150%: longer in the sandbox: an agent takes a job on its next ping \(up to 60 world s\)/,
    );
    expect(figures[2]?.why).toContain('up to 12 world s late');
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
