/**
 * A bounded cache of unwrapped keys: least-recently-used eviction past `maxEntries`, and expiry
 * `ttlMs` after insertion. An evicted or expired key is zeroed, so unwrapped key material lives
 * in memory only as long as it earns its keep.
 */
import type { Clock } from '../platform/clock.js';
import type { SecretKey } from './secret-key.js';

interface Entry {
  readonly key: SecretKey;
  readonly expiresAt: number;
}

export class KeyCache {
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new TypeError('maxEntries must be a non-negative integer');
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): SecretKey | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.clock.now().getTime() || entry.key.destroyed) {
      this.delete(id);
      return undefined;
    }
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry.key;
  }

  /** Caches `key` (which the cache now owns and will zero); returns it for chaining. */
  set(id: string, key: SecretKey): SecretKey {
    if (this.maxEntries === 0) return key;
    const previous = this.#entries.get(id);
    if (previous !== undefined && previous.key !== key) previous.key.destroy();
    this.#entries.delete(id);
    this.#entries.set(id, { key, expiresAt: this.clock.now().getTime() + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.delete(oldest);
    }
    return key;
  }

  delete(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    entry.key.destroy();
  }

  /** Drops every entry whose id starts with `prefix` (for example all keys of one tenant). */
  deletePrefix(prefix: string): void {
    for (const id of [...this.#entries.keys()]) if (id.startsWith(prefix)) this.delete(id);
  }

  clear(): void {
    for (const id of [...this.#entries.keys()]) this.delete(id);
  }
}
