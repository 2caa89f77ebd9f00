/**
 * A secret read once per container and kept until told it is stale (e.g. after the API answered 401 because the
 * token was rotated). Concurrent readers share one load; a failed load is not cached.
 */
export class CachedSecret {
  #value: Promise<string> | undefined;

  constructor(private readonly load: () => Promise<string>) {}

  get(): Promise<string> {
    if (!this.#value) {
      const loading = this.load();
      this.#value = loading;
      loading.catch(() => {
        if (this.#value === loading) this.#value = undefined;
      });
    }
    return this.#value;
  }

  /** Forgets the value so the next `get` reads it again. */
  invalidate(): void {
    this.#value = undefined;
  }
}
