/**
 * Where root keys live. The vault never sees a root key: it asks its provider to wrap and unwrap
 * the per-tenant key-encryption keys (KEKs), with a context that binds each wrapped key to its
 * tenant and purpose. That is exactly the shape of a cloud KMS or an HSM (Encrypt/Decrypt with an
 * encryption context), so adding one means implementing these four members and nothing else:
 *
 * - `kind`: a name for logs and `custodia keys status`;
 * - `currentVersion()`: the root key version new wraps use;
 * - `wrap(plaintext, context)`: returns a self-describing string (it must record which root
 *   version wrapped it); `context` must be authenticated, not encrypted (AAD / EncryptionContext);
 * - `unwrap(wrapped, context)`: the inverse; throws `vault.decrypt_failed` on a wrong context or a
 *   tampered value and `vault.unknown_key_version` when the root version is gone.
 *
 * Providers shipped: `local` (a key file) and `env` (keys in an environment variable).
 */
export interface KeyProvider {
  readonly kind: string;
  currentVersion(): number;
  /** Versions this provider can unwrap with, newest first. */
  versions(): readonly number[];
  wrap(plaintext: Uint8Array, context: readonly string[]): Promise<string>;
  unwrap(wrapped: string, context: readonly string[]): Promise<Buffer>;
}
