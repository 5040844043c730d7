/**
 * Checkpoint signatures: Ed25519 (RFC 8032) over a small text note that names the tenant, the
 * tree size, the root and the time. The deployment has one signing key; its private half is
 * stored only wrapped by the key provider (as tenant KEKs are), so a copy of the database alone
 * cannot forge checkpoints. The public key is published (`GET /v1/ledger/public-key`,
 * `custodia ledger pubkey`) for anyone to verify with.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import type { KeyProvider } from '../vault/index.js';
import { LedgerErrors } from './errors.js';

export const CHECKPOINT_NOTE_HEADER = 'custodia-ledger-checkpoint/v1';

export interface Checkpoint {
  readonly tenantId: string;
  readonly size: number;
  readonly root: Buffer;
  /** ISO 8601 UTC with milliseconds. */
  readonly at: string;
}

/** The exact bytes that are signed (docs/ledger.md). */
export function checkpointNote(c: Checkpoint): Buffer {
  return Buffer.from(`${CHECKPOINT_NOTE_HEADER}\ntenant ${c.tenantId}\nsize ${c.size}\nroot ${c.root.toString('base64')}\ntime ${c.at}\n`, 'utf8');
}

/** Key id: the first 8 bytes of SHA-256 over the raw 32-byte public key, in hex. */
export function keyIdOf(rawPublicKey: Uint8Array): string {
  return createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 16);
}

// SPKI DER of an Ed25519 key is this fixed prefix followed by the 32 raw bytes (RFC 8410).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new TypeError('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(ED25519_SPKI_PREFIX.length));
}

/** Checks a checkpoint's signature with a raw public key; false for anything malformed. */
export function verifyCheckpoint(c: Checkpoint, signature: Uint8Array, rawPublic: Uint8Array): boolean {
  if (signature.length !== 64 || rawPublic.length !== 32) return false;
  try {
    return verify(null, checkpointNote(c), publicKeyFromRaw(rawPublic), signature);
  } catch {
    return false;
  }
}

export interface LedgerSigner {
  readonly keyId: string;
  readonly publicKey: Buffer;
  sign(c: Checkpoint): Buffer;
}

const context = (keyId: string) => ['ledger-signing', keyId];

/**
 * The deployment's signing key, created on first use (in platform scope). Later calls load it and
 * unwrap the private key with the provider.
 */
export async function loadSigner(db: Database, provider: KeyProvider, clock: Clock): Promise<LedgerSigner> {
  let row = await db.withPlatform((tx) => tx.selectFrom('ledger_signing_keys').select(['id', 'public_key', 'wrapped_private_key']).orderBy('created_at', 'desc').orderBy('id').limit(1).executeTakeFirst());
  if (row === undefined) {
    const pair = generateKeyPairSync('ed25519');
    const publicKey = rawPublicKey(pair.publicKey);
    const id = keyIdOf(publicKey);
    const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    const wrapped = await provider.wrap(pkcs8, context(id));
    pkcs8.fill(0);
    await db.withPlatform((tx) =>
      tx.insertInto('ledger_signing_keys').values({ id, public_key: publicKey, wrapped_private_key: wrapped, created_at: clock.now() }).onConflict((oc) => oc.column('id').doNothing()).execute(),
    );
    // Another process may have created one at the same moment: everyone uses the newest.
    row = await db.withPlatform((tx) => tx.selectFrom('ledger_signing_keys').select(['id', 'public_key', 'wrapped_private_key']).orderBy('created_at', 'desc').orderBy('id').limit(1).executeTakeFirstOrThrow());
  }
  const { id, public_key: publicKey } = row;
  const der = await provider.unwrap(row.wrapped_private_key, context(id)).catch((cause: unknown) => {
    throw new AppError(LedgerErrors.signing_key_unavailable, { cause });
  });
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  der.fill(0);
  if (!rawPublicKey(createPublicKey(privateKey)).equals(publicKey) || keyIdOf(publicKey) !== id) {
    throw new AppError(LedgerErrors.signing_key_unavailable, { detail: 'The stored signing key does not match its public key' });
  }
  return {
    keyId: id,
    publicKey: Buffer.from(publicKey),
    sign: (c) => sign(null, checkpointNote(c), privateKey),
  };
}

/** Every signing key the deployment has had (for verifiers). */
export async function signingKeys(db: Database): Promise<{ keyId: string; publicKey: Buffer; createdAt: Date }[]> {
  const rows = await db.withPlatform((tx) => tx.selectFrom('ledger_signing_keys').select(['id', 'public_key', 'created_at']).orderBy('created_at').execute());
  return rows.map((r) => ({ keyId: r.id, publicKey: Buffer.from(r.public_key), createdAt: r.created_at }));
}
