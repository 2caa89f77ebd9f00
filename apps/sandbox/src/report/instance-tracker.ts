import type { RecordedInstance } from './recorded-run';

/**
 * Running intervals of the group's instances from periodic looks at it. An instance that appears (or leaves) between
 * two looks is taken to have done so halfway between them: unbiased, and off by at most half a look interval.
 */
export class InstanceTracker {
  readonly #open = new Map<string, number>();
  readonly #closed: { id: string; fromSec: number; toSec: number }[] = [];
  #lastSec: number | undefined;

  /** `running`: ids of the instances running at `atSec` (launching, in service, terminating; not stopped in a pool). */
  observe(atSec: number, running: Iterable<string>): void {
    const midpoint = this.#lastSec === undefined ? atSec : (this.#lastSec + atSec) / 2;
    const seen = new Set(running);
    for (const [id, fromSec] of this.#open) {
      if (!seen.has(id)) {
        this.#closed.push({ id, fromSec, toSec: midpoint });
        this.#open.delete(id);
      }
    }
    for (const id of seen) if (!this.#open.has(id)) this.#open.set(id, midpoint);
    this.#lastSec = atSec;
  }

  /** Every instance with its intervals (an instance resumed from a warm pool has several); open ones have no end. */
  instances(): RecordedInstance[] {
    const byId = new Map<string, { fromSec: number; toSec?: number }[]>();
    const add = (id: string, interval: { fromSec: number; toSec?: number }) => {
      const intervals = byId.get(id) ?? [];
      intervals.push(interval);
      byId.set(id, intervals);
    };
    for (const { id, fromSec, toSec } of this.#closed) add(id, { fromSec, toSec });
    for (const [id, fromSec] of this.#open) add(id, { fromSec });
    return [...byId].map(([id, running]) => ({ id, running }));
  }
}
