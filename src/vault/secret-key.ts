/**
 * A symmetric key in memory. The bytes are held in a private field, so they are not enumerable,
 * `JSON.stringify` and `util.inspect` show a placeholder, and `String(key)` says nothing. The
 * holder can zero the bytes when the key is no longer needed (cache eviction, shredding).
 */
import { inspect } from 'node:util';

const REDACTED = '[SecretKey redacted]';

export class SecretKey {
  readonly #bytes: Buffer;
  #destroyed = false;

  /** Takes ownership of `bytes`: they are copied and the caller's buffer is zeroed. */
  constructor(bytes: Buffer) {
    if (bytes.length !== 32) throw new TypeError('a SecretKey is 32 bytes (256 bits)');
    // A short Buffer from Buffer.from(string) or Buffer.concat (which is how decoded and unwrapped
    // keys arrive) is a slice of Node's shared 8 KiB pool, readable through any other pooled
    // buffer's `.buffer`. Buffer.alloc never uses the pool, so the key gets memory of its own.
    this.#bytes = Buffer.alloc(32);
    bytes.copy(this.#bytes);
    bytes.fill(0);
  }

  /** The raw bytes, for node:crypto calls only. Throws once the key was destroyed. */
  bytes(): Buffer {
    if (this.#destroyed) throw new TypeError('this key was destroyed');
    return this.#bytes;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Overwrites the bytes with zeros; the key is unusable afterwards. */
  destroy(): void {
    this.#bytes.fill(0);
    this.#destroyed = true;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
