import { describe, expect, it } from 'vitest';
import { measuredTimeline, renderComparisonChart } from './comparison-chart';
import { buildDemoReport } from './demo-report';
import { measureRun } from './measure';
import type { RecordedRun } from './recorded-run';
import { PREDICTED_SUMMARY, RECORDED_RUN } from './recorded-run.fixture';

const SHORT_RUN: RecordedRun = {
  ...RECORDED_RUN,
  endSec: 180,
  samples: [
    { atSec: 0, scheduled: 1, running: 0, waiting: 0, desired: 1, inService: 0, warm: 0, agents: 0 },
    { atSec: 30, scheduled: 0, running: 1, waiting: 0, desired: 1, inService: 1, warm: 0, agents: 1 },
    { atSec: 130, scheduled: 2, running: 1, waiting: 0, desired: 3, inService: 2, warm: 0, agents: 2 },
  ],
  jobs: [
    { id: 'a', queue: 'default', state: 'finished', scheduledAtSec: 0, startedAtSec: 30, interrupted: false },
    { id: 'b', queue: 'default', state: 'running', scheduledAtSec: 130, startedAtSec: 150, interrupted: false },
    { id: 'c', queue: 'default', state: 'running', scheduledAtSec: 139, startedAtSec: 140, interrupted: false },
    { id: 'x', queue: 'other', state: 'running', scheduledAtSec: 0, startedAtSec: 100, interrupted: false },
  ],
};

describe('measuredTimeline', () => {
  it('takes per-bucket peaks, carries a bucket without samples over, and the longest wait per start bucket', () => {
    // Act: 60 s buckets over 180 s; bucket 1 has no sample and keeps bucket 0's values.
    const timeline = measuredTimeline(SHORT_RUN, 60, 3);

    // Assess
    expect(timeline).toEqual({
      bucketSec: 60,
      demand: [1, 1, 3],
      capacity: [1, 1, 2],
      maxWaitSec: [30, 0, 20],
      starts: [1, 0, 2],
    });
  });
});

describe('renderComparisonChart', () => {
  it('draws the measured and the predicted run as two panels of one SVG', () => {
    const report = buildDemoReport({
      run: SHORT_RUN,
      measured: measureRun(SHORT_RUN, 60),
      prediction: { summary: PREDICTED_SUMMARY, endSec: 180 },
      physics: { pollIntervalSec: 10 },
    });
    const svg = renderComparisonChart(
      SHORT_RUN,
      report,
      { bucketSec: 60, demand: [1, 1, 2], capacity: [0, 1, 2], maxWaitSec: [40, 0, 0], starts: [1, 0, 0] },
      'svg',
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('elastic-ci — sandbox, measured at 60×');
    expect(svg).toContain('elastic-ci — simulator, predicted');
    expect(svg).toContain('wait p95 40 s · 1.5 instance-hours');
  });
});
