/**
 * Platform administrator tokens: bearer credentials for tenant administration (create, suspend,
 * delete tenants). 32 CSPRNG bytes, shown once; only the SHA-256 is stored, which is safe for a
 * 256-bit random secret and lets lookup be an index probe instead of a comparison loop.
 */
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { generateToken, sha256 } from '../platform/crypto.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { PlatformErrors } from './errors.js';

const PREFIX = 'cpa';
const TOKEN_SHAPE = /^cpa_[A-Za-z0-9_-]{43}$/;

export interface IssuedPlatformToken {
  readonly id: string;
  readonly name: string;
  readonly token: string;
}

export async function issuePlatformToken(db: Database, input: { name: string; now: Date; expiresAt?: Date }): Promise<IssuedPlatformToken> {
  const id = newId();
  const token = generateToken(PREFIX);
  await db.withPlatform((tx) =>
    tx
      .insertInto('platform_tokens')
      .values({
        id,
        name: input.name,
        token_hash: sha256(token),
        created_at: input.now,
        expires_at: input.expiresAt ?? null,
        revoked_at: null,
        last_used_at: null,
      })
      .execute(),
  );
  return { id, name: input.name, token };
}

/** Issues the first platform token only if none exists yet (idempotent bootstrap). */
export async function issueFirstPlatformToken(db: Database, now: Date): Promise<IssuedPlatformToken | undefined> {
  return db.withPlatform(async (tx) => {
    // Serialises concurrent bootstraps so exactly one of them issues the token.
    await sql`lock table platform_tokens in share row exclusive mode`.execute(tx);
    const existing = await tx.selectFrom('platform_tokens').select('id').limit(1).executeTakeFirst();
    if (existing !== undefined) return undefined;
    const id = newId();
    const token = generateToken(PREFIX);
    await tx
      .insertInto('platform_tokens')
      .values({ id, name: 'bootstrap', token_hash: sha256(token), created_at: now, expires_at: null, revoked_at: null, last_used_at: null })
      .execute();
    return { id, name: 'bootstrap', token };
  });
}

/** Returns the token's id, or throws `platform.token_invalid`. */
export async function verifyPlatformToken(db: Database, token: string | undefined, now: Date): Promise<string> {
  if (token === undefined || !TOKEN_SHAPE.test(token)) throw new AppError(PlatformErrors.token_invalid);
  const row = await db.withPlatform(async (tx) => {
    const found = await tx
      .selectFrom('platform_tokens')
      .select(['id', 'expires_at', 'revoked_at'])
      .where('token_hash', '=', sha256(token))
      .executeTakeFirst();
    if (found !== undefined && found.revoked_at === null && (found.expires_at === null || found.expires_at > now)) {
      await tx.updateTable('platform_tokens').set({ last_used_at: now }).where('id', '=', found.id).execute();
    }
    return found;
  });
  if (row === undefined || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) {
    throw new AppError(PlatformErrors.token_invalid);
  }
  return row.id;
}

export interface PlatformTokenInfo {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

export async function listPlatformTokens(db: Database): Promise<PlatformTokenInfo[]> {
  const rows = await db.withPlatform((tx) =>
    tx.selectFrom('platform_tokens').select(['id', 'name', 'created_at', 'expires_at', 'revoked_at', 'last_used_at']).orderBy('created_at').execute(),
  );
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at }));
}

/** Revokes a token by id; returns false when no such unrevoked token exists. */
export async function revokePlatformToken(db: Database, id: string, now: Date): Promise<boolean> {
  const result = await db.withPlatform((tx) =>
    tx.updateTable('platform_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst(),
  );
  return result.numUpdatedRows > 0n;
}
