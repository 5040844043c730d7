/**
 * Devices and networks, over the real API on the real database. Device keys are made and used
 * with WebCrypto (`crypto.subtle`, the same API and the same signature format as the browser's;
 * the browser suite does it in Chromium too), never with the server's own verifier.
 */
import { webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll, oathtool, PASSWORD, type SignedIn } from './helpers.js';

const MINUTE = 60_000;
const HOME = '203.0.113.7';
const HOME_TOO = '203.0.113.200';
const CAFE = '198.51.100.23';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

type Body = Record<string, unknown>;
interface Reply {
  readonly status: number;
  readonly body: Body;
}

async function api(method: 'GET' | 'POST' | 'PUT', url: string, options: { token?: string; payload?: object; remoteAddress?: string } = {}): Promise<Reply> {
  const res = await t.app.inject({
    method,
    url,
    headers: options.token === undefined ? {} : bearerOf(options.token),
    ...(options.payload === undefined ? {} : { payload: options.payload }),
    ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
  });
  return { status: res.statusCode, body: res.body.length > 0 ? (JSON.parse(res.body) as Body) : {} };
}

function expectStatus(res: Reply, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
}

function expectProblem(res: Reply, status: number, code: string, extra: Body = {}): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ code, ...extra });
}

/** A device as the console makes it: an ECDSA P-256 key pair whose private key cannot be exported. */
interface Device {
  readonly keys: webcrypto.CryptoKeyPair;
  readonly jwk: { kty: string; crv: string; x: string; y: string };
}

async function newDevice(): Promise<Device> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const jwk = await webcrypto.subtle.exportKey('jwk', keys.publicKey);
  return { keys, jwk: { kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x), y: String(jwk.y) } };
}

/** The proof the console sends with the password (docs/agents.md, "Devices and networks"). */
async function proofOf(device: Device, tenant: string, email: string, overrides: { signedAt?: number; nonce?: string; statementEmail?: string; name?: string } = {}): Promise<Body> {
  const signedAt = overrides.signedAt ?? t.clock.now().getTime();
  const nonce = overrides.nonce ?? Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('base64url');
  const statement = ['custodia-device-proof-v1', tenant, overrides.statementEmail ?? email, String(signedAt), nonce].join('\n');
  const signature = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, device.keys.privateKey, new TextEncoder().encode(statement));
  return { publicKey: device.jwk, signedAt, nonce, signature: Buffer.from(signature).toString('base64url'), ...(overrides.name === undefined ? {} : { name: overrides.name }) };
}

/**
 * Password (with a device proof when given) and TOTP from oathtool: a complete sign-in. `done`
 * is the answer that completed it (with the device and network status).
 */
async function signInFrom(tenant: string, agent: SignedIn, options: { device?: Body; remoteAddress?: string } = {}): Promise<{ token: string; first: Body; done: Body }> {
  t.clock.advance(30_000);
  const first = await api('POST', '/v1/auth/sign-in', {
    payload: { tenant, email: agent.email, password: PASSWORD, kind: 'bearer', ...(options.device === undefined ? {} : { device: options.device }) },
    ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
  });
  expectStatus(first, 200);
  const second = await api('POST', '/v1/auth/second-factor', {
    token: String(first.body.token),
    payload: { method: 'totp', code: oathtool(agent.secret, t.clock.now()) },
    ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
  });
  expectStatus(second, 200);
  return { token: String(second.body.token), first: first.body, done: second.body };
}

async function setUp(slug: string): Promise<{ admin: SignedIn; supervisor: SignedIn; agent: SignedIn; tenantId: string }> {
  const adminEmail = `admin@${slug}.example`;
  const created = await createTenant(t, slug, adminEmail);
  await accept(t, created.invitation, 'Marta Admin');
  const admin = await enroll(t, slug, adminEmail);
  const people: Record<string, SignedIn> = {};
  for (const [name, role] of [['sup', 'supervisor'], ['agent', 'agent']] as const) {
    const email = `${name}@${slug}.example`;
    const invited = await api('POST', '/v1/agents/invitations', { token: admin.token, payload: { email, role } });
    expectStatus(invited, 201);
    const url = String(invited.body.url);
    await accept(t, url.slice(url.indexOf('#') + 1), `Pablo ${name}`);
    people[name] = await enroll(t, slug, email);
  }
  const agent = people.agent as SignedIn;
  // Valid training, so that only devices and networks decide data access here.
  const trained = await api('POST', `/v1/agents/${agent.agentId}/training`, {
    token: admin.token,
    payload: { course: 'security_awareness', completedAt: new Date(t.clock.now().getTime() - MINUTE).toISOString(), expiresAt: '2027-11-01T00:00:00.000Z' },
  });
  expectStatus(trained, 201);
  return { admin, supervisor: people.sup as SignedIn, agent, tenantId: created.tenantId };
}

async function ledger(tenantId: string): Promise<{ action: string; entry: string }[]> {
  await t.ctx.ledger.sequenceAll(tenantId);
  return t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).orderBy('seq').execute());
}

const dataAccess = (token: string, remoteAddress?: string) => api('GET', '/v1/auth/data-access', { token, ...(remoteAddress === undefined ? {} : { remoteAddress }) });

describe('device proofs at sign-in', () => {
  let admin: SignedIn;
  let agent: SignedIn;
  let tenantId: string;
  const slug = 'devproof';

  beforeAll(async () => {
    ({ admin, agent, tenantId } = await setUp(slug));
  });

  it('a password alone records no device; a complete sign-in records it (pending: nobody approved it), and finds it again the next time', async () => {
    const device = await newDevice();
    // Attack: someone with only the password planting devices (and alerts) for a supervisor to approve.
    const passwordOnly = await api('POST', '/v1/auth/sign-in', { payload: { tenant: slug, email: agent.email, password: PASSWORD, kind: 'bearer', device: await proofOf(device, slug, agent.email, { name: 'Work laptop' }) } });
    expectStatus(passwordOnly, 200);
    expect(passwordOnly.body.device).toBeUndefined();
    const none = await api('GET', `/v1/agents/${agent.agentId}/devices`, { token: admin.token });
    expect(none.body.devices).toEqual([]);

    const first = await signInFrom(slug, agent, { device: await proofOf(device, slug, agent.email, { name: 'Home laptop' }) });
    expect(first.first.device).toBeUndefined();
    expect(first.done.device).toMatchObject({ status: 'pending' });
    const id = (first.done.device as { id: string }).id;

    const again = await signInFrom(slug, agent, { device: await proofOf(device, slug, agent.email) });
    expect(again.done.device).toEqual({ id, status: 'pending' });

    const listed = await api('GET', '/v1/auth/devices', { token: again.token });
    expectStatus(listed, 200);
    expect(listed.body.devices).toEqual([expect.objectContaining({ id, kind: 'browser_key', name: 'Home laptop', status: 'pending', current: true })]);
    // The first session proved the same device, but it is not the one asking.
    const fromFirst = await api('GET', '/v1/auth/devices', { token: first.token });
    expect(fromFirst.body.devices).toEqual([expect.objectContaining({ id, current: true })]);

    const entries = await ledger(tenantId);
    expect(entries.filter((e) => e.action === 'agent.device.new')).toHaveLength(1);
  });

  // Attacks on the proof itself: each is refused before the password is looked at.
  it('refuses a replayed, stale, misdirected, forged or off-curve proof (400 agents.invalid_device_proof)', async () => {
    const device = await newDevice();
    const signIn = (proof: Body, tenant = slug) => api('POST', '/v1/auth/sign-in', { payload: { tenant, email: agent.email, password: PASSWORD, kind: 'bearer', device: proof } });

    const proof = await proofOf(device, slug, agent.email);
    expectStatus(await signIn(proof), 200);
    expectProblem(await signIn(proof), 400, 'agents.invalid_device_proof', { reason: 'replayed' });

    const stale = await proofOf(device, slug, agent.email, { signedAt: t.clock.now().getTime() - 6 * MINUTE });
    expectProblem(await signIn(stale), 400, 'agents.invalid_device_proof', { reason: 'stale' });
    // Dated ahead (signed in advance, to be used later without the device): at most 30 s.
    const future = await proofOf(device, slug, agent.email, { signedAt: t.clock.now().getTime() + MINUTE });
    expectProblem(await signIn(future), 400, 'agents.invalid_device_proof', { reason: 'stale' });
    const skewed = await proofOf(device, slug, agent.email, { signedAt: t.clock.now().getTime() + 20_000 });
    expectStatus(await signIn(skewed), 200);
    const late = await proofOf(device, slug, agent.email, { signedAt: t.clock.now().getTime() - 4 * MINUTE });
    expectStatus(await signIn(late), 200);

    // Signed for someone else (or another contact center): useless here.
    const otherPerson = await proofOf(device, slug, agent.email, { statementEmail: 'someone@else.example' });
    expectProblem(await signIn(otherPerson), 400, 'agents.invalid_device_proof', { reason: 'bad_signature' });
    const otherTenant = await proofOf(device, 'another-center', agent.email);
    expectProblem(await signIn(otherTenant), 400, 'agents.invalid_device_proof', { reason: 'bad_signature' });

    // Someone else's public key with this device's signature.
    const stranger = await newDevice();
    const forged = { ...(await proofOf(device, slug, agent.email)), publicKey: stranger.jwk };
    expectProblem(await signIn(forged), 400, 'agents.invalid_device_proof', { reason: 'bad_signature' });

    // A point that is not on P-256 (invalid-curve attacks): refused as a key, not verified.
    const good = await proofOf(device, slug, agent.email);
    const y = Buffer.from(device.jwk.y, 'base64url');
    y[31] = (y[31] as number) ^ 1;
    expectProblem(await signIn({ ...good, publicKey: { ...device.jwk, y: y.toString('base64url') } }), 400, 'agents.invalid_device_proof', { reason: 'bad_key' });

    // Malformed: validation, with the field named.
    const malformed = await signIn({ ...good, signature: 'not base64url!' });
    expectProblem(malformed, 400, 'request.invalid');
    // A name with invisible formatting (a right-to-left override) could pass for another.
    expectProblem(await signIn({ ...good, name: 'Work\u202Epotpal' }), 400, 'request.invalid');
    const rsa = await signIn({ ...good, publicKey: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } });
    expectProblem(rsa, 400, 'request.invalid');
  });
});

describe('required devices with supervisor approval', () => {
  let admin: SignedIn;
  let supervisor: SignedIn;
  let agent: SignedIn;
  let tenantId: string;
  const slug = 'devreq';

  beforeAll(async () => {
    ({ admin, supervisor, agent, tenantId } = await setUp(slug));
    const set = await api('PUT', '/v1/security/settings', { token: admin.token, payload: { devices: { required: true, approval: true } } });
    expectStatus(set, 200);
  });

  it('refuses data access to a session without a device (403 agents.device_required)', async () => {
    const { token } = await signInFrom(slug, agent);
    expectProblem(await dataAccess(token), 403, 'agents.device_required');
  });

  it('a new device waits for a supervisor, who approves it; the agent cannot approve their own', async () => {
    const device = await newDevice();
    const { token, done } = await signInFrom(slug, agent, { device: await proofOf(device, slug, agent.email, { name: 'Home PC' }) });
    expect(done.device).toMatchObject({ status: 'pending' });
    const deviceId = (done.device as { id: string }).id;
    expectProblem(await dataAccess(token), 403, 'agents.device_not_approved');

    const alerts = await api('GET', '/v1/security/alerts', { token: admin.token });
    expect(alerts.body.alerts).toContainEqual(expect.objectContaining({ kind: 'agent.device.pending', agentId: agent.agentId }));

    const devices = await api('GET', `/v1/agents/${agent.agentId}/devices`, { token: supervisor.token });
    expectStatus(devices, 200);
    expect(devices.body.devices).toEqual([expect.objectContaining({ id: deviceId, status: 'pending', name: 'Home PC' })]);

    // Attack: approving one's own device.
    expectProblem(await api('POST', `/v1/agents/${agent.agentId}/devices/${deviceId}/approve`, { token }), 403, 'agents.forbidden');
    // Another tenant's supervisor, or a wrong id: not found.
    expectProblem(await api('POST', `/v1/agents/${agent.agentId}/devices/${supervisor.agentId}/approve`, { token: supervisor.token }), 404, 'agents.device_not_found');

    expectStatus(await api('POST', `/v1/agents/${agent.agentId}/devices/${deviceId}/approve`, { token: supervisor.token }), 204);
    expectStatus(await dataAccess(token), 200);
  });

  // Attack: a stolen laptop. Revoking the device ends its sessions at once, and the key stops counting.
  it('revoking a device ends its sessions; the device signing in again gets no data and raises an alert', async () => {
    const device = await newDevice();
    const { done } = await signInFrom(slug, agent, { device: await proofOf(device, slug, agent.email) });
    const deviceId = (done.device as { id: string }).id;
    expectStatus(await api('POST', `/v1/agents/${agent.agentId}/devices/${deviceId}/approve`, { token: supervisor.token }), 204);
    const { token } = await signInFrom(slug, agent, { device: await proofOf(device, slug, agent.email) });
    const other = await signInFrom(slug, agent);
    expectStatus(await dataAccess(token), 200);

    const revoked = await api('POST', `/v1/agents/${agent.agentId}/devices/${deviceId}/revoke`, { token: supervisor.token });
    expectStatus(revoked, 200);
    expect(revoked.body.sessionsRevoked).toBe(2);
    expectProblem(await api('GET', '/v1/auth/session', { token }), 401, 'agents.unauthenticated');
    // A session that never proved this device lives on.
    expectStatus(await api('GET', '/v1/auth/session', { token: other.token }), 200);

    const again = await signInFrom(slug, agent, { device: await proofOf(device, slug, agent.email) });
    expect(again.done.device).toEqual({ id: deviceId, status: 'revoked' });
    expectProblem(await dataAccess(again.token), 403, 'agents.device_required');
    expectProblem(await api('POST', `/v1/agents/${agent.agentId}/devices/${deviceId}/approve`, { token: supervisor.token }), 409, 'agents.device_conflict');
    const alerts = await api('GET', '/v1/security/alerts', { token: admin.token });
    expect(alerts.body.alerts).toContainEqual(expect.objectContaining({ kind: 'agent.device.revoked_used', agentId: agent.agentId }));

    const actions = (await ledger(tenantId)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['agent.device.new', 'agent.device.approve', 'agent.device.revoke']));
  });
});

describe('switching the rules on later', () => {
  let admin: SignedIn;
  let supervisor: SignedIn;
  let agent: SignedIn;
  const slug = 'devlater';

  beforeAll(async () => {
    ({ admin, supervisor, agent } = await setUp(slug));
  });

  // Attack: a device and network planted while the rules were off must not count once they are on.
  it('devices and networks seen while the rules were off still wait for approval when they are switched on', async () => {
    const device = await newDevice();
    const before = await signInFrom(slug, agent, { device: await proofOf(device, slug, agent.email), remoteAddress: HOME });
    expect(before.done).toMatchObject({ device: { status: 'pending' }, networkStatus: 'pending' });
    expectStatus(await dataAccess(before.token, HOME), 200);

    expectStatus(await api('PUT', '/v1/security/settings', { token: admin.token, payload: { devices: { required: true, approval: true }, networkApproval: true } }), 200);
    const after = await signInFrom(slug, agent, { device: await proofOf(device, slug, agent.email), remoteAddress: HOME });
    expectProblem(await dataAccess(after.token, HOME), 403, 'agents.device_not_approved');
    // Without approval, a registered (even unapproved) device is enough; the network still waits.
    expectStatus(await api('PUT', '/v1/security/settings', { token: admin.token, payload: { devices: { required: true, approval: false }, networkApproval: true } }), 200);
    expectProblem(await dataAccess(after.token, HOME), 403, 'agents.network_not_approved', { networkStatus: 'pending' });
    expectStatus(await api('PUT', `/v1/agents/${agent.agentId}/networks`, { token: supervisor.token, payload: { address: HOME, decision: 'approved' } }), 200);
    expectStatus(await dataAccess(after.token, HOME), 200);
  });

  it("a supervisor does not decide on a tenant administrator's devices and networks; a security officer or administrator does", async () => {
    const device = await newDevice();
    const adminSignIn = await signInFrom(slug, admin, { device: await proofOf(device, slug, admin.email) });
    const deviceId = (adminSignIn.done.device as { id: string }).id;
    expectProblem(await api('POST', `/v1/agents/${admin.agentId}/devices/${deviceId}/approve`, { token: supervisor.token }), 403, 'agents.forbidden');
    expectProblem(await api('PUT', `/v1/agents/${admin.agentId}/networks`, { token: supervisor.token, payload: { address: HOME, decision: 'approved' } }), 403, 'agents.forbidden');
  });
});

describe('new networks with supervisor approval', () => {
  let admin: SignedIn;
  let supervisor: SignedIn;
  let agent: SignedIn;
  let tenantId: string;
  const slug = 'netapp';

  beforeAll(async () => {
    ({ admin, supervisor, agent, tenantId } = await setUp(slug));
    expectStatus(await api('PUT', '/v1/security/settings', { token: admin.token, payload: { networkApproval: true } }), 200);
  });

  it('a sign-in from a new network gets no data until a supervisor approves the network; the same /24 is the same network', async () => {
    const { token, done } = await signInFrom(slug, agent, { remoteAddress: HOME });
    expect(done.networkStatus).toBe('pending');
    expectProblem(await dataAccess(token, HOME), 403, 'agents.network_not_approved', { networkStatus: 'pending' });

    const listed = await api('GET', `/v1/agents/${agent.agentId}/networks`, { token: supervisor.token });
    // (127.0.0.0/24 too: the enrollment, before the setting.)
    expect(listed.body.networks).toContainEqual(expect.objectContaining({ network: '203.0.113.0/24', status: 'pending', decidedAt: null }));
    expectProblem(await api('PUT', `/v1/agents/${agent.agentId}/networks`, { token, payload: { address: HOME, decision: 'approved' }, remoteAddress: HOME }), 403, 'agents.forbidden');

    const decided = await api('PUT', `/v1/agents/${agent.agentId}/networks`, { token: supervisor.token, payload: { address: HOME, decision: 'approved' } });
    expectStatus(decided, 200);
    expect(decided.body).toEqual({ network: '203.0.113.0/24', status: 'approved' });
    expectStatus(await dataAccess(token, HOME), 200);

    const sameLine = await signInFrom(slug, agent, { remoteAddress: HOME_TOO });
    expect(sameLine.done.networkStatus).toBe('approved');
    expectStatus(await dataAccess(sameLine.token, HOME_TOO), 200);
    // Attack: the same session token used from another network. Approval belongs to the
    // network of each request, not to the session.
    expectProblem(await dataAccess(sameLine.token, CAFE), 403, 'agents.network_not_approved', { networkStatus: 'unknown' });
  });

  it('a denied network stays without data; a supervisor can approve a network before it is first used', async () => {
    const { token, done } = await signInFrom(slug, agent, { remoteAddress: CAFE });
    expect(done.networkStatus).toBe('pending');
    expectStatus(await api('PUT', `/v1/agents/${agent.agentId}/networks`, { token: supervisor.token, payload: { address: CAFE, decision: 'denied' } }), 200);
    expectProblem(await dataAccess(token, CAFE), 403, 'agents.network_not_approved', { networkStatus: 'denied' });
    const later = await signInFrom(slug, agent, { remoteAddress: CAFE });
    expect(later.done.networkStatus).toBe('denied');
    // A session from an approved network cannot be taken to the denied one either.
    const home = await signInFrom(slug, agent, { remoteAddress: HOME });
    expectStatus(await dataAccess(home.token, HOME), 200);
    expectProblem(await dataAccess(home.token, CAFE), 403, 'agents.network_not_approved', { networkStatus: 'denied' });

    const office = await api('PUT', `/v1/agents/${agent.agentId}/networks`, { token: supervisor.token, payload: { address: '2001:db8:aa:bb00::/56', decision: 'approved' } });
    expect(office.body).toEqual({ network: '2001:db8:aa:bb00::/56', status: 'approved' });
    const fromOffice = await signInFrom(slug, agent, { remoteAddress: '2001:db8:aa:bbcc::42' });
    expect(fromOffice.done.networkStatus).toBe('approved');

    expectProblem(await api('PUT', `/v1/agents/${agent.agentId}/networks`, { token: supervisor.token, payload: { address: 'not-an-address', decision: 'approved' } }), 400, 'request.invalid');
  });

  it('the ledger records new networks and decisions, never the addresses', async () => {
    const entries = await ledger(tenantId);
    const actions = entries.map((e) => e.action);
    expect(actions.filter((a) => a === 'agent.network.new').length).toBeGreaterThanOrEqual(2);
    expect(actions).toContain('agent.network.decide');
    const text = entries.map((e) => e.entry).join('\n');
    for (const secret of ['203.0.113', '198.51.100', '2001:db8']) expect(text).not.toContain(secret);
  });
});
