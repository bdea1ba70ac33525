/**
 * A small least-recently-used cache of loaded models, so trying one prompt after another
 * does not reload weights each time. A model evicted while a generation still uses it is
 * disposed when that generation releases it, never under its feet.
 */

export interface Disposable {
  dispose(): void | Promise<void>;
}

interface Entry<T> {
  loading: Promise<T>;
  users: number;
  evicted: boolean;
}

export interface Lease<T> {
  model: T;
  /** Call once when done with the model. */
  release(): void;
}

export class ModelCache<T extends Disposable> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly capacity = 2) {}

  /** The model under `key`, loaded by `load` when absent; a failed load is not cached. */
  async acquire(key: string, load: () => Promise<T>): Promise<Lease<T>> {
    let entry = this.entries.get(key);
    if (entry) {
      // Most recently used goes last (Map keeps insertion order).
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      entry = { loading: load(), users: 0, evicted: false };
      this.entries.set(key, entry);
      this.evictOverflow();
    }
    const held = entry;
    held.users++;
    let model: T;
    try {
      model = await held.loading;
    } catch (e) {
      held.users--;
      if (this.entries.get(key) === held) this.entries.delete(key);
      throw e;
    }
    let released = false;
    return {
      model,
      release: () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.evicted && held.users === 0) void dispose(held);
      },
    };
  }

  /** Keys in least- to most-recently used order. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Dispose everything not in use now (in-use models go when released). */
  clear(): void {
    for (const key of this.keys()) this.evict(key);
  }

  private evictOverflow(): void {
    for (const key of this.keys()) {
      if (this.entries.size <= this.capacity) return;
      this.evict(key);
    }
  }

  private evict(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    entry.evicted = true;
    if (entry.users === 0) void dispose(entry);
  }
}

async function dispose<T extends Disposable>(entry: Entry<T>): Promise<void> {
  try {
    await (await entry.loading).dispose();
  } catch {
    // A model that failed to load has nothing to free.
  }
}
