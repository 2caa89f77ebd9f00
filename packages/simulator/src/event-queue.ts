/**
 * A binary min-heap of timed events. Ties on time are broken by insertion order, which is what makes a run
 * deterministic: two events at the same second always fire in the order they were scheduled.
 */
export class EventQueue<T> {
  private readonly times: number[] = [];
  private readonly sequences: number[] = [];
  private readonly payloads: T[] = [];
  private nextSequence = 0;

  get size(): number {
    return this.payloads.length;
  }

  push(time: number, payload: T): void {
    this.times.push(time);
    this.sequences.push(this.nextSequence++);
    this.payloads.push(payload);
    this.siftUp(this.payloads.length - 1);
  }

  /** Time of the earliest event, or `undefined` when empty. */
  peekTime(): number | undefined {
    return this.times[0];
  }

  /** Removes and returns the earliest event, or `undefined` when empty. */
  pop(): { time: number; payload: T } | undefined {
    const count = this.payloads.length;
    if (count === 0) return undefined;
    const time = this.times[0] as number;
    const payload = this.payloads[0] as T;
    const last = count - 1;
    if (last > 0) {
      this.move(last, 0);
    }
    this.times.pop();
    this.sequences.pop();
    this.payloads.pop();
    if (last > 0) this.siftDown(0);
    return { time, payload };
  }

  private before(a: number, b: number): boolean {
    const timeA = this.times[a] as number;
    const timeB = this.times[b] as number;
    return timeA < timeB || (timeA === timeB && (this.sequences[a] as number) < (this.sequences[b] as number));
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] as number;
    this.sequences[to] = this.sequences[from] as number;
    this.payloads[to] = this.payloads[from] as T;
  }

  private swap(a: number, b: number): void {
    const time = this.times[a] as number;
    const sequence = this.sequences[a] as number;
    const payload = this.payloads[a] as T;
    this.move(b, a);
    this.times[b] = time;
    this.sequences[b] = sequence;
    this.payloads[b] = payload;
  }

  private siftUp(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.before(child, parent)) return;
      this.swap(child, parent);
      child = parent;
    }
  }

  private siftDown(index: number): void {
    const count = this.payloads.length;
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      if (left >= count) return;
      const right = left + 1;
      const smallest = right < count && this.before(right, left) ? right : left;
      if (!this.before(smallest, parent)) return;
      this.swap(smallest, parent);
      parent = smallest;
    }
  }
}
