/**
 * Runs at most one pass per key at a time. A caller arriving while a pass runs does not start a second one in
 * parallel: all such callers share ONE follow-up pass that starts when the running one ends, so it reads metrics
 * taken after their request arrived. The result is what a single pass on the latest metrics gives, and at most one
 * `SetDesiredCapacity` per group is ever in flight within a container.
 */
export class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>();
  readonly #queued = new Map<string, Promise<T>>();

  run(key: string, pass: () => Promise<T>): Promise<T> {
    const queued = this.#queued.get(key);
    if (queued) return queued;
    const running = this.#running.get(key);
    if (running) {
      const followUp = running
        .catch(() => undefined)
        .then(() => {
          this.#queued.delete(key);
          return this.#start(key, pass);
        });
      this.#queued.set(key, followUp);
      return followUp;
    }
    return this.#start(key, pass);
  }

  /** Whether a pass for `key` is running now. */
  isRunning(key: string): boolean {
    return this.#running.has(key);
  }

  #start(key: string, pass: () => Promise<T>): Promise<T> {
    const started = (async () => pass())();
    this.#running.set(key, started);
    const clear = () => {
      if (this.#running.get(key) === started) this.#running.delete(key);
    };
    started.then(clear, clear);
    return started;
  }
}
