/**
 * Devices and networks agents sign in from.
 *
 * A device is either a key pair the console creates in the browser (ECDSA P-256 through WebCrypto,
 * private key not extractable, kept in the browser's storage) or a device-bound WebAuthn
 * credential (a platform authenticator whose key cannot leave the machine: `singleDevice`, not a
 * synced passkey).
 *
 * Browser-key proof, modelled on DPoP (RFC 9449 §4): with the password, the console sends its
 * public key (JWK), a time, a random nonce and a signature over
 *
 *     custodia-device-proof-v1 \n <tenant slug> \n <email, lowercase> \n <signedAt, ms> \n <nonce>
 *
 * The server accepts it within {@link PROOF_WINDOW_MS} of its own clock and once only (the nonce
 * is consumed in the shared attempt store, so across processes too). The proof binds the device to
 * this sign-in (tenant and person); it needs no extra round trip for a server challenge.
 *
 * Every device and network first seen in a sign-in is recorded (ledger) and, as the tenant's
 * settings say, waits for a supervisor's approval before data access is allowed from it
 * (see {@link assertDeviceAndNetwork}, called by the data-access gate).
 */
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { DeviceStatus, Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import { sha256 } from '../platform/crypto.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { AttemptCounter } from '../platform/rate-limit.js';
import { raiseAlert, type RaisedAlert } from './alerts.js';
import { AgentErrors } from './errors.js';
import { networkOf } from './networks.js';
import type { Session } from './sessions.js';
import type { SecuritySettings } from './settings.js';

/** How old a proof may be by the server's clock: agents' clocks drift a little. */
export const PROOF_WINDOW_MS = 5 * 60_000;
/**
 * How far ahead of the server's clock a proof may be dated. Small: a script that got into the
 * console could otherwise sign proofs for later and use them without the device.
 */
export const PROOF_FUTURE_MS = 30_000;

const base64url = (bytes: number) => z.string().length(Math.ceil((bytes * 4) / 3)).regex(/^[A-Za-z0-9_-]+$/);

export const devicePublicKeySchema = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: base64url(32),
  y: base64url(32),
});

// No control or format characters (bidi overrides, zero-width joiners): a supervisor approving
// "Work laptop" must see what is there.
export const deviceNameSchema = z.string().trim().min(1).max(64).regex(/^[^\p{Cc}\p{Cf}]+$/u, 'No control or invisible formatting characters');

export const deviceProofSchema = z.strictObject({
  publicKey: devicePublicKeySchema,
  /** When the console signed, in milliseconds since the epoch. */
  signedAt: z.number().int().positive(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'At least 16 random bytes, base64url'),
  /** ECDSA P-256 / SHA-256 signature in the IEEE P1363 form WebCrypto produces (r || s), base64url. */
  signature: base64url(64),
  /** What the agent calls this device ("home laptop"); shown to supervisors. */
  name: deviceNameSchema.optional(),
});
export type DeviceProof = z.infer<typeof deviceProofSchema>;

/** The bytes a device signs to prove itself in a sign-in. */
export function deviceProofStatement(input: { tenant: string; email: string; signedAt: number; nonce: string }): Buffer {
  return Buffer.from(['custodia-device-proof-v1', input.tenant, input.email.trim().toLowerCase(), String(input.signedAt), input.nonce].join('\n'), 'utf8');
}

export interface ProvenDevice {
  /** SubjectPublicKeyInfo (DER) of the device key. */
  readonly spki: Buffer;
  readonly thumbprint: Buffer;
  readonly name: string | undefined;
}

/**
 * Checks a device proof (signature and time). Pure: single use is {@link consumeDeviceProof}'s job.
 * Returns the reason on failure, for the ledger; callers answer one error whatever it is.
 */
export function checkDeviceProof(proof: DeviceProof, context: { tenant: string; email: string; now: Date }): { ok: true; device: ProvenDevice } | { ok: false; reason: 'stale' | 'bad_key' | 'bad_signature' } {
  const age = context.now.getTime() - proof.signedAt;
  if (age > PROOF_WINDOW_MS || age < -PROOF_FUTURE_MS) return { ok: false, reason: 'stale' };
  let spki: Buffer;
  let key: ReturnType<typeof createPublicKey>;
  try {
    // OpenSSL refuses a point that is not on the curve.
    key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: proof.publicKey.x, y: proof.publicKey.y }, format: 'jwk' });
    spki = key.export({ type: 'spki', format: 'der' });
  } catch {
    return { ok: false, reason: 'bad_key' };
  }
  const statement = deviceProofStatement({ tenant: context.tenant, email: context.email, signedAt: proof.signedAt, nonce: proof.nonce });
  const valid = verifySignature('sha256', statement, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(proof.signature, 'base64url'));
  if (!valid) return { ok: false, reason: 'bad_signature' };
  return { ok: true, device: { spki, thumbprint: sha256(spki), name: proof.name } };
}

/**
 * Consumes a proof's nonce for this device key; false when it was used before. Keyed by key and
 * nonce, not by signature: ECDSA signatures are malleable (s and n − s both verify).
 */
export async function consumeDeviceProof(attempts: AttemptCounter, device: ProvenDevice, nonce: string): Promise<boolean> {
  const hit = await attempts.hit(`device-proof:${device.thumbprint.toString('hex')}:${nonce}`, 1, 2 * PROOF_WINDOW_MS + 60_000);
  return hit.allowed;
}

export interface SeenDevice {
  readonly id: string;
  readonly status: DeviceStatus;
  readonly isNew: boolean;
}

/** Devices an agent may have recorded in a tenant (revoked ones aside): a bound on what a sign-in can add. */
export const MAX_DEVICES_PER_AGENT = 20;

/** Raises `kind` for the agent unless one is still open (unacknowledged): one alert, not a flood. */
async function raiseOnce(tx: Tx, input: { tenantId: string; agentId: string; kind: 'agent.device.pending' | 'agent.network.pending'; targets?: Record<string, string>; now: Date }): Promise<RaisedAlert | undefined> {
  const open = await tx.selectFrom('security_alerts').select('id').where('kind', '=', input.kind).where('agent_id', '=', input.agentId).where('acknowledged_at', 'is', null).limit(1).executeTakeFirst();
  if (open !== undefined) return undefined;
  return raiseAlert(tx, { tenantId: input.tenantId, kind: input.kind, agentId: input.agentId, details: {}, ...(input.targets === undefined ? {} : { targets: input.targets }), now: input.now });
}

/** Whether new devices wait for a supervisor under these settings (only then is an alert useful). */
function devicesNeedApproval(settings: SecuritySettings): boolean {
  return settings.devices.required && settings.devices.approval;
}

/**
 * Finds or records the device a sign-in proved, once the sign-in is complete (second factor
 * presented): a password alone records nothing. A new device is `pending`, whatever the
 * settings: only a supervisor approves. Undefined when the agent already has too many devices.
 */
export async function recordSignInDevice(
  tx: Tx,
  input: { tenantId: string; agentId: string; spki: Buffer; name: string; settings: SecuritySettings; now: Date },
): Promise<{ device: SeenDevice | undefined; alert?: RaisedAlert | undefined }> {
  const thumbprint = sha256(input.spki);
  const find = () => tx.selectFrom('agent_devices').select(['id', 'status']).where('agent_id', '=', input.agentId).where('thumbprint', '=', thumbprint).executeTakeFirst();
  const existing = await find();
  if (existing !== undefined) {
    await tx.updateTable('agent_devices').set({ last_seen_at: input.now }).where('id', '=', existing.id).execute();
    let alert: RaisedAlert | undefined;
    if (existing.status === 'revoked') {
      // A revoked device (a stolen laptop?) that still holds its key: worth a security officer's look.
      alert = await raiseAlert(tx, { tenantId: input.tenantId, kind: 'agent.device.revoked_used', agentId: input.agentId, details: {}, targets: { device: existing.id }, now: input.now });
    }
    return { device: { id: existing.id, status: existing.status, isNew: false }, alert };
  }
  const count = await tx.selectFrom('agent_devices').select((eb) => eb.fn.countAll<string>().as('n')).where('agent_id', '=', input.agentId).where('status', '<>', 'revoked').executeTakeFirstOrThrow();
  if (Number(count.n) >= MAX_DEVICES_PER_AGENT) {
    await recordEntry(tx, input.tenantId, { actor: { type: 'system', id: 'sign-in' }, action: 'agent.device.refused', targets: { agent: input.agentId }, details: { reason: 'too_many_devices' } }, input.now);
    return { device: undefined };
  }
  const id = newId();
  // Two first sign-ins of one new device at once: the second finds the first's row.
  const inserted = await tx
    .insertInto('agent_devices')
    .values({
      id,
      tenant_id: input.tenantId,
      agent_id: input.agentId,
      kind: 'browser_key',
      thumbprint,
      public_key: input.spki,
      webauthn_credential_id: null,
      name: input.name,
      status: 'pending',
      created_at: input.now,
      decided_at: null,
      decided_by: null,
      last_seen_at: input.now,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'agent_id', 'thumbprint']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined) {
    const raced = await find();
    return { device: raced === undefined ? undefined : { id: raced.id, status: raced.status, isNew: false } };
  }
  await recordEntry(tx, input.tenantId, { actor: { type: 'agent', id: input.agentId }, action: 'agent.device.new', targets: { agent: input.agentId, device: id }, details: { kind: 'browser_key' } }, input.now);
  const alert = devicesNeedApproval(input.settings) ? await raiseOnce(tx, { tenantId: input.tenantId, agentId: input.agentId, kind: 'agent.device.pending', targets: { device: id }, now: input.now }) : undefined;
  return { device: { id, status: 'pending', isNew: true }, alert };
}

/** Finds or records (as `pending`) the network (see networkOf) of a completed sign-in. */
export async function recordSignInNetwork(
  tx: Tx,
  input: { tenantId: string; agentId: string; network: string; settings: SecuritySettings; now: Date },
): Promise<{ status: 'pending' | 'approved' | 'denied'; isNew: boolean; alert?: RaisedAlert | undefined }> {
  const inserted = await tx
    .insertInto('agent_networks')
    .values({ tenant_id: input.tenantId, agent_id: input.agentId, network: input.network, status: 'pending', first_seen_at: input.now, last_seen_at: input.now, decided_at: null, decided_by: null })
    .onConflict((oc) => oc.columns(['tenant_id', 'agent_id', 'network']).doUpdateSet({ last_seen_at: input.now }))
    // xmax is 0 on a row this statement inserted, not on one it updated: new or seen before,
    // decided atomically even when two sign-ins from a new network race.
    .returning(['status', sql<boolean>`(xmax = 0)`.as('inserted')])
    .executeTakeFirstOrThrow();
  if (!inserted.inserted) return { status: inserted.status, isNew: false };
  // The network itself is the agent's address, personal data: the ledger gets the fact, not it.
  await recordEntry(tx, input.tenantId, { actor: { type: 'agent', id: input.agentId }, action: 'agent.network.new', targets: { agent: input.agentId } }, input.now);
  const alert = input.settings.networkApproval ? await raiseOnce(tx, { tenantId: input.tenantId, agentId: input.agentId, kind: 'agent.network.pending', now: input.now }) : undefined;
  return { status: 'pending', isNew: true, alert };
}

/** The device registered for a WebAuthn credential of the agent, if any. */
export async function deviceOfCredential(tx: Tx, agentId: string, credentialId: string): Promise<string | undefined> {
  const row = await tx.selectFrom('agent_devices').select('id').where('agent_id', '=', agentId).where('thumbprint', '=', sha256(credentialId)).where('kind', '=', 'webauthn').executeTakeFirst();
  return row?.id;
}

/**
 * Registers one of the agent's own device-bound passkeys as a device. The session must have been
 * opened or unlocked with that very credential, on this machine: a device is registered from
 * itself, not from anywhere the agent happens to be signed in.
 */
export async function registerWebAuthnDevice(tx: Tx, input: { session: Session; credentialId: string; name: string; settings: SecuritySettings; now: Date }): Promise<{ id: string; status: DeviceStatus; alert?: RaisedAlert | undefined }> {
  const { session } = input;
  const credential = await tx
    .selectFrom('agent_webauthn_credentials')
    .select(['id', 'credential_id', 'device_type'])
    .where('agent_id', '=', session.agentId)
    .where('id', '=', input.credentialId)
    .executeTakeFirst();
  if (credential === undefined) throw new AppError(AgentErrors.factor_not_found);
  if (credential.device_type !== 'singleDevice') {
    throw new AppError(AgentErrors.device_not_bound, { detail: 'This passkey is synced between devices, so it does not identify one device; use a security key or this computer\'s own authenticator' });
  }
  if (session.credentialId !== credential.id) {
    throw new AppError(AgentErrors.step_up_required, { detail: 'Confirm it is you with this passkey first; a device is registered from itself' });
  }
  const thumbprint = sha256(credential.credential_id);
  const existing = await tx.selectFrom('agent_devices').select(['id', 'status']).where('agent_id', '=', session.agentId).where('thumbprint', '=', thumbprint).executeTakeFirst();
  if (existing !== undefined) throw new AppError(AgentErrors.device_conflict, { details: { device: existing.id, deviceStatus: existing.status } });
  const id = newId();
  const status: DeviceStatus = 'pending';
  await tx
    .insertInto('agent_devices')
    .values({
      id,
      tenant_id: session.tenantId,
      agent_id: session.agentId,
      kind: 'webauthn',
      thumbprint,
      public_key: null,
      webauthn_credential_id: credential.id,
      name: input.name,
      status,
      created_at: input.now,
      decided_at: null,
      decided_by: null,
      last_seen_at: input.now,
    })
    .execute();
  await tx.updateTable('agent_sessions').set({ device_id: id }).where('id', '=', session.id).execute();
  await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'agent.device.new', targets: { agent: session.agentId, device: id, factor: credential.id }, details: { kind: 'webauthn' } }, input.now);
  const alert = devicesNeedApproval(input.settings) ? await raiseOnce(tx, { tenantId: session.tenantId, agentId: session.agentId, kind: 'agent.device.pending', targets: { device: id }, now: input.now }) : undefined;
  return { id, status, alert };
}

/**
 * The device and network part of the data-access gate. With devices required, the session must
 * have proved a device that is not revoked (and approved, when approval is on); with network
 * approval, the network this request comes from (not only the sign-in's) must be approved for
 * the agent: a session token carried elsewhere does not carry the approval with it.
 */
export async function assertDeviceAndNetwork(tx: Tx, session: Session, settings: SecuritySettings, ip: string | undefined): Promise<void> {
  if (settings.devices.required) {
    if (session.deviceId === null) throw new AppError(AgentErrors.device_required);
    const device = await tx.selectFrom('agent_devices').select('status').where('id', '=', session.deviceId).executeTakeFirst();
    if (device === undefined || device.status === 'revoked') throw new AppError(AgentErrors.device_required, { details: { device: 'revoked' } });
    if (settings.devices.approval && device.status !== 'approved') throw new AppError(AgentErrors.device_not_approved);
  }
  if (settings.networkApproval) {
    const network = ip === undefined ? undefined : networkOf(ip);
    const row = network === undefined ? undefined : await tx.selectFrom('agent_networks').select('status').where('agent_id', '=', session.agentId).where('network', '=', network).executeTakeFirst();
    if (row?.status !== 'approved') throw new AppError(AgentErrors.network_not_approved, { details: { networkStatus: row?.status ?? 'unknown' } });
  }
}
