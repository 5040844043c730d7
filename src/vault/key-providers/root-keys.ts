/**
 * The wrapping shared by the providers that hold root keys in this process (`local`, `env`):
 * AES-256-GCM under root key `r<version>`, context bound as associated data.
 */
import { AppError } from '../../platform/errors.js';
import { open, seal } from '../aead.js';
import { associatedData, formatCiphertext, parseCiphertext } from '../ciphertext.js';
import { VaultErrors } from '../errors.js';
import type { SecretKey } from '../secret-key.js';
import type { KeyProvider } from './key-provider.js';

const ROOT_REF = /^r([1-9][0-9]{0,8})$/;

export class InProcessRootKeys implements KeyProvider {
  readonly #keys: ReadonlyMap<number, SecretKey>;
  readonly #versions: readonly number[];

  constructor(
    readonly kind: string,
    keys: ReadonlyMap<number, SecretKey>,
  ) {
    if (keys.size === 0) throw new AppError(VaultErrors.invalid_key_material, { detail: 'The key provider holds no keys' });
    this.#keys = keys;
    this.#versions = [...keys.keys()].sort((a, b) => b - a);
  }

  currentVersion(): number {
    return this.#versions[0] as number;
  }

  versions(): readonly number[] {
    return this.#versions;
  }

  async wrap(plaintext: Uint8Array, context: readonly string[]): Promise<string> {
    const version = this.currentVersion();
    const keyRef = `r${version}`;
    const sealed = seal(this.#keys.get(version) as SecretKey, plaintext, associatedData('root-wrap', keyRef, context));
    return formatCiphertext({ keyRef, ...sealed });
  }

  async unwrap(wrapped: string, context: readonly string[]): Promise<Buffer> {
    const envelope = parseCiphertext(wrapped);
    const match = ROOT_REF.exec(envelope.keyRef);
    if (match === null) throw new AppError(VaultErrors.malformed_ciphertext);
    const key = this.#keys.get(Number(match[1]));
    if (key === undefined) throw new AppError(VaultErrors.unknown_key_version, { detail: `Root key version ${match[1]} is not available from the ${this.kind} key provider` });
    return open(key, envelope, associatedData('root-wrap', envelope.keyRef, context));
  }
}
