/**
 * The operator backend the server uses: the vault's keys, per tenant, never a global constant.
 *
 * - `hash`: HMAC-SHA-256 under a key derived (HKDF, its own label) from the tenant's blind-index
 *   key, the same mechanism as the vault's blind indexes, so the key is wrapped by the tenant's
 *   key provider like every other tenant key, and the same value hashes alike across requests
 *   (analytics joins) but differently in every tenant.
 * - `encrypt`: vault ciphertext (AES-256-GCM under a data key), bound by associated data to the
 *   tenant, to the owner (an interaction, or the tenant's redaction API key owner) and to the
 *   entity type. Only POST /v1/redaction/decrypt opens it again, for a security officer, with a
 *   reason, in the ledger.
 * - `tokenize`: the vault's format-preserving card tokens (the PAN kept only as ciphertext under
 *   the owner's data key, as customer card fields are).
 *
 * The encrypted form inside the redacted text is `<TYPE:enc:[<owner id>.]v1.<key>.<nonce>.<ct>.<tag>>`:
 * with an owner id for values of an interaction's messages, without one for POST /v1/redact.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { Tx } from '../db/index.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import type { KeyOwner, Vault } from '../vault/index.js';
import type { OperatorBackend } from './operators.js';
import type { RedactionPolicy } from './policy.js';
import { policyUses } from './policy-store.js';
import { RedactionApiErrors } from './routes-errors.js';
import { ENTITY_TYPES, type EntityType } from './types.js';

const HMAC_LABEL = 'custodia.redaction.hmac.v1';
/** Owner table of values encrypted by POST /v1/redact (one data key per tenant). */
export const API_OWNER_TABLE = 'redaction_api';
/** Owner table of values encrypted in an interaction's messages (the interaction's data key). */
export const INTERACTION_OWNER_TABLE = 'interactions';

export interface VaultBackendOptions {
  readonly vault: Vault;
  readonly tenantId: string;
  /** The interaction whose messages are redacted; absent for POST /v1/redact. */
  readonly interactionId?: string | undefined;
}

export interface VaultBackend extends OperatorBackend {
  /** Zeroes the derived HMAC key. */
  close(): void;
}

function ownerOf(tenantId: string, interactionId: string | undefined): KeyOwner {
  return interactionId === undefined ? { table: API_OWNER_TABLE, id: tenantId } : { table: INTERACTION_OWNER_TABLE, id: interactionId };
}

function locationOf(owner: KeyOwner, type: EntityType) {
  return { table: owner.table, recordId: owner.id, field: `redacted_${type.toLowerCase()}` };
}

/**
 * A backend bound to one transaction of one tenant. The HMAC key is derived up front when the
 * policy uses `hash` (the core calls `hmac` synchronously); encrypt and tokenize write through
 * `tx`, so their key rows and card tokens commit with the message that holds them.
 */
export async function createVaultBackend(tx: Tx, policy: RedactionPolicy, options: VaultBackendOptions): Promise<VaultBackend> {
  const { vault, tenantId, interactionId } = options;
  let hmacKey: Buffer | undefined;
  if (policyUses(policy, 'hash')) {
    const indexKey = await vault.keyring.indexKey(tx, tenantId);
    hmacKey = Buffer.from(hkdfSync('sha256', indexKey.bytes(), Buffer.alloc(0), Buffer.from(HMAC_LABEL), 32));
  }
  const owner = ownerOf(tenantId, interactionId);
  return {
    hmac(type, value) {
      if (hmacKey === undefined) throw new Error('vault backend: hmac asked of a policy without hash');
      // Same message layout as the core's in-memory backend (type, NUL, canonical value).
      return createHmac('sha256', hmacKey).update(`${type}\u0000${value}`).digest('hex').slice(0, 32);
    },
    async encrypt(type, value) {
      const ciphertext = await vault.encryptField(tx, tenantId, owner, locationOf(owner, type), value);
      return interactionId === undefined ? ciphertext : `${interactionId}.${ciphertext}`;
    },
    async tokenizeCard(pan) {
      return (await vault.tokenizeCard(tx, tenantId, pan, interactionId === undefined ? {} : { owner })).token;
    },
    close() {
      hmacKey?.fill(0);
    },
  };
}

const ENCRYPTED = /^<([A-Z_]{1,32}):enc:(?:([0-9a-f-]{36})\.)?(v1\.[A-Za-z0-9-]{1,64}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+)>$/;

/** The parts of an encrypted value as it appears in redacted text, or undefined. */
export function parseEncryptedValue(text: string): { type: EntityType; interactionId: string | undefined; ciphertext: string } | undefined {
  const m = ENCRYPTED.exec(text.trim());
  if (m === null) return undefined;
  const type = m[1] as EntityType;
  if (!ENTITY_TYPES.includes(type)) return undefined;
  if (m[2] !== undefined && !isUuid(m[2])) return undefined;
  return { type, interactionId: m[2], ciphertext: m[3] as string };
}

/**
 * The clear value of one encrypted value of this tenant. Anything that does not open (malformed,
 * edited, another tenant's, another interaction's, shredded) is the one `redaction.not_decryptable`.
 */
export async function decryptValue(tx: Tx, vault: Vault, tenantId: string, text: string): Promise<{ type: EntityType; interactionId: string | undefined; value: string }> {
  const parsed = parseEncryptedValue(text);
  if (parsed === undefined) throw new AppError(RedactionApiErrors.not_decryptable);
  const owner = ownerOf(tenantId, parsed.interactionId);
  try {
    const value = await vault.decryptField(tx, tenantId, locationOf(owner, parsed.type), parsed.ciphertext);
    return { type: parsed.type, interactionId: parsed.interactionId, value };
  } catch (error) {
    if (error instanceof AppError) throw new AppError(RedactionApiErrors.not_decryptable);
    throw error;
  }
}
