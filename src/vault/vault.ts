/**
 * The vault's public operations, each inside the caller's transaction (so that a value, its
 * blind index and the audit entry of the change commit together or not at all):
 *
 * - `withRecord` opens a record's cipher to encrypt and decrypt its fields;
 * - `setBlindIndex` / `findByBlindIndex` find records by phone, email or document number
 *   without decrypting anything;
 * - `tokenizeCard` / `detokenizeCard` replace card numbers by format-preserving tokens;
 * - `shred` erases a record's data key: its ciphertexts, wherever copied, are dead.
 */
import type { Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { makeCardToken, parsePan } from './card-token.js';
import type { DataKeyRow } from './data-key-row.js';
import { TokenErrors, VaultErrors } from './errors.js';
import { type FieldLocation, openRecordForRead, openRecordForWrite, type RecordCipher } from './field-cipher.js';
import { parseCiphertext } from './ciphertext.js';
import { hkdfSha256, hmacSha256 } from './kdf.js';
import type { KeyOwner, Keyring } from './keyring.js';
import { normalizeDocument, normalizeEmail, normalizePhone, type PhoneCountry } from './normalize.js';

export type BlindIndexKind = 'phone' | 'email' | 'document';

/**
 * Who asks for a clear card number, and why. Only `payment` may (PCI DSS 3.5: access on a
 * need-to-know basis); every detokenization is recorded in the ledger with this actor and purpose.
 */
export interface Detokenizer {
  readonly role: string;
  readonly id: string;
  /** `service` for the payment platform's own account; an agent otherwise. */
  readonly actorType?: 'agent' | 'service';
  /** Purpose code recorded in the ledger, e.g. `refund` or `recurring_charge`. */
  readonly purpose: string;
  readonly requestId?: string;
}

export interface VaultOptions {
  readonly keyring: Keyring;
  readonly clock: Clock;
  /** Bytes kept of each blind-index HMAC (see docs/vault.md for the trade-off). */
  readonly blindIndexBytes: number;
  /** Country assumed for phone numbers written without an international prefix. */
  readonly defaultPhoneCountry?: PhoneCountry | undefined;
}

export function normalizeForIndex(kind: BlindIndexKind, value: string, defaultCountry?: PhoneCountry): string {
  switch (kind) {
    case 'phone':
      return normalizePhone(value, defaultCountry);
    case 'email':
      return normalizeEmail(value);
    case 'document':
      return normalizeDocument(value);
  }
}

export class Vault {
  constructor(private readonly options: VaultOptions) {
    if (!Number.isInteger(options.blindIndexBytes) || options.blindIndexBytes < 2 || options.blindIndexBytes > 32) {
      throw new TypeError('blindIndexBytes must be an integer from 2 to 32');
    }
  }

  get keyring(): Keyring {
    return this.options.keyring;
  }

  /**
   * Runs `fn` with the cipher of `owner` (its data key created on first use) and zeroes the
   * cipher's key copy afterwards.
   */
  async withRecord<T>(tx: Tx, tenantId: string, owner: KeyOwner, fn: (cipher: RecordCipher) => T | Promise<T>): Promise<T> {
    const cipher = await openRecordForWrite(this.options.keyring, tx, tenantId, owner);
    try {
      return await fn(cipher);
    } finally {
      cipher.close();
    }
  }

  async encryptField(tx: Tx, tenantId: string, owner: KeyOwner, location: FieldLocation, plaintext: string): Promise<string> {
    return this.withRecord(tx, tenantId, owner, (cipher) => cipher.encrypt(location, plaintext));
  }

  async decryptField(tx: Tx, tenantId: string, location: FieldLocation, ciphertext: string): Promise<string> {
    const cipher = await openRecordForRead(this.options.keyring, tx, tenantId, ciphertext);
    try {
      return cipher.decrypt(location, ciphertext);
    } finally {
      cipher.close();
    }
  }

  /**
   * Decrypts several fields at once: each distinct data key is looked up (and checked against
   * shredding) once in this transaction, not once per field, so a record's ten values cost one
   * key read instead of ten. Results are in the order of `items`. `knownKeys`: data key rows the
   * caller read in this transaction with `dataKeyOfOwner` (src/vault/data-key-row.ts), used instead
   * of reading them again.
   */
  async decryptFields(tx: Tx, tenantId: string, items: readonly { readonly location: FieldLocation; readonly ciphertext: string }[], knownKeys: readonly DataKeyRow[] = []): Promise<string[]> {
    const ciphers = new Map<string, RecordCipher>();
    try {
      const out: string[] = [];
      for (const item of items) {
        const { keyRef } = parseCiphertext(item.ciphertext);
        let cipher = ciphers.get(keyRef);
        if (cipher === undefined) {
          cipher = await openRecordForRead(this.options.keyring, tx, tenantId, item.ciphertext, knownKeys);
          ciphers.set(keyRef, cipher);
        }
        out.push(cipher.decrypt(item.location, item.ciphertext));
      }
      return out;
    } finally {
      for (const cipher of ciphers.values()) cipher.close();
    }
  }

  /**
   * The blind index of a value: HMAC-SHA256 under a key derived (HKDF) from the tenant's index
   * key for this kind, over the normalised value, truncated to `blindIndexBytes`.
   */
  async blindIndex(tx: Tx, tenantId: string, kind: BlindIndexKind, value: string): Promise<Buffer> {
    const normalized = normalizeForIndex(kind, value, this.options.defaultPhoneCountry);
    const indexKey = await this.options.keyring.indexKey(tx, tenantId);
    const derived = hkdfSha256(indexKey.bytes(), Buffer.alloc(0), Buffer.from(`custodia.blind-index.v1.${kind}`), 32);
    try {
      return hmacSha256(derived, Buffer.from(normalized, 'utf8')).subarray(0, this.options.blindIndexBytes);
    } finally {
      derived.fill(0);
    }
  }

  /** Sets (or replaces) the blind index of `owner`'s field; `null` removes it. */
  async setBlindIndex(tx: Tx, tenantId: string, owner: KeyOwner, field: string, kind: BlindIndexKind, value: string | null): Promise<void> {
    // tenant_id as well as row-level security: defence in depth, and it lets the planner use the
    // (tenant_id, ...) indexes without statistics.
    await tx.deleteFrom('blind_indexes').where('tenant_id', '=', tenantId).where('owner_table', '=', owner.table).where('owner_id', '=', owner.id).where('field', '=', field).execute();
    if (value === null) return;
    const digest = await this.blindIndex(tx, tenantId, kind, value);
    await tx.insertInto('blind_indexes').values({ tenant_id: tenantId, kind, digest, owner_table: owner.table, owner_id: owner.id, field }).execute();
  }

  /**
   * Owners whose indexed value may equal `value`. Truncated digests can collide: callers confirm
   * each candidate by decrypting it (false matches are expected, false misses are not).
   */
  async findByBlindIndex(tx: Tx, tenantId: string, kind: BlindIndexKind, value: string, ownerTable: string): Promise<string[]> {
    const digest = await this.blindIndex(tx, tenantId, kind, value);
    const rows = await tx
      .selectFrom('blind_indexes')
      .select('owner_id')
      .distinct()
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', kind)
      .where('digest', '=', digest)
      .where('owner_table', '=', ownerTable)
      .execute();
    return rows.map((r) => r.owner_id);
  }

  /**
   * Replaces a card number by a token of the same length that keeps the last four digits (and the
   * first six if asked), fails the Luhn check, and is unique in the tenant. The PAN is stored only
   * encrypted under the owner's data key, so erasing the owner also kills the PAN.
   */
  async tokenizeCard(tx: Tx, tenantId: string, input: string, options: { owner?: KeyOwner; keepFirstSix?: boolean } = {}): Promise<{ token: string; last4: string; first6: string | null }> {
    const pan = parsePan(input);
    const id = newId();
    const owner = options.owner ?? { table: 'card_tokens', id };
    const keepFirstSix = options.keepFirstSix === true;
    const pan_ciphertext = await this.encryptField(tx, tenantId, owner, { table: 'card_tokens', recordId: id, field: 'pan' }, pan);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const token = makeCardToken(pan, { keepFirstSix });
      const inserted = await tx
        .insertInto('card_tokens')
        .values({
          id,
          tenant_id: tenantId,
          token,
          pan_ciphertext,
          last4: pan.slice(-4),
          first6: keepFirstSix ? pan.slice(0, 6) : null,
          owner_table: owner.table,
          owner_id: owner.id,
          created_at: this.options.clock.now(),
        })
        .onConflict((oc) => oc.constraint('card_tokens_token_key').doNothing())
        .returning('token')
        .executeTakeFirst();
      if (inserted !== undefined) return { token, last4: pan.slice(-4), first6: keepFirstSix ? pan.slice(0, 6) : null };
    }
    // Five draws in a row were taken: the tokens sharing this card's kept digits are (nearly) all
    // in use, which only happens with few random digits (a short PAN with its first six kept).
    throw new AppError(VaultErrors.token_space_exhausted, {
      detail: 'Every card token drawn for this card number is already in use; tokenize it without keeping the first six digits',
    });
  }

  /**
   * The card number behind a token; only for the payment role. Recorded in the ledger in the
   * same transaction (`card.detokenize`: who, which token row, why; the last four digits only),
   * so a detokenization that commits is always on record. A refusal throws before anything is
   * read; recording refused attempts is for the caller (its transaction rolls back).
   */
  async detokenizeCard(tx: Tx, tenantId: string, token: string, actor: Detokenizer): Promise<string> {
    if (actor.role !== 'payment') throw new AppError(TokenErrors.forbidden);
    if (!/^[0-9]{13,19}$/.test(token)) throw new AppError(TokenErrors.not_found);
    const row = await tx.selectFrom('card_tokens').select(['id', 'pan_ciphertext', 'last4', 'owner_table', 'owner_id']).where('token', '=', token).executeTakeFirst();
    if (row === undefined) throw new AppError(TokenErrors.not_found);
    const pan = await this.decryptField(tx, tenantId, { table: 'card_tokens', recordId: row.id, field: 'pan' }, row.pan_ciphertext);
    await recordEntry(tx, tenantId, {
      actor: { type: actor.actorType ?? 'agent', id: actor.id },
      action: 'card.detokenize',
      targets: { cardToken: row.id, ...(row.owner_table === 'customers' ? { customer: row.owner_id } : { owner: row.owner_id }) },
      purpose: actor.purpose,
      ...(actor.requestId === undefined ? {} : { requestId: actor.requestId }),
      details: { last4: row.last4, role: actor.role },
    }, this.options.clock.now());
    return pan;
  }

  /**
   * Crypto-shredding: deletes the owner's data key, its blind indexes and card tokens. Every
   * ciphertext sealed for the owner becomes undecryptable wherever it was copied. Not in a
   * database backup taken before: that still holds the wrapped data key (docs/vault.md).
   */
  async shred(tx: Tx, tenantId: string, owner: KeyOwner): Promise<{ dataKey: boolean; blindIndexes: number; cardTokens: number }> {
    const indexes = await tx.deleteFrom('blind_indexes').where('owner_table', '=', owner.table).where('owner_id', '=', owner.id).executeTakeFirst();
    const tokens = await tx.deleteFrom('card_tokens').where('owner_table', '=', owner.table).where('owner_id', '=', owner.id).executeTakeFirst();
    const dataKey = await this.options.keyring.shred(tx, tenantId, owner);
    return { dataKey, blindIndexes: Number(indexes.numDeletedRows), cardTokens: Number(tokens.numDeletedRows) };
  }
}
