import { parseTrace } from '@elastic-ci/simulator';
import { describe, expect, it } from 'vitest';
import { cutTrace } from './cut-trace';
import { planReplay } from './replay-plan';

const TRACE = [
  '{"trace":"tiny","start":"2026-11-02T00:00:00Z","spanSec":7200,"description":"hand-made","jobs":6}',
  '{"job":"a","build":"b1","queue":"default","createdAt":0,"durationSec":60}',
  '{"job":"b","build":"b1","queue":"default","createdAt":0,"durationSec":30,"dependsOn":["a"]}',
  '{"job":"c","build":"b2","queue":"default","createdAt":1799,"durationSec":10}',
  '{"job":"d","build":"b3","queue":"default","createdAt":1800,"durationSec":10}',
  '{"job":"e","build":"b4","queue":"default","createdAt":3600,"durationSec":20}',
  '{"job":"f","build":"b4","queue":"default","createdAt":3600,"durationSec":20,"dependsOn":["e"]}',
].join('\n');

describe('cutTrace', () => {
  it('keeps the jobs created before the cut, with their dependencies re-indexed', () => {
    // Act
    const cut = cutTrace(parseTrace(TRACE, 'tiny.jsonl'), 1800);

    // Assess
    expect(cut.jobs.map((job) => job.id)).toEqual(['a', 'b', 'c']);
    expect(cut.jobs[1]?.dependsOn).toEqual([0]);
    expect(cut.spanSec).toBe(1800);
    expect(cut.name).toBe('tiny');
  });

  it('drops a job whose dependency is outside the cut', () => {
    // Arrange: a dependency created later than its dependent (legal in a trace file).
    const trace = parseTrace(
      [
        '{"trace":"odd","start":"2026-11-02T00:00:00Z","spanSec":100}',
        '{"job":"late-dependent","build":"b","queue":"q","createdAt":10,"durationSec":1,"dependsOn":["later"]}',
        '{"job":"later","build":"b","queue":"q","createdAt":60,"durationSec":1}',
      ].join('\n'),
    );

    // Act
    const cut = cutTrace(trace, 50);

    // Assess
    expect(cut.jobs).toEqual([]);
    expect(cut.queues).toEqual(['q']);
  });

  it('cuts a window from later in the trace, shifting its jobs and wall clock to start at t = 0', () => {
    // Act: 1799 s to 3599 s.
    const cut = cutTrace(parseTrace(TRACE), 1800, 1799);

    // Assess: c at 1799 and d at 1800 are in; a, b (0 s) and e, f (3600 s) are not.
    expect(cut.jobs.map((job) => [job.id, job.createdAtSec])).toEqual([
      ['c', 0],
      ['d', 1],
    ]);
    expect(cut.startEpochMs).toBe(Date.parse('2026-11-02T00:00:00Z') + 1_799_000);
    expect(cut.spanSec).toBe(1800);
    // Up to the end of the trace only: 7200 − 6000 s left.
    expect(cutTrace(parseTrace(TRACE), 3600, 6000).spanSec).toBe(1200);
  });

  it('keeps the whole trace when the cut is longer than it', () => {
    const cut = cutTrace(parseTrace(TRACE), 86_400);
    expect(cut.jobs).toHaveLength(6);
    expect(cut.spanSec).toBe(7200);
  });
});

describe('planReplay', () => {
  it('lists jobs by time with dependency ids, never a job before its dependency', () => {
    // Arrange: "late" depends on "early-id" listed after it.
    const trace = parseTrace(
      [
        '{"trace":"order","start":"2026-11-02T00:00:00Z","spanSec":100}',
        '{"job":"late","build":"b","queue":"q","createdAt":5,"durationSec":3,"dependsOn":["dep"]}',
        '{"job":"dep","build":"b","queue":"q","createdAt":5,"durationSec":4}',
        '{"job":"first","build":"c","queue":"q","createdAt":1,"durationSec":2}',
      ].join('\n'),
    );

    // Act
    const plan = planReplay(trace);

    // Assess
    expect(plan).toEqual([
      { atWorldSec: 1, id: 'first', queue: 'q', durationSec: 2, dependsOn: [] },
      { atWorldSec: 5, id: 'dep', queue: 'q', durationSec: 4, dependsOn: [] },
      { atWorldSec: 5, id: 'late', queue: 'q', durationSec: 3, dependsOn: ['dep'] },
    ]);
  });
});
