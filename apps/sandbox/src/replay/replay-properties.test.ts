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
  it('keep only jobs created in the window, whose dependencies are all kept, and add each after its dependencies', () => {
    fc.assert(
      fc.property(traceText, fc.integer({ min: 1, max: 7200 }), fc.nat(3600), (text, cutSec, fromSec) => {
        // Arrange
        const trace = parseTrace(text);

        // Act
        const cut = cutTrace(trace, cutSec, fromSec);
        const plan = planReplay(cut);

        // Assess
        const kept = new Set(cut.jobs.map((job) => job.id));
        for (const job of cut.jobs) {
          expect(job.createdAtSec).toBeGreaterThanOrEqual(0);
          expect(job.createdAtSec).toBeLessThan(cutSec);
          for (const dependency of job.dependsOn)
            expect(kept.has((cut.jobs[dependency] as { id: string }).id)).toBe(true);
        }
        // Every job of the trace created in the window whose whole dependency chain is too, is kept, shifted by from.
        const inWindow = (index: number): boolean => {
          const job = trace.jobs[index] as { createdAtSec: number; dependsOn: readonly number[] };
          return job.createdAtSec >= fromSec && job.createdAtSec < fromSec + cutSec && job.dependsOn.every(inWindow);
        };
        expect(kept).toEqual(new Set(trace.jobs.flatMap((job, index) => (inWindow(index) ? [job.id] : []))));
        const original = new Map(trace.jobs.map((job) => [job.id, job.createdAtSec]));
        for (const job of cut.jobs) expect(job.createdAtSec).toBe((original.get(job.id) as number) - fromSec);
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
