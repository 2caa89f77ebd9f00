import { parseTrace } from '@elastic-ci/simulator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutTrace } from './cut-trace';
import { planReplay } from './replay-plan';

/** A random valid trace: jobs with random times, each depending on some jobs listed anywhere before or after it. */
const traceText = fc
  .array(fc.record({ createdAt: fc.integer({ min: 0, max: 7200 }), durationSec: fc.integer({ min: 1, max: 900 }) }), {
    minLength: 1,
    maxLength: 30,
  })
  .chain((jobs) =>
    fc
      .tuple(...jobs.map((_, index) => fc.subarray(jobs.map((__, other) => other).filter((other) => other < index))))
      .map((dependencies) => {
        // Dependencies only on earlier indices keep the trace acyclic; the file lists jobs in a shuffled order.
        const lines = jobs.map((job, index) =>
          JSON.stringify({
            job: `j${index}`,
            build: `b${index}`,
            queue: 'default',
            createdAt: job.createdAt,
            durationSec: job.durationSec,
            dependsOn: (dependencies[index] as number[]).map((dependency) => `j${dependency}`),
          }),
        );
        return [
          JSON.stringify({ trace: 'random', start: '2026-11-02T00:00:00Z', spanSec: 7200 }),
          ...lines.reverse(),
        ].join('\n');
      }),
  );

describe('cutTrace and planReplay', () => {
  it('keep only jobs created before the cut, whose dependencies are all kept, and add each after its dependencies', () => {
    fc.assert(
      fc.property(traceText, fc.integer({ min: 1, max: 7200 }), (text, cutSec) => {
        // Arrange
        const trace = parseTrace(text);

        // Act
        const cut = cutTrace(trace, cutSec);
        const plan = planReplay(cut);

        // Assess
        const kept = new Set(cut.jobs.map((job) => job.id));
        for (const job of cut.jobs) {
          expect(job.createdAtSec).toBeLessThan(cutSec);
          for (const dependency of job.dependsOn)
            expect(kept.has((cut.jobs[dependency] as { id: string }).id)).toBe(true);
        }
        // Every job of the trace that is before the cut and whose whole dependency chain is too, is kept.
        const before = (index: number): boolean =>
          (trace.jobs[index] as { createdAtSec: number }).createdAtSec < cutSec &&
          (trace.jobs[index] as { dependsOn: readonly number[] }).dependsOn.every(before);
        expect(kept).toEqual(new Set(trace.jobs.flatMap((job, index) => (before(index) ? [job.id] : []))));
        expect(plan.map((job) => job.id).sort()).toEqual([...kept].sort());
        const position = new Map(plan.map((job, index) => [job.id, index]));
        for (const job of plan) {
          for (const dependency of job.dependsOn) {
            expect(position.get(dependency) as number).toBeLessThan(position.get(job.id) as number);
          }
        }
        // Jobs arrive in time order, never before the trace creates them.
        const created = new Map(cut.jobs.map((job) => [job.id, job.createdAtSec]));
        plan.forEach((job, index) => {
          expect(job.atWorldSec).toBeGreaterThanOrEqual(created.get(job.id) as number);
          if (index > 0)
            expect(job.atWorldSec).toBeGreaterThanOrEqual((plan[index - 1] as { atWorldSec: number }).atWorldSec);
        });
      }),
    );
  });
});
