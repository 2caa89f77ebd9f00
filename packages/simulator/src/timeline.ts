/** Demand, capacity and wait per fixed-width time bucket: what the chart draws. */
export interface TimelineSeries {
  readonly bucketSec: number;
  /** Peak scheduled + running jobs in each bucket. */
  readonly demand: readonly number[];
  /** Peak registered agents in each bucket. */
  readonly capacity: readonly number[];
  /** Longest wait among the jobs that started in each bucket (0 when none started). */
  readonly maxWaitSec: readonly number[];
  /** Jobs that started in each bucket. */
  readonly starts: readonly number[];
}

/**
 * Collects the series in O(1) per observation: both quantities are step functions, so a bucket's peak is the max of
 * its value on entry and every value set inside it.
 */
export class Timeline {
  private readonly demand: number[] = [];
  private readonly capacity: number[] = [];
  private readonly maxWait: number[] = [];
  private readonly starts: number[] = [];
  private lastDemand = 0;
  private lastCapacity = 0;

  constructor(readonly bucketSec: number) {}

  private extendTo(bucket: number): void {
    while (this.demand.length <= bucket) {
      this.demand.push(this.lastDemand);
      this.capacity.push(this.lastCapacity);
      this.maxWait.push(0);
      this.starts.push(0);
    }
  }

  observe(nowSec: number, demand: number, capacity: number): void {
    const bucket = Math.floor(nowSec / this.bucketSec);
    this.extendTo(bucket);
    if (demand > (this.demand[bucket] as number)) this.demand[bucket] = demand;
    if (capacity > (this.capacity[bucket] as number)) this.capacity[bucket] = capacity;
    this.lastDemand = demand;
    this.lastCapacity = capacity;
  }

  recordWait(nowSec: number, waitSec: number): void {
    const bucket = Math.floor(nowSec / this.bucketSec);
    this.extendTo(bucket);
    if (waitSec > (this.maxWait[bucket] as number)) this.maxWait[bucket] = waitSec;
    this.starts[bucket] = (this.starts[bucket] as number) + 1;
  }

  series(endSec: number): TimelineSeries {
    this.extendTo(Math.max(0, Math.ceil(endSec / this.bucketSec) - 1));
    return {
      bucketSec: this.bucketSec,
      demand: [...this.demand],
      capacity: [...this.capacity],
      maxWaitSec: [...this.maxWait],
      starts: [...this.starts],
    };
  }
}
