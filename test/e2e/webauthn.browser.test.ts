/**
 * Passkeys (WebAuthn) end to end: the real server (`custodia serve --demo`), Debian's Chromium
 * through playwright-core, and CDP virtual authenticators standing in for a laptop's platform
 * authenticator and a USB security key. The page does what the console will do: call the API
 * with a bearer session and run `navigator.credentials.create()` / `.get()` with the options the
 * server gives, on http://localhost (WebAuthn refuses IP origins; the server's relying party for
 * its loopback URL is `localhost`).
 *
 * One server, one browser, one page; the cases run in order and build on each other:
 * accept an invitation, register a first passkey (which completes that sign-in), register a
 * second authenticator, sign in with a passkey, unlock a locked session, refuse a cloned
 * authenticator (signature counter did not grow) and refuse a replayed assertion.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer, stopServer } from './demo-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'correct horse battery staple 42';

/**
 * What the console's script does, installed in the page before its own scripts (an init script is
 * not subject to the page's CSP). Plain JavaScript in a string: this project's TypeScript has no
 * DOM types, and a function handed to page.evaluate would be serialized after transpilation.
 *
 * - `api(method, path, token, body)`: fetch with `Authorization: Bearer`, answers {status, body}.
 * - `create(options)` / `get(options)`: the WebAuthn ceremony with the server's JSON options
 *   (base64url to ArrayBuffer and back), answering {ok: true, credential} with the JSON that
 *   @simplewebauthn/server verifies, or {ok: false, name, message} with the DOMException.
 */
const PAGE_HELPERS = `window.__e2e = (() => {
  const toB64u = (buffer) => {
    let s = '';
    for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  };
  const fromB64u = (text) => {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  };
  const descriptors = (list) => (list || []).map((c) => ({ ...c, id: fromB64u(c.id) }));
  const failure = (e) => ({ ok: false, name: e && e.name, message: e && e.message });
  return {
    async api(method, path, token, body) {
      const headers = {};
      if (token) headers.authorization = 'Bearer ' + token;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      let json = null;
      try { json = text === '' ? null : JSON.parse(text); } catch { json = { unparsed: text }; }
      return { status: response.status, body: json };
    },
    async create(options) {
      const publicKey = { ...options, challenge: fromB64u(options.challenge), user: { ...options.user, id: fromB64u(options.user.id) }, excludeCredentials: descriptors(options.excludeCredentials) };
      let credential;
      try { credential = await navigator.credentials.create({ publicKey }); } catch (e) { return failure(e); }
      return {
        ok: true,
        credential: {
          id: credential.id,
          rawId: toB64u(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toB64u(credential.response.clientDataJSON),
            attestationObject: toB64u(credential.response.attestationObject),
            transports: credential.response.getTransports(),
          },
          clientExtensionResults: {},
        },
      };
    },
    async get(options) {
      const publicKey = { ...options, challenge: fromB64u(options.challenge), allowCredentials: descriptors(options.allowCredentials) };
      let credential;
      try { credential = await navigator.credentials.get({ publicKey }); } catch (e) { return failure(e); }
      const r = credential.response;
      return {
        ok: true,
        credential: {
          id: credential.id,
          rawId: toB64u(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toB64u(r.clientDataJSON),
            authenticatorData: toB64u(r.authenticatorData),
            signature: toB64u(r.signature),
            userHandle: r.userHandle === null ? undefined : toB64u(r.userHandle),
          },
          clientExtensionResults: {},
        },
      };
    },
  };
})();`;

interface ApiResult {
  readonly status: number;
  // The API's JSON as the page received it (checked by the assertions, not by types).
  readonly body: Record<string, unknown> & { code?: string };
}

interface CredentialJson {
  readonly id: string;
  readonly rawId: string;
  readonly type: 'public-key';
  readonly response: Record<string, unknown>;
}

type Ceremony = { ok: true; credential: CredentialJson } | { ok: false; name: string; message: string };

/** A credential as CDP's WebAuthn domain describes it (binary fields in standard base64). */
interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

const AUTHENTICATOR = { protocol: 'ctap2', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } as const;

/** One canonical ledger entry (docs/ledger.md), the members this file reads. */
interface LedgerEntry {
  readonly action: string;
  readonly actor: { type: string; id: string };
  readonly targets: Record<string, string>;
  readonly details: Record<string, unknown>;
}

describe('passkeys (WebAuthn) in Chromium with virtual authenticators', () => {
  let dataDir: string | undefined;
  let server: DemoServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let cdp: CDPSession;

  // What the cases hand on to each other.
  let tenantId = '';
  let agentId = '';
  let email = '';
  /** The agent's current complete (second-factor) session. */
  let fullToken = '';
  /** The authenticator attached now, and its name (one at a time, so which one answers is never in doubt). */
  let attached = '';
  let attachedName = '';
  /** Credentials of the detached authenticators, by name, to put back when they are attached again. */
  const detached = new Map<string, VirtualCredential[]>();
  /** Server-side credential ids (the factors list) by authenticator name. */
  const factorIds = new Map<string, string>();
  /** Credential ids (base64url, as the browser reports them) by authenticator name. */
  const credentialIds = new Map<string, string>();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}, so the browser suite cannot run. Install Debian's package: apt-get update && apt-get install -y chromium`,
      );
    }
    if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('the server is not built; run `npm run build` (npm run test:e2e does)');
    dataDir = mkdtempSync(path.join(tmpdir(), 'custodia-e2e-webauthn-'));
    server = await startDemoServer(dataDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext();
    page = await context.newPage();
    await page.addInitScript({ content: PAGE_HELPERS });
    // localhost, not 127.0.0.1: the origin must have a domain the RP ID (`localhost`) matches.
    const response = await page.goto(`http://localhost:${server.port}/invite`);
    expect(response?.status()).toBe(200);
    expect(await page.evaluate<boolean>('window.isSecureContext && typeof window.__e2e === "object"')).toBe(true);
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
  });

  afterAll(async () => {
    await browser?.close();
    if (server !== undefined) await stopServer(server.child);
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (expression: string) => page.evaluate(expression);
  const args = (...values: unknown[]) => values.map((v) => (v === undefined ? 'undefined' : JSON.stringify(v))).join(', ');

  /** An assertion message: the problem, and the server's output when it failed internally. */
  function why(result: ApiResult): string {
    return result.status >= 500 ? `${JSON.stringify(result.body)}\n${server?.output()}` : JSON.stringify(result.body);
  }

  function api(method: 'GET' | 'POST', url: string, token?: string, body?: unknown): Promise<ApiResult> {
    return call(`window.__e2e.api(${args(method, url, token, body)})`) as Promise<ApiResult>;
  }

  function create(options: unknown): Promise<Ceremony> {
    return call(`window.__e2e.create(${args(options)})`) as Promise<Ceremony>;
  }

  function get(options: unknown): Promise<Ceremony> {
    return call(`window.__e2e.get(${args(options)})`) as Promise<Ceremony>;
  }

  function credentialOf(ceremony: Ceremony): CredentialJson {
    if (!ceremony.ok) throw new Error(`the browser refused the WebAuthn ceremony: ${ceremony.name}: ${ceremony.message}`);
    return ceremony.credential;
  }

  /** Attaches the authenticator `name` (detaching the current one), with the credentials it had. */
  async function attach(name: string, transport: 'internal' | 'usb'): Promise<void> {
    if (attached !== '') {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: attached });
      detached.set(attachedName, credentials);
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: attached });
      attached = '';
    }
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { ...AUTHENTICATOR, transport } });
    for (const credential of detached.get(name) ?? []) await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
    detached.delete(name);
    attached = authenticatorId;
    attachedName = name;
  }

  async function credentialsOnAuthenticator(): Promise<VirtualCredential[]> {
    return (await cdp.send('WebAuthn.getCredentials', { authenticatorId: attached })).credentials;
  }

  async function signInWithPassword(): Promise<ApiResult> {
    const result = await api('POST', '/v1/auth/sign-in', undefined, { tenant: 'demo', email, password: PASSWORD, kind: 'bearer' });
    expect(result.status, why(result)).toBe(200);
    return result;
  }

  /** Authentication options for `token`, answered by the attached authenticator: the response JSON. */
  async function assertion(token: string): Promise<CredentialJson> {
    const options = await api('POST', '/v1/auth/webauthn/authentication/options', token);
    expect(options.status, why(options)).toBe(200);
    return credentialOf(await get(options.body));
  }

  /** Every sequenced ledger entry of the tenant, through the platform API. */
  async function ledgerEntries(): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    let from = 0;
    for (;;) {
      const response = await fetch(`http://127.0.0.1:${server?.port}/v1/platform/tenants/${tenantId}/ledger/entries?from=${from}&limit=1000`, {
        headers: { authorization: `Bearer ${server?.platformToken}` },
      });
      expect(response.status).toBe(200);
      const batch = (await response.json()) as { entries: { seq: number; entry: string }[]; next?: number };
      out.push(...batch.entries.map((e) => JSON.parse(e.entry) as LedgerEntry));
      if (batch.next === undefined) return out;
      from = batch.next;
    }
  }

  /** Waits for the sequencer (every 200 ms by default) to put the failures of this agent in the tree. */
  async function failuresInLedger(count: number): Promise<LedgerEntry[]> {
    let failures: LedgerEntry[] = [];
    await expect
      .poll(
        async () => {
          failures = (await ledgerEntries()).filter((e) => e.action === 'agent.login.failed' && e.targets.agent === agentId);
          return failures.length;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(count);
    return failures;
  }

  it('registers a passkey as the first second factor: that completes the sign-in and issues 10 recovery codes', async () => {
    const invitation = server?.invitations.find((i) => i.role === 'agent');
    if (invitation === undefined) throw new Error(`no agent invitation printed\n${server?.output()}`);
    email = invitation.email;

    const accepted = await api('POST', '/v1/invitations/accept', undefined, { token: invitation.token, displayName: 'Ana Agent', password: PASSWORD });
    expect(accepted.status, why(accepted)).toBe(201);
    expect(accepted.body.role).toBe('agent');
    tenantId = accepted.body.tenantId as string;
    agentId = accepted.body.agentId as string;

    const signIn = await signInWithPassword();
    expect(signIn.body.next).toBe('enroll');
    expect(signIn.body.factors).toEqual([]);
    const passwordToken = signIn.body.token as string;
    expect(passwordToken).toMatch(/^cses_/);
    const before = await api('GET', '/v1/auth/session', passwordToken);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ signedIn: false, factor: 'password', kind: 'bearer', agentId, tenantId });

    const options = await api('POST', '/v1/auth/webauthn/registration/options', passwordToken);
    expect(options.status, why(options)).toBe(200);
    expect(options.body.rp).toMatchObject({ id: 'localhost' });
    expect(options.body.user).toMatchObject({ name: email, displayName: 'Ana Agent' });
    expect(options.body.authenticatorSelection).toMatchObject({ userVerification: 'required' });
    expect(options.body.excludeCredentials).toEqual([]);

    await attach('laptop', 'internal');
    const credential = credentialOf(await create(options.body));
    credentialIds.set('laptop', credential.id);
    // The authenticator now holds exactly that credential, for the RP ID `localhost`.
    const held = await credentialsOnAuthenticator();
    expect(held).toHaveLength(1);
    expect(Buffer.from(held[0]?.credentialId ?? '', 'base64').toString('base64url')).toBe(credential.id);
    expect(held[0]?.rpId).toBe('localhost');

    const registered = await api('POST', '/v1/auth/webauthn/registration', passwordToken, { response: credential, name: 'Laptop passkey' });
    expect(registered.status, why(registered)).toBe(200);
    expect(registered.body.next).toBe('done');
    expect(registered.body.factors).toEqual(['webauthn', 'recovery']);
    fullToken = registered.body.token as string;
    expect(fullToken).toMatch(/^cses_/);
    expect(fullToken).not.toBe(passwordToken);
    const codes = registered.body.recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);

    // The password-only session was replaced: its token is worthless now.
    const old = await api('GET', '/v1/auth/session', passwordToken);
    expect(old.status).toBe(401);
    expect(old.body.code).toBe('agents.unauthenticated');

    const session = await api('GET', '/v1/auth/session', fullToken);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ signedIn: true, factor: 'webauthn', locked: false, agentId });

    const factors = await api('GET', '/v1/auth/factors', fullToken);
    expect(factors.status, why(factors)).toBe(200);
    expect(factors.body.totp).toBe(false);
    expect(factors.body.recoveryCodesLeft).toBe(10);
    const keys = factors.body.webauthn as { id: string; name: string; lastUsedAt: string | null }[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ name: 'Laptop passkey', lastUsedAt: null });
    factorIds.set('laptop', keys[0]?.id ?? '');
  });

  it('registers a second authenticator; the first refuses to register again (excludeCredentials)', async () => {
    const options = await api('POST', '/v1/auth/webauthn/registration/options', fullToken);
    expect(options.status, why(options)).toBe(200);
    const excluded = options.body.excludeCredentials as { id: string; type: string }[];
    expect(excluded.map((c) => c.id)).toEqual([credentialIds.get('laptop')]);

    // The laptop already holds a credential on the exclude list: the browser refuses.
    const again = await create(options.body);
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.name).toBe('InvalidStateError');
    expect(await credentialsOnAuthenticator()).toHaveLength(1);

    await attach('usb-key', 'usb');
    const fresh = await api('POST', '/v1/auth/webauthn/registration/options', fullToken);
    expect(fresh.status).toBe(200);
    const credential = credentialOf(await create(fresh.body));
    expect(credential.id).not.toBe(credentialIds.get('laptop'));
    credentialIds.set('usb-key', credential.id);
    const registered = await api('POST', '/v1/auth/webauthn/registration', fullToken, { response: credential, name: 'USB security key' });
    expect(registered.status, why(registered)).toBe(200);
    expect(registered.body.registered).toBe(true);
    expect(registered.body.id).toMatch(/^[0-9a-f-]{36}$/);
    // Not the first factor: no new recovery codes, no new session.
    expect(registered.body.recoveryCodes).toBeUndefined();
    expect(registered.body.token).toBeUndefined();
    factorIds.set('usb-key', registered.body.id as string);

    const factors = await api('GET', '/v1/auth/factors', fullToken);
    expect(factors.status).toBe(200);
    const keys = factors.body.webauthn as { id: string; name: string }[];
    expect(keys.map((k) => k.name)).toEqual(['Laptop passkey', 'USB security key']);
    expect(keys.map((k) => k.id)).toEqual([factorIds.get('laptop'), factorIds.get('usb-key')]);
    expect(factors.body.recoveryCodesLeft).toBe(10);
  });

  it('signs in with the password and then a passkey', async () => {
    const signIn = await signInWithPassword();
    expect(signIn.body.next).toBe('second_factor');
    expect(signIn.body.factors).toEqual(['webauthn', 'recovery']);
    const passwordToken = signIn.body.token as string;

    const options = await api('POST', '/v1/auth/webauthn/authentication/options', passwordToken);
    expect(options.status, why(options)).toBe(200);
    expect(options.body.rpId).toBe('localhost');
    expect(options.body.userVerification).toBe('required');
    expect((options.body.allowCredentials as { id: string }[]).map((c) => c.id).sort()).toEqual([credentialIds.get('laptop'), credentialIds.get('usb-key')].sort());

    // The USB key is attached: it answers.
    const credential = credentialOf(await get(options.body));
    expect(credential.id).toBe(credentialIds.get('usb-key'));
    const done = await api('POST', '/v1/auth/webauthn/authentication', passwordToken, { response: credential });
    expect(done.status, why(done)).toBe(200);
    expect(done.body.next).toBe('done');
    const token = done.body.token as string;
    expect(token).toMatch(/^cses_/);
    expect(token).not.toBe(passwordToken);

    const session = await api('GET', '/v1/auth/session', token);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ signedIn: true, factor: 'webauthn', locked: false, lockReason: null, agentId });
    expect((await api('GET', '/v1/auth/session', passwordToken)).status).toBe(401);

    const factors = await api('GET', '/v1/auth/factors', token);
    const keys = factors.body.webauthn as { id: string; lastUsedAt: string | null }[];
    expect(keys.find((k) => k.id === factorIds.get('usb-key'))?.lastUsedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(keys.find((k) => k.id === factorIds.get('laptop'))?.lastUsedAt).toBeNull();
    fullToken = token;
  });

  it('unlocks a locked session with a passkey', async () => {
    const lock = await api('POST', '/v1/auth/lock', fullToken);
    expect(lock.status, why(lock)).toBe(204);
    const locked = await api('GET', '/v1/auth/session', fullToken);
    expect(locked.body).toMatchObject({ locked: true, lockReason: 'manual' });
    const refused = await api('GET', '/v1/auth/data-access', fullToken);
    expect(refused.status).toBe(423);
    expect(refused.body.code).toBe('agents.session_locked');

    // The laptop this time (its credential comes back as it was).
    await attach('laptop', 'internal');
    const credential = await assertion(fullToken);
    expect(credential.id).toBe(credentialIds.get('laptop'));
    const unlocked = await api('POST', '/v1/auth/webauthn/authentication', fullToken, { response: credential });
    expect(unlocked.status, why(unlocked)).toBe(200);
    expect(unlocked.body).toEqual({ unlocked: true });

    const session = await api('GET', '/v1/auth/session', fullToken);
    expect(session.body).toMatchObject({ signedIn: true, locked: false, lockReason: null });
    // No longer the lock's 423 (the demo agent may still lack a shift or training: that is a 403).
    const access = await api('GET', '/v1/auth/data-access', fullToken);
    expect(access.status, why(access)).not.toBe(423);
    expect(access.body.code).not.toBe('agents.session_locked');
  });

  it('refuses a cloned authenticator (signature counter not increased) and records it in the ledger', async () => {
    const [original] = await credentialsOnAuthenticator();
    if (original === undefined) throw new Error('the laptop authenticator lost its credential');
    // The laptop signed a registration and an unlock; the server stored its last counter.
    expect(original.signCount).toBeGreaterThanOrEqual(1);

    // A copy of the key whose counter is behind the original's: what a clone looks like.
    await cdp.send('WebAuthn.removeCredential', { authenticatorId: attached, credentialId: original.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId: attached, credential: { ...original, signCount: 0 } });

    const signIn = await signInWithPassword();
    const passwordToken = signIn.body.token as string;
    const cloned = await assertion(passwordToken);
    expect(cloned.id).toBe(credentialIds.get('laptop'));
    const refused = await api('POST', '/v1/auth/webauthn/authentication', passwordToken, { response: cloned });
    expect(refused.status, why(refused)).toBe(401);
    expect(refused.body.code).toBe('agents.invalid_second_factor');
    // Still only the password: the refused session cannot do anything else.
    const still = await api('GET', '/v1/auth/session', passwordToken);
    expect(still.body).toMatchObject({ signedIn: false, factor: 'password' });

    const failures = await failuresInLedger(1);
    expect(failures.map((f) => f.details)).toContainEqual(expect.objectContaining({ stage: 'webauthn', reason: 'counter_not_increased' }));
    const entry = failures.find((f) => f.details.reason === 'counter_not_increased');
    expect(entry?.targets).toMatchObject({ agent: agentId });
    expect(entry?.actor).toEqual({ type: 'system', id: 'sign-in' });

    // The same key with a counter ahead of the stored one is accepted: it was the counter.
    await cdp.send('WebAuthn.removeCredential', { authenticatorId: attached, credentialId: original.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId: attached, credential: { ...original, signCount: original.signCount + 10 } });
    const genuine = await assertion(passwordToken);
    const done = await api('POST', '/v1/auth/webauthn/authentication', passwordToken, { response: genuine });
    expect(done.status, why(done)).toBe(200);
    expect(done.body.next).toBe('done');
    fullToken = done.body.token as string;
  });

  it('does not accept an assertion twice: each challenge is used once, by its own session', async () => {
    // Unlock of a locked session: the session survives the ceremony, so a replay meets the
    // same session (a sign-in replaces it, and the old token is refused for that reason alone).
    expect((await api('POST', '/v1/auth/lock', fullToken)).status).toBe(204);
    const credential = await assertion(fullToken);
    const first = await api('POST', '/v1/auth/webauthn/authentication', fullToken, { response: credential });
    expect(first.status, why(first)).toBe(200);
    expect(first.body).toEqual({ unlocked: true });

    expect((await api('POST', '/v1/auth/lock', fullToken)).status).toBe(204);
    // The same answer again: its challenge was consumed.
    const replay = await api('POST', '/v1/auth/webauthn/authentication', fullToken, { response: credential });
    expect(replay.status, why(replay)).toBe(401);
    expect(replay.body.code).toBe('agents.invalid_second_factor');
    // And against a new challenge it answers the wrong one.
    const options = await api('POST', '/v1/auth/webauthn/authentication/options', fullToken);
    expect(options.status).toBe(200);
    expect(options.body.challenge).not.toBe(JSON.parse(Buffer.from(credential.response.clientDataJSON as string, 'base64url').toString('utf8')).challenge);
    const stale = await api('POST', '/v1/auth/webauthn/authentication', fullToken, { response: credential });
    expect(stale.status, why(stale)).toBe(401);
    expect(stale.body.code).toBe('agents.invalid_second_factor');
    const session = await api('GET', '/v1/auth/session', fullToken);
    expect(session.body).toMatchObject({ locked: true, lockReason: 'manual' });

    // Nor on another session: a captured sign-in answer does not complete someone else's sign-in.
    const signIn = await signInWithPassword();
    const passwordToken = signIn.body.token as string;
    const captured = await api('POST', '/v1/auth/webauthn/authentication', passwordToken, { response: credential });
    expect(captured.status, why(captured)).toBe(401);
    expect(captured.body.code).toBe('agents.invalid_second_factor');
    expect((await api('GET', '/v1/auth/session', passwordToken)).body).toMatchObject({ signedIn: false });

    const reasons = (await failuresInLedger(4)).map((f) => f.details.reason);
    expect(reasons).toEqual(['counter_not_increased', 'no_challenge', 'invalid', 'no_challenge']);

    // A fresh ceremony still unlocks (the refusals did not break the session).
    const fresh = await assertion(fullToken);
    const unlocked = await api('POST', '/v1/auth/webauthn/authentication', fullToken, { response: fresh });
    expect(unlocked.status, why(unlocked)).toBe(200);
    expect(unlocked.body).toEqual({ unlocked: true });
  });
});
