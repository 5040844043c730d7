/**
 * Bearer secrets that name their tenant: `<prefix>_` + base64url(tenant id (16 bytes) || 32
 * random bytes). Used for invitation links (`cinv`), sessions (`cses`) and API keys (`cak`).
 *
 * The tenant id inside lets the lookup run in that tenant's row-level-security scope without a
 * cross-tenant index; the random part is the secret. Only SHA-256 of the whole token is stored, so
 * a token whose tenant part was changed matches nothing.
 */
import { randomBytes } from 'node:crypto';
import { isUuid } from '../platform/ids.js';

export type TenantTokenPrefix = 'cinv' | 'cses' | 'cak';

function uuidToBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function makeTenantToken(prefix: TenantTokenPrefix, tenantId: string): string {
  if (!isUuid(tenantId)) throw new TypeError('makeTenantToken needs a tenant id (uuid)');
  return `${prefix}_${Buffer.concat([uuidToBytes(tenantId), randomBytes(32)]).toString('base64url')}`;
}

/** The tenant id a token claims, or undefined when the token is malformed. */
export function tenantOfToken(prefix: TenantTokenPrefix, token: string): string | undefined {
  if (!token.startsWith(`${prefix}_`)) return undefined;
  const body = token.slice(prefix.length + 1);
  if (!/^[A-Za-z0-9_-]{64}$/.test(body)) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.length !== 48) return undefined;
  // Any 16 bytes decode to something uuid-shaped; only ids we could have issued may reach
  // withTenant (which refuses others with a TypeError, a 500 that would set forged tokens apart).
  const tenantId = bytesToUuid(bytes.subarray(0, 16));
  return isUuid(tenantId) ? tenantId : undefined;
}
