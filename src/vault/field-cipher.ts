/**
 * Field encryption: AES-256-GCM under the record's data key, each ciphertext bound by associated
 * data to its tenant, table, record id and field name. A ciphertext copied to another record,
 * field or tenant fails to decrypt (`vault.decrypt_failed`), as does any edited byte.
 */
import type { Tx } from '../db/index.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import { open, seal } from './aead.js';
import { assertStorableFieldName } from './card-token.js';
import { associatedData, formatCiphertext, parseCiphertext } from './ciphertext.js';
import type { DataKeyRow } from './data-key-row.js';
import { VaultErrors } from './errors.js';
import type { DataKey, KeyOwner, Keyring } from './keyring.js';
import { SecretKey } from './secret-key.js';

/** Where a value lives. `owner` (whose data key seals it) defaults to the record itself. */
export interface FieldLocation {
  readonly table: string;
  readonly recordId: string;
  readonly field: string;
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** In a `u` regex a valid surrogate pair is one code point; only unpaired halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

function fieldAad(keyRef: string, tenantId: string, location: FieldLocation): Buffer {
  return associatedData('field', keyRef, [tenantId, location.table, location.recordId, location.field]);
}

function checkLocation(location: FieldLocation): void {
  if (!NAME.test(location.table) || !NAME.test(location.field) || !isUuid(location.recordId)) {
    throw new TypeError('a field location needs a table and field name (snake_case) and a record id (uuid)');
  }
}

/**
 * The cipher of one record (one data key), opened once per transaction and then used for every
 * field of the record without further database work or unwrapping. It holds its own copy of the
 * data key (the cache may evict and zero its copy at any time) and zeroes it on {@link close}.
 */
export class RecordCipher {
  readonly #key: SecretKey;
  readonly #keyId: string;

  constructor(
    readonly tenantId: string,
    readonly owner: KeyOwner,
    dataKey: DataKey,
  ) {
    this.#key = new SecretKey(Buffer.from(dataKey.key.bytes()));
    this.#keyId = dataKey.id;
  }

  get dataKeyId(): string {
    return this.#keyId;
  }

  /** Zeroes this cipher's copy of the data key; further use throws. */
  close(): void {
    this.#key.destroy();
  }

  encrypt(location: FieldLocation, plaintext: string): string {
    checkLocation(location);
    // PCI DSS 3.3.1.2: a card security code is never stored, not even encrypted.
    assertStorableFieldName(location.field);
    // A lone UTF-16 surrogate (JSON can carry "\ud800") has no UTF-8 form: Buffer.from would
    // silently seal U+FFFD instead, and decryption would return another value than was stored.
    if (LONE_SURROGATE.test(plaintext)) throw new AppError(VaultErrors.invalid_value, { detail: 'The value is not well-formed Unicode text' });
    const keyRef = this.#keyId;
    return formatCiphertext({ keyRef, ...seal(this.#key, Buffer.from(plaintext, 'utf8'), fieldAad(keyRef, this.tenantId, location)) });
  }

  decrypt(location: FieldLocation, ciphertext: string): string {
    checkLocation(location);
    const envelope = parseCiphertext(ciphertext);
    // A value sealed under another record's key is not this record's value: same answer as tampering.
    if (envelope.keyRef !== this.#keyId) throw new AppError(VaultErrors.decrypt_failed);
    const bytes = open(this.#key, envelope, fieldAad(envelope.keyRef, this.tenantId, location));
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new AppError(VaultErrors.decrypt_failed);
    } finally {
      bytes.fill(0);
    }
  }
}

/** Opens the cipher of `owner` for writing: its data key is created on first use. */
export async function openRecordForWrite(keyring: Keyring, tx: Tx, tenantId: string, owner: KeyOwner): Promise<RecordCipher> {
  return new RecordCipher(tenantId, owner, await keyring.dataKeyFor(tx, tenantId, owner));
}

/**
 * Opens the cipher that sealed `ciphertext`, for reading. The data key is looked up in this
 * transaction, so a shredded record fails with `vault.key_shredded` in every process at once;
 * or taken from `known`, rows the caller read in this transaction (src/vault/data-key-row.ts),
 * when one of them is that key.
 */
export async function openRecordForRead(keyring: Keyring, tx: Tx, tenantId: string, ciphertext: string, known: readonly DataKeyRow[] = []): Promise<RecordCipher> {
  const { keyRef } = parseCiphertext(ciphertext);
  if (!isUuid(keyRef)) throw new AppError(VaultErrors.malformed_ciphertext);
  const row = known.find((k) => k.id === keyRef);
  const dataKey = row === undefined ? await keyring.dataKeyById(tx, tenantId, keyRef) : await keyring.dataKeyFromRow(tx, tenantId, row);
  return new RecordCipher(tenantId, dataKey.owner, dataKey);
}
