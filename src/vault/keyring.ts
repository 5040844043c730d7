/**
 * The key hierarchy of every tenant, in the database and in memory:
 *
 *     root key (KeyProvider) -> tenant KEK versions and blind-index key (tenant_keys)
 *                            -> one data key per record (data_keys, wrapped by a KEK version)
 *
 * Unwrapped keys are cached (see KeyCache); the rows are always read in the caller's transaction,
 * so a key that was destroyed (record erased, KEK retired) stops working in every process at once.
 *
 * Tenant keys are cached by their wrapped text, never by (tenant, purpose, version) alone: the
 * cache is then a pure memo of the provider's unwrap, right whatever transaction produced the
 * entry. A key generated in a transaction that rolled back (and so never stored, or stored
 * differently by another process) can only be found again through its own wrapped text, which no
 * committed row holds; caching it by version made it wrap data keys and blind indexes that no
 * other process, and no later restart, could open.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { open, seal } from './aead.js';
import { associatedData, formatCiphertext, parseCiphertext } from './ciphertext.js';
import type { DataKeyRow } from './data-key-row.js';
import { VaultErrors } from './errors.js';
import type { KeyCache } from './key-cache.js';
import type { KeyProvider } from './key-providers/key-provider.js';
import { SecretKey } from './secret-key.js';

/** The row a data key protects: its table and id. One data key per owner. */
export interface KeyOwner {
  readonly table: string;
  readonly id: string;
}

export interface DataKey {
  readonly id: string;
  readonly owner: KeyOwner;
  readonly kekVersion: number;
  readonly key: SecretKey;
}

type TenantKeyPurpose = 'kek' | 'index';

export class Keyring {
  constructor(
    private readonly provider: KeyProvider,
    private readonly cache: KeyCache,
    private readonly clock: Clock,
  ) {}

  get providerKind(): string {
    return this.provider.kind;
  }

  /**
   * The tenant's newest active KEK version, creating version 1 on first use. The row stays locked
   * (FOR KEY SHARE, the lock the data_keys foreign key takes anyway) until the transaction ends:
   * a writer that read version 1 just before a rotation may insert its data key under version 1
   * after the rewrap job finished, and `retireKek` (FOR UPDATE) must wait for it and then count
   * that key, rather than erase version 1 from under it.
   */
  async currentKek(tx: Tx, tenantId: string): Promise<{ version: number; key: SecretKey }> {
    const row = await tx
      .selectFrom('tenant_keys')
      .select(['version', 'wrapped_key'])
      .where('purpose', '=', 'kek')
      .where('state', '=', 'active')
      .orderBy('version', 'desc')
      .limit(1)
      .forKeyShare()
      .executeTakeFirst();
    if (row !== undefined) return { version: row.version, key: await this.#unwrapTenantKey(tenantId, 'kek', row.version, row.wrapped_key) };
    return this.#createTenantKey(tx, tenantId, 'kek', 1);
  }

  /** A given KEK version (for unwrapping data keys sealed under it). */
  async kek(tx: Tx, tenantId: string, version: number): Promise<SecretKey> {
    // Always read the row (cheap, by primary key): it says whether the version is still active
    // (retired elsewhere?) and which wrapped key is the committed one (see the cache note above).
    const row = await tx
      .selectFrom('tenant_keys')
      .select(['wrapped_key', 'state'])
      .where('purpose', '=', 'kek')
      .where('version', '=', version)
      .executeTakeFirst();
    if (row === undefined || row.state !== 'active') {
      throw new AppError(VaultErrors.unknown_key_version, { detail: `Key-encryption key version ${version} is not available` });
    }
    return this.#unwrapTenantKey(tenantId, 'kek', version, row.wrapped_key);
  }

  /** The tenant's blind-index key (version 1, created on first use). Never used to encrypt. */
  async indexKey(tx: Tx, tenantId: string): Promise<SecretKey> {
    // Always read the row first: a key cached without it may be one whose creation rolled back.
    const row = await tx.selectFrom('tenant_keys').select(['wrapped_key']).where('purpose', '=', 'index').where('version', '=', 1).executeTakeFirst();
    if (row !== undefined) return this.#unwrapTenantKey(tenantId, 'index', 1, row.wrapped_key);
    return (await this.#createTenantKey(tx, tenantId, 'index', 1)).key;
  }

  /** Adds a new KEK version; new data keys use it at once. Returns the new version. */
  async addKekVersion(tx: Tx, tenantId: string): Promise<number> {
    // Serialises concurrent rotations of one tenant (the row lock also orders them with readers).
    await sql`select pg_advisory_xact_lock(hashtextextended(${`custodia.kek.${tenantId}`}, 0))`.execute(tx);
    const latest = await tx.selectFrom('tenant_keys').select((eb) => eb.fn.max('version').as('v')).where('purpose', '=', 'kek').executeTakeFirst();
    const next = (latest?.v ?? 0) + 1;
    await this.#createTenantKey(tx, tenantId, 'kek', next);
    return next;
  }

  /** The owner's data key, created (under the current KEK) if it does not exist yet. */
  async dataKeyFor(tx: Tx, tenantId: string, owner: KeyOwner): Promise<DataKey> {
    const existing = await this.#findDataKey(tx, tenantId, owner);
    if (existing !== undefined) return existing;
    const kek = await this.currentKek(tx, tenantId);
    const id = newId();
    const bytes = randomBytes(32);
    const wrapped = wrapDataKey(kek.key, kek.version, tenantId, id, owner, bytes);
    const inserted = await tx
      .insertInto('data_keys')
      .values({ id, tenant_id: tenantId, owner_table: owner.table, owner_id: owner.id, kek_version: kek.version, wrapped_key: wrapped, created_at: this.clock.now(), rewrapped_at: null })
      .onConflict((oc) => oc.constraint('data_keys_owner_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted === undefined) {
      // Another transaction created it first; use theirs.
      bytes.fill(0);
      const theirs = await this.#findDataKey(tx, tenantId, owner);
      if (theirs === undefined) throw new AppError(VaultErrors.key_shredded);
      return theirs;
    }
    return { id, owner, kekVersion: kek.version, key: this.cache.set(cacheId(tenantId, 'dek', id), new SecretKey(bytes)) };
  }

  /**
   * The data key of a row the caller read in this transaction (src/vault/data-key-row.ts), as
   * {@link dataKeyById} would return it after its own read: the same unwrap, the same cache.
   */
  async dataKeyFromRow(tx: Tx, tenantId: string, row: DataKeyRow): Promise<DataKey> {
    return this.#unwrapDataKey(tx, tenantId, row);
  }

  /** A data key by id, checked against the database in this transaction (so shredding is final). */
  async dataKeyById(tx: Tx, tenantId: string, id: string): Promise<DataKey> {
    const row = await tx.selectFrom('data_keys').select(['id', 'owner_table', 'owner_id', 'kek_version', 'wrapped_key']).where('id', '=', id).executeTakeFirst();
    if (row === undefined) {
      // "Erased" only for a key this tenant erased; any other missing key is a value that does not open.
      const erased = await tx.selectFrom('shredded_data_keys').select('id').where('id', '=', id).executeTakeFirst();
      throw new AppError(erased === undefined ? VaultErrors.decrypt_failed : VaultErrors.key_shredded);
    }
    return this.#unwrapDataKey(tx, tenantId, row);
  }

  /** Deletes the owner's data key: every ciphertext under it becomes undecryptable, everywhere. */
  async shred(tx: Tx, tenantId: string, owner: KeyOwner): Promise<boolean> {
    const row = await tx.deleteFrom('data_keys').where('owner_table', '=', owner.table).where('owner_id', '=', owner.id).returning('id').executeTakeFirst();
    if (row === undefined) return false;
    await tx.insertInto('shredded_data_keys').values({ tenant_id: tenantId, id: row.id, owner_table: owner.table, owner_id: owner.id, shredded_at: this.clock.now() }).execute();
    this.cache.delete(cacheId(tenantId, 'dek', row.id));
    return true;
  }

  /**
   * Re-wraps up to `limit` data keys still under an older KEK with the current one. Rows are
   * claimed with FOR UPDATE SKIP LOCKED, so several workers can share the work; each batch is one
   * transaction, so a crash loses at most the batch in flight (which is simply redone).
   */
  async rewrapBatch(tx: Tx, tenantId: string, limit: number): Promise<{ rewrapped: number; targetVersion: number }> {
    const target = await this.currentKek(tx, tenantId);
    const rows = await tx
      .selectFrom('data_keys')
      .select(['id', 'owner_table', 'owner_id', 'kek_version', 'wrapped_key'])
      .where('kek_version', '<', target.version)
      .orderBy('id')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    for (const row of rows) {
      const dek = await this.#unwrapDataKey(tx, tenantId, row);
      const owner = { table: row.owner_table, id: row.owner_id };
      const wrapped = wrapDataKey(target.key, target.version, tenantId, row.id, owner, dek.key.bytes());
      await tx.updateTable('data_keys').set({ kek_version: target.version, wrapped_key: wrapped, rewrapped_at: this.clock.now() }).where('id', '=', row.id).execute();
    }
    return { rewrapped: rows.length, targetVersion: target.version };
  }

  /**
   * How many data keys still depend on KEK versions older than `targetVersion`, counted only after
   * every writer that took an older version as current has finished: `currentKek` holds FOR KEY
   * SHARE on the version it hands out, and FOR UPDATE here waits for those locks. A writer that
   * read version 1 just before a rotation committed may insert its data key after the last batch;
   * without this wait the job would call itself done while that key still needs re-wrapping.
   */
  async remainingToRewrap(tx: Tx, targetVersion: number): Promise<number> {
    await tx.selectFrom('tenant_keys').select('version').where('purpose', '=', 'kek').where('version', '<', targetVersion).where('state', '=', 'active').forUpdate().execute();
    const row = await tx.selectFrom('data_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('kek_version', '<', targetVersion).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** How many data keys each KEK version still wraps, with its state. */
  async kekStatus(tx: Tx): Promise<{ version: number; state: 'active' | 'retired'; createdAt: Date; retiredAt: Date | null; dataKeys: number }[]> {
    const versions = await tx.selectFrom('tenant_keys').select(['version', 'state', 'created_at', 'retired_at']).where('purpose', '=', 'kek').orderBy('version').execute();
    const counts = await tx
      .selectFrom('data_keys')
      .select(['kek_version', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('kek_version')
      .execute();
    const byVersion = new Map(counts.map((c) => [c.kek_version, Number(c.n)]));
    return versions.map((v) => ({ version: v.version, state: v.state, createdAt: v.created_at, retiredAt: v.retired_at, dataKeys: byVersion.get(v.version) ?? 0 }));
  }

  /**
   * Retires a KEK version that no data key depends on any more: its wrapped bytes are erased, so
   * it can never be used again. Refused for the current version and while data keys use it.
   */
  async retireKek(tx: Tx, tenantId: string, version: number): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`custodia.kek.${tenantId}`}, 0))`.execute(tx);
    const current = await this.currentKek(tx, tenantId);
    if (version === current.version) throw new AppError(VaultErrors.key_in_use, { detail: 'The current key-encryption key cannot be retired; rotate first' });
    const row = await tx.selectFrom('tenant_keys').select(['state']).where('purpose', '=', 'kek').where('version', '=', version).forUpdate().executeTakeFirst();
    if (row === undefined || row.state !== 'active') throw new AppError(VaultErrors.unknown_key_version, { detail: `Key-encryption key version ${version} is not an active version` });
    const users = await tx.selectFrom('data_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('kek_version', '=', version).executeTakeFirstOrThrow();
    if (Number(users.n) > 0) throw new AppError(VaultErrors.key_in_use, { detail: `${Number(users.n)} data keys still depend on version ${version}; let the rotation job finish` });
    await tx.updateTable('tenant_keys').set({ state: 'retired', retired_at: this.clock.now(), wrapped_key: 'retired' }).where('purpose', '=', 'kek').where('version', '=', version).execute();
    this.cache.deletePrefix(tenantKeyCacheId(tenantId, 'kek', version, ''));
  }

  async #findDataKey(tx: Tx, tenantId: string, owner: KeyOwner): Promise<DataKey | undefined> {
    const row = await tx
      .selectFrom('data_keys')
      .select(['id', 'owner_table', 'owner_id', 'kek_version', 'wrapped_key'])
      .where('owner_table', '=', owner.table)
      .where('owner_id', '=', owner.id)
      .executeTakeFirst();
    return row === undefined ? undefined : this.#unwrapDataKey(tx, tenantId, row);
  }

  async #unwrapDataKey(tx: Tx, tenantId: string, row: { id: string; owner_table: string; owner_id: string; kek_version: number; wrapped_key: string }): Promise<DataKey> {
    const id = cacheId(tenantId, 'dek', row.id);
    const owner = { table: row.owner_table, id: row.owner_id };
    const cached = this.cache.get(id);
    if (cached !== undefined) return { id: row.id, owner, kekVersion: row.kek_version, key: cached };
    const kek = await this.kek(tx, tenantId, row.kek_version);
    const envelope = parseCiphertext(row.wrapped_key);
    if (envelope.keyRef !== `k${row.kek_version}`) throw new AppError(VaultErrors.decrypt_failed);
    const bytes = open(kek, envelope, dataKeyAad(envelope.keyRef, tenantId, row.id, owner));
    return { id: row.id, owner, kekVersion: row.kek_version, key: this.cache.set(id, new SecretKey(bytes)) };
  }

  async #unwrapTenantKey(tenantId: string, purpose: TenantKeyPurpose, version: number, wrapped: string): Promise<SecretKey> {
    const id = tenantKeyCacheId(tenantId, purpose, version, wrapped);
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const bytes = await this.provider.unwrap(wrapped, tenantKeyContext(tenantId, purpose, version));
    return this.cache.set(id, new SecretKey(bytes));
  }

  async #createTenantKey(tx: Tx, tenantId: string, purpose: TenantKeyPurpose, version: number): Promise<{ version: number; key: SecretKey }> {
    const bytes = randomBytes(32);
    const wrapped = await this.provider.wrap(bytes, tenantKeyContext(tenantId, purpose, version)).catch((cause: unknown) => {
      throw cause instanceof AppError ? cause : new AppError(VaultErrors.key_provider_failed, { cause });
    });
    const inserted = await tx
      .insertInto('tenant_keys')
      .values({ tenant_id: tenantId, purpose, version, wrapped_key: wrapped, state: 'active', created_at: this.clock.now(), retired_at: null })
      .onConflict((oc) => oc.columns(['tenant_id', 'purpose', 'version']).doNothing())
      .returning('version')
      .executeTakeFirst();
    if (inserted === undefined) {
      // A concurrent first use created it; take theirs.
      bytes.fill(0);
      const row = await tx.selectFrom('tenant_keys').select(['wrapped_key']).where('purpose', '=', purpose).where('version', '=', version).executeTakeFirstOrThrow();
      return { version, key: await this.#unwrapTenantKey(tenantId, purpose, version, row.wrapped_key) };
    }
    return { version, key: this.cache.set(tenantKeyCacheId(tenantId, purpose, version, wrapped), new SecretKey(bytes)) };
  }
}

/** Data keys: by id (a data key's bytes never change; a rolled-back one's id never comes back). */
function cacheId(tenantId: string, kind: 'dek', ref: string): string {
  return `${tenantId}:${kind}:${ref}`;
}

/** Tenant keys: by their wrapped text (see the note at the top of this file). */
function tenantKeyCacheId(tenantId: string, purpose: TenantKeyPurpose, version: number, wrapped: string): string {
  return `${tenantId}:${purpose}:${version}:${wrapped}`;
}

/** What a tenant key is bound to at the provider: which tenant, purpose and version. */
function tenantKeyContext(tenantId: string, purpose: TenantKeyPurpose, version: number): string[] {
  return ['tenant-key', tenantId, purpose, String(version)];
}

function dataKeyAad(keyRef: string, tenantId: string, dataKeyId: string, owner: KeyOwner): Buffer {
  return associatedData('data-key', keyRef, [tenantId, dataKeyId, owner.table, owner.id]);
}

function wrapDataKey(kek: SecretKey, kekVersion: number, tenantId: string, dataKeyId: string, owner: KeyOwner, bytes: Uint8Array): string {
  const keyRef = `k${kekVersion}`;
  return formatCiphertext({ keyRef, ...seal(kek, bytes, dataKeyAad(keyRef, tenantId, dataKeyId, owner)) });
}
