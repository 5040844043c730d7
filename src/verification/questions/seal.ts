/**
 * Sealing what a dynamic challenge expects, so the database holds it only as ciphertext, readable
 * only by this server (the key comes from the tenant's vault index key, wrapped by the root key)
 * and only for the challenge it was made for (the challenge id is the associated data).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Tx } from '../../db/index.js';
import type { Vault } from '../../vault/index.js';

async function sealKey(tx: Tx, vault: Vault, tenantId: string): Promise<Buffer> {
  const indexKey = await vault.keyring.indexKey(tx, tenantId);
  return Buffer.from(hkdfSync('sha256', indexKey.bytes(), Buffer.alloc(0), Buffer.from('custodia.verification.questions.expected.v1'), 32));
}

export async function sealExpected(tx: Tx, vault: Vault, tenantId: string, challengeId: string, value: unknown): Promise<string> {
  const key = await sealKey(tx, vault, tenantId);
  try {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(challengeId, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
  } finally {
    key.fill(0);
  }
}

export async function openExpected(tx: Tx, vault: Vault, tenantId: string, challengeId: string, sealed: string): Promise<unknown> {
  const key = await sealKey(tx, vault, tenantId);
  try {
    const bytes = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(challengeId, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8')) as unknown;
  } finally {
    key.fill(0);
  }
}
