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
 * authenticator (signature counter did not grow) and refuse a replayed assertion. Then devices:
 * sign in with the browser's own device key (WebCrypto, not extractable; its proof used once, and
 * only when recent), recorded only once the second factor completes the sign-in and pending until
 * a supervisor approves it; register the laptop's device-bound passkey as a device (only from a
 * session it proved; a synced passkey is refused), see which device each session proves, find both
 * in the ledger, and revoke the laptop's device: that ends the sessions that proved it and removes
 * the passkey itself.
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
 * - `deviceProof(tenant, email, offsetMs)`: the browser's device key proof for a sign-in
 *   (docs/api.md, `DeviceProof`): an ECDSA P-256 key pair made once per page with a private key
 *   that cannot be extracted, its public JWK, a fresh nonce, and the signature over the statement,
 *   dated now (or `offsetMs` from now: a proof signed earlier, or dated ahead). Answers
 *   {proof, extractable, algorithm, exportRefused}: what the private key says of itself, and the
 *   name of the error the browser raised when asked to export it anyway.
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
  // The device key: made on first use and kept for the page's life (the console keeps it in the browser's storage).
  let deviceKey;
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
    async deviceProof(tenant, email, offsetMs) {
      if (deviceKey === undefined) deviceKey = crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
      const { privateKey, publicKey } = await deviceKey;
      const jwk = await crypto.subtle.exportKey('jwk', publicKey);
      const signedAt = Date.now() + (offsetMs || 0);
      const nonce = toB64u(crypto.getRandomValues(new Uint8Array(24)));
      const statement = ['custodia-device-proof-v1', tenant, email.trim().toLowerCase(), String(signedAt), nonce].join('\\n');
      const signature = toB64u(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, new TextEncoder().encode(statement)));
      let exportRefused = null;
      try { await crypto.subtle.exportKey('pkcs8', privateKey); } catch (e) { exportRefused = e && e.name; }
      return {
        proof: { publicKey: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, signedAt, nonce, signature },
        extractable: privateKey.extractable,
        algorithm: privateKey.algorithm,
        exportRefused,
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

/**
 * A device-bound authenticator: not backup eligible, so its credentials are `singleDevice` (set
 * here rather than left to Chromium's default, because the device cases depend on it). A synced
 * passkey is simulated with both backup flags set (see {@link attach}).
 */
const AUTHENTICATOR = {
  protocol: 'ctap2',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
  defaultBackupEligibility: false,
  defaultBackupState: false,
} as const;

/** What the page's deviceProof() answers. */
interface DeviceProofResult {
  readonly proof: { publicKey: Record<string, string>; signedAt: number; nonce: string; signature: string };
  readonly extractable: boolean;
  readonly algorithm: Record<string, unknown>;
  readonly exportRefused: string | null;
}

/** One of the agent's devices as GET /v1/auth/devices lists it. */
interface DeviceView {
  readonly id: string;
  readonly kind: 'browser_key' | 'webauthn';
  readonly name: string;
  readonly status: string;
  readonly current: boolean;
}

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
  /** The browser's device key (browser_key) and the laptop's passkey registered as a device (webauthn). */
  let browserDeviceId = '';
  let webauthnDeviceId = '';
  /** Complete sessions that proved the laptop's device (webauthnDeviceId), and one that proved only the browser's. */
  const provedLaptop: string[] = [];
  let provedBrowserOnly = '';
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

  /**
   * Attaches the authenticator `name` (detaching the current one), with the credentials it had.
   * `synced`: its new credentials are backup eligible and backed up, like a passkey a password
   * manager or a platform account syncs between devices (`multiDevice`).
   */
  async function attach(name: string, transport: 'internal' | 'usb', synced = false): Promise<void> {
    if (attached !== '') {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: attached });
      detached.set(attachedName, credentials);
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: attached });
      attached = '';
    }
    const backup = synced ? { defaultBackupEligibility: true, defaultBackupState: true } : {};
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { ...AUTHENTICATOR, ...backup, transport } });
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

  /** A password sign-in with the browser's device proof (or another body's `device`): the answer, whatever it is. */
  function signInWithDevice(device: unknown): Promise<ApiResult> {
    return api('POST', '/v1/auth/sign-in', undefined, { tenant: 'demo', email, password: PASSWORD, kind: 'bearer', device });
  }

  /** What the page's device key proves for a sign-in as `proofEmail` in `tenant`, dated `offsetMs` from now. */
  function deviceProof(tenant: string, proofEmail: string, offsetMs = 0): Promise<DeviceProofResult> {
    return call(`window.__e2e.deviceProof(${args(tenant, proofEmail, offsetMs)})`) as Promise<DeviceProofResult>;
  }

  async function devices(token: string): Promise<DeviceView[]> {
    const listed = await api('GET', '/v1/auth/devices', token);
    expect(listed.status, why(listed)).toBe(200);
    return listed.body.devices as DeviceView[];
  }

  /**
   * Completes a password-only session with the attached authenticator, which must be `expected`:
   * the answer (the full session's token, and the device and network the completed sign-in proved).
   */
  async function completeSignIn(passwordToken: string, expected: string): Promise<ApiResult> {
    const credential = await assertion(passwordToken);
    expect(credential.id).toBe(credentialIds.get(expected));
    const done = await api('POST', '/v1/auth/webauthn/authentication', passwordToken, { response: credential });
    expect(done.status, why(done)).toBe(200);
    expect(done.body.next).toBe('done');
    expect(done.body.token).toMatch(/^cses_/);
    return done;
  }

  /** Locks the session `token` and unlocks it with the attached authenticator, which must be `expected`. */
  async function lockAndUnlock(token: string, expected: string): Promise<void> {
    const lock = await api('POST', '/v1/auth/lock', token);
    expect(lock.status, why(lock)).toBe(204);
    const credential = await assertion(token);
    expect(credential.id).toBe(credentialIds.get(expected));
    const unlocked = await api('POST', '/v1/auth/webauthn/authentication', token, { response: credential });
    expect(unlocked.status, why(unlocked)).toBe(200);
    expect(unlocked.body).toEqual({ unlocked: true });
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

  /**
   * Waits for the sequencer (every 200 ms by default) to put at least `count` entries `action`
   * about this agent (and matching `where`, if given) in the tree.
   */
  async function agentEntriesInLedger(action: string, count: number, where: (e: LedgerEntry) => boolean = () => true): Promise<LedgerEntry[]> {
    let entries: LedgerEntry[] = [];
    await expect
      .poll(
        async () => {
          entries = (await ledgerEntries()).filter((e) => e.action === action && e.targets.agent === agentId && where(e));
          return entries.length;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(count);
    return entries;
  }

  /** Waits for the sequencer to put the failures of this agent in the tree. */
  function failuresInLedger(count: number): Promise<LedgerEntry[]> {
    return agentEntriesInLedger('agent.login.failed', count);
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

  it("signs in with the browser's device key: a non-extractable P-256 key, recorded as a pending browser_key device once the second factor completes the sign-in; its proof counts once, recent, untampered", async () => {
    const made = await deviceProof('demo', email);
    // What the console relies on: the private key cannot leave the browser.
    expect(made.extractable).toBe(false);
    expect(made.exportRefused).toBe('InvalidAccessError');
    expect(made.algorithm).toEqual({ name: 'ECDSA', namedCurve: 'P-256' });
    // The public JWK, members the API knows only (it refuses any other, `ext` and `key_ops` too).
    expect(Object.keys(made.proof.publicKey).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(made.proof.publicKey).toMatchObject({ kty: 'EC', crv: 'P-256', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), y: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(made.proof.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const proof = { ...made.proof, name: 'Chromium (e2e)' };

    const signIn = await signInWithDevice(proof);
    expect(signIn.status, why(signIn)).toBe(200);
    expect(signIn.body.next).toBe('second_factor');
    const passwordToken = signIn.body.token as string;
    expect(passwordToken).toMatch(/^cses_/);
    // A password alone records nothing: no device, no network, in the answer or anywhere else.
    expect(signIn.body).not.toHaveProperty('device');
    expect(signIn.body).not.toHaveProperty('networkStatus');
    expect((await api('GET', '/v1/auth/session', passwordToken)).body).toMatchObject({ signedIn: false, factor: 'password' });
    expect(await devices(fullToken)).toEqual([]);

    // The same proof again, with the right password: refused (before the password is looked at).
    const replayed = await signInWithDevice(proof);
    expect(replayed.status, why(replayed)).toBe(400);
    expect(replayed.body).toMatchObject({ code: 'agents.invalid_device_proof', reason: 'replayed' });
    expect(replayed.body.token).toBeUndefined();

    // Proofs that do not say what the body says: signed for another person, for another contact
    // center, or at another time than the one sent.
    const other = server?.invitations.find((i) => i.role === 'agent' && i.email !== email);
    if (other === undefined) throw new Error(`the demo has a single agent invitation\n${server?.output()}`);
    const forSomeoneElse = (await deviceProof('demo', other.email)).proof;
    const forAnotherTenant = (await deviceProof('acme', email)).proof;
    const genuine = (await deviceProof('demo', email)).proof;
    const otherTime = { ...genuine, signedAt: genuine.signedAt - 1 };
    for (const tampered of [forSomeoneElse, forAnotherTenant, otherTime]) {
      const refused = await signInWithDevice(tampered);
      expect(refused.status, why(refused)).toBe(400);
      expect(refused.body).toMatchObject({ code: 'agents.invalid_device_proof', reason: 'bad_signature' });
      expect(refused.body.token).toBeUndefined();
    }
    // Genuine signatures, but dated a minute ahead of the clock (a proof signed for later use:
    // more than 30 s ahead is refused) or six minutes ago (older than 5 min).
    for (const offsetMs of [60_000, -6 * 60_000]) {
      const dated = (await deviceProof('demo', email, offsetMs)).proof;
      const refused = await signInWithDevice(dated);
      expect(refused.status, why(refused)).toBe(400);
      expect(refused.body).toMatchObject({ code: 'agents.invalid_device_proof', reason: 'stale' });
      expect(refused.body.token).toBeUndefined();
    }
    // One key per page: every proof carries it (with a nonce of its own).
    for (const p of [forSomeoneElse, forAnotherTenant, genuine]) expect(p.publicKey).toEqual(proof.publicKey);
    expect(new Set([proof.nonce, forSomeoneElse.nonce, forAnotherTenant.nonce, genuine.nonce]).size).toBe(4);
    // The untouched proof behind `otherTime` was not used up by the refusal.
    const again = await signInWithDevice(genuine);
    expect(again.status, why(again)).toBe(200);
    expect(again.body.next).toBe('second_factor');
    expect(again.body).not.toHaveProperty('device');
    // A proof signed four minutes ago is still good (agents' clocks drift).
    const earlier = await signInWithDevice((await deviceProof('demo', email, -4 * 60_000)).proof);
    expect(earlier.status, why(earlier)).toBe(200);
    expect(earlier.body).not.toHaveProperty('device');
    // Three password sessions with the browser's proof, none complete: still no device.
    expect(await devices(fullToken)).toEqual([]);

    // The first sign-in, completed with the laptop's passkey (not registered as a device): now the
    // browser's device is recorded, pending (nobody approved it), and the session proves it.
    expect(attachedName).toBe('laptop');
    const done = await completeSignIn(passwordToken, 'laptop');
    expect(done.body.device).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending' });
    // The network (127.0.0.0/24) was recorded by the first completed sign-in; nobody approved it either.
    expect(done.body.networkStatus).toBe('pending');
    browserDeviceId = (done.body.device as { id: string }).id;
    fullToken = done.body.token as string;
    expect((await api('GET', '/v1/auth/session', fullToken)).body).toMatchObject({ signedIn: true, factor: 'webauthn', locked: false, agentId });
    expect(await devices(fullToken)).toEqual([expect.objectContaining({ id: browserDeviceId, kind: 'browser_key', name: 'Chromium (e2e)', status: 'pending', current: true, decidedAt: null })]);

    // The same key in another completed sign-in is the same device, still pending.
    const second = await completeSignIn(again.body.token as string, 'laptop');
    expect(second.body.device).toEqual({ id: browserDeviceId, status: 'pending' });
    provedBrowserOnly = second.body.token as string;
    expect(await devices(provedBrowserOnly)).toEqual([expect.objectContaining({ id: browserDeviceId, status: 'pending', current: true })]);

    // The agent does not approve their own device (only a supervisor, security officer or tenant admin).
    const approve = await api('POST', `/v1/agents/${agentId}/devices/${browserDeviceId}/approve`, fullToken);
    expect(approve.status, why(approve)).toBe(403);
    expect(approve.body.code).toBe('agents.forbidden');
    expect((await devices(fullToken)).map((d) => d.status)).toEqual(['pending']);
    // With the demo tenant's default settings (devices not required) a pending device still works:
    // the data-access gate checks the device before the shift and the training, and this session
    // gets past it to the demo agent's missing security training.
    const access = await api('GET', '/v1/auth/data-access', fullToken);
    expect(access.status, why(access)).toBe(403);
    expect(access.body).toMatchObject({ code: 'agents.training_required', course: 'security_awareness' });
  });

  it('registers the device-bound passkey the session proved as a device, pending; not another passkey, not a synced one', async () => {
    // The laptop and the USB key are device bound (AUTHENTICATOR), so the server stored them as singleDevice.
    const factors = await api('GET', '/v1/auth/factors', fullToken);
    expect(factors.status, why(factors)).toBe(200);
    const keys = factors.body.webauthn as { id: string; deviceType: string; backedUp: boolean }[];
    expect(keys.find((k) => k.id === factorIds.get('laptop'))).toMatchObject({ deviceType: 'singleDevice', backedUp: false });
    expect(keys.find((k) => k.id === factorIds.get('usb-key'))).toMatchObject({ deviceType: 'singleDevice', backedUp: false });

    // The session's last proof was the laptop's (the sign-in just completed): that passkey may be registered.
    const registered = await api('POST', '/v1/auth/devices', fullToken, { credentialId: factorIds.get('laptop'), name: 'Laptop authenticator' });
    expect(registered.status, why(registered)).toBe(201);
    // Pending like every new device, whatever the tenant's settings.
    expect(registered.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending' });
    webauthnDeviceId = registered.body.id as string;
    expect(webauthnDeviceId).not.toBe(browserDeviceId);
    provedLaptop.push(fullToken);
    // Registered from this session: the session now proves that device.
    expect(await devices(fullToken)).toEqual([
      expect.objectContaining({ id: browserDeviceId, kind: 'browser_key', status: 'pending', current: false }),
      expect.objectContaining({ id: webauthnDeviceId, kind: 'webauthn', name: 'Laptop authenticator', status: 'pending', current: true, decidedAt: null }),
    ]);

    // Once only.
    const twice = await api('POST', '/v1/auth/devices', fullToken, { credentialId: factorIds.get('laptop'), name: 'Laptop again' });
    expect(twice.status, why(twice)).toBe(409);
    expect(twice.body).toMatchObject({ code: 'agents.device_conflict', device: webauthnDeviceId });
    // Another of the agent's device-bound passkeys, which this session did not prove: a device is registered from itself.
    const otherKey = await api('POST', '/v1/auth/devices', fullToken, { credentialId: factorIds.get('usb-key'), name: 'USB key' });
    expect(otherKey.status, why(otherKey)).toBe(403);
    expect(otherKey.body.code).toBe('agents.step_up_required');
    // No passkey of the agent's at all.
    const unknown = await api('POST', '/v1/auth/devices', fullToken, { credentialId: '00000000-0000-4000-8000-000000000000', name: 'Nothing' });
    expect(unknown.status, why(unknown)).toBe(404);
    expect(unknown.body.code).toBe('agents.factor_not_found');

    // A synced passkey (backup eligible and backed up) identifies no single device: refused even
    // once the session proved it.
    await attach('synced', 'internal', true);
    const options = await api('POST', '/v1/auth/webauthn/registration/options', fullToken);
    expect(options.status, why(options)).toBe(200);
    const credential = credentialOf(await create(options.body));
    credentialIds.set('synced', credential.id);
    const enrolled = await api('POST', '/v1/auth/webauthn/registration', fullToken, { response: credential, name: 'Synced passkey' });
    expect(enrolled.status, why(enrolled)).toBe(200);
    factorIds.set('synced', enrolled.body.id as string);
    const withSynced = (await api('GET', '/v1/auth/factors', fullToken)).body.webauthn as { id: string; deviceType: string; backedUp: boolean }[];
    expect(withSynced.find((k) => k.id === factorIds.get('synced'))).toMatchObject({ deviceType: 'multiDevice', backedUp: true });
    await lockAndUnlock(fullToken, 'synced');
    const synced = await api('POST', '/v1/auth/devices', fullToken, { credentialId: factorIds.get('synced'), name: 'Synced passkey' });
    expect(synced.status, why(synced)).toBe(422);
    expect(synced.body.code).toBe('agents.device_not_bound');
    expect((await devices(fullToken)).map((d) => d.id)).toEqual([browserDeviceId, webauthnDeviceId]);

    // A new sign-in with the browser's key, completed with the USB key (no device of its own): the
    // browser's device, told in the answer that completes the sign-in, not in the password's.
    await attach('usb-key', 'usb');
    const signIn = await signInWithDevice((await deviceProof('demo', email)).proof);
    expect(signIn.status, why(signIn)).toBe(200);
    expect(signIn.body).not.toHaveProperty('device');
    const viaUsb = await completeSignIn(signIn.body.token as string, 'usb-key');
    expect(viaUsb.body.device).toEqual({ id: browserDeviceId, status: 'pending' });
    expect(viaUsb.body.networkStatus).toBe('pending');
    const token = viaUsb.body.token as string;
    expect((await devices(token)).map((d) => [d.kind, d.current])).toEqual([
      ['browser_key', true],
      ['webauthn', false],
    ]);

    // Unlocked with the registered passkey, the same session proves the laptop's device.
    await attach('laptop', 'internal');
    await lockAndUnlock(token, 'laptop');
    expect(await devices(token)).toEqual([
      expect.objectContaining({ id: browserDeviceId, current: false }),
      expect.objectContaining({ id: webauthnDeviceId, kind: 'webauthn', current: true }),
    ]);
    provedLaptop.push(token);

    // And a sign-in without a device proof, completed with it, proves that device from the start.
    const plain = await signInWithPassword();
    expect(plain.body).not.toHaveProperty('device');
    const viaLaptop = await completeSignIn(plain.body.token as string, 'laptop');
    expect(viaLaptop.body.device).toEqual({ id: webauthnDeviceId, status: 'pending' });
    fullToken = viaLaptop.body.token as string;
    provedLaptop.push(fullToken);
    expect(await devices(fullToken)).toEqual([
      expect.objectContaining({ id: browserDeviceId, current: false }),
      expect.objectContaining({ id: webauthnDeviceId, kind: 'webauthn', status: 'pending', current: true }),
    ]);
  });

  it('records each new device in the ledger, once, with its kind, and each completed sign-in with the device and network it proved', async () => {
    // The last sign-in's completion is the latest entry of the cases above: once it is in the
    // tree, everything recorded before it is too.
    const completed = await agentEntriesInLedger('agent.login.second_factor', 1, (e) => e.targets.device === webauthnDeviceId);
    expect(completed).toHaveLength(1);
    const ledger = (await ledgerEntries()).filter((e) => e.targets.agent === agentId);
    const entries = ledger.filter((e) => e.action === 'agent.device.new');
    // Two devices, whatever the number of sign-ins with them (and nothing for the refused
    // registrations or the password-only sessions). No status: recording never approves.
    expect(entries).toHaveLength(2);
    expect(entries).toEqual([
      { action: 'agent.device.new', actor: { type: 'agent', id: agentId }, targets: { agent: agentId, device: browserDeviceId }, details: { kind: 'browser_key' } },
      {
        action: 'agent.device.new',
        actor: { type: 'agent', id: agentId },
        targets: { agent: agentId, device: webauthnDeviceId, factor: factorIds.get('laptop') },
        details: { kind: 'webauthn' },
      },
    ].map((e) => expect.objectContaining(e)));

    // The password sign-ins say whether a device proof came with them, and name no device: in
    // order: the first six cases' four, the three accepted with the browser's proof (the refused
    // proofs opened nothing), the USB key's with it, and the last one without.
    const passwords = ledger.filter((e) => e.action === 'agent.login.password');
    expect(passwords.map((e) => e.details)).toEqual([false, false, false, false, true, true, true, true, false].map((deviceProof) => ({ kind: 'bearer', rehashed: false, deviceProof })));
    for (const e of passwords) expect(Object.keys(e.targets).sort()).toEqual(['agent', 'session']);

    // The completed sign-ins: the device each proved (none before the browser's key came), its
    // status, and the network's, all pending (nobody approved anything).
    const secondFactors = ledger.filter((e) => e.action === 'agent.login.second_factor');
    const none = { factor: 'webauthn', device: 'none', network: 'pending' };
    const pending = { factor: 'webauthn', device: 'pending', network: 'pending' };
    expect(secondFactors.map((e) => [e.targets.device ?? null, e.details])).toEqual([
      [null, none],
      [null, none],
      [null, none],
      [browserDeviceId, pending],
      [browserDeviceId, pending],
      [browserDeviceId, pending],
      [webauthnDeviceId, pending],
    ]);
    for (const e of secondFactors) expect(e.targets).toEqual({ agent: agentId, session: expect.stringMatching(/^[0-9a-f-]{36}$/), ...(e.targets.device === undefined ? {} : { device: e.targets.device }) });
    expect(new Set(secondFactors.map((e) => e.targets.session)).size).toBe(secondFactors.length);
  });

  it("revokes the laptop's device: its sessions end and its passkey is removed, the other factors and sessions stay", async () => {
    // A session that does not prove the laptop's device: signed in with the browser's key, completed with the USB key.
    await attach('usb-key', 'usb');
    const signIn = await signInWithDevice((await deviceProof('demo', email)).proof);
    expect(signIn.status, why(signIn)).toBe(200);
    const done = await completeSignIn(signIn.body.token as string, 'usb-key');
    expect(done.body.device).toEqual({ id: browserDeviceId, status: 'pending' });
    const token = done.body.token as string;
    for (const t of provedLaptop) expect((await api('GET', '/v1/auth/session', t)).status).toBe(200);

    const revoked = await api('POST', `/v1/agents/${agentId}/devices/${webauthnDeviceId}/revoke`, token);
    expect(revoked.status, why(revoked)).toBe(200);
    // The sessions that proved it: the one that registered it, the USB key's unlocked with it, and the last sign-in with it.
    expect(provedLaptop).toHaveLength(3);
    expect(revoked.body).toEqual({ sessionsRevoked: provedLaptop.length });
    expect(revoked.body.sessionsRevoked).toBeGreaterThanOrEqual(1);
    for (const t of provedLaptop) {
      const ended = await api('GET', '/v1/auth/session', t);
      expect(ended.status, why(ended)).toBe(401);
      expect(ended.body.code).toBe('agents.unauthenticated');
    }
    // Sessions that proved another device go on.
    for (const t of [token, provedBrowserOnly]) {
      const still = await api('GET', '/v1/auth/session', t);
      expect(still.status, why(still)).toBe(200);
      expect(still.body).toMatchObject({ signedIn: true, agentId });
    }
    expect(await devices(token)).toEqual([
      expect.objectContaining({ id: browserDeviceId, kind: 'browser_key', status: 'pending', current: true }),
      expect.objectContaining({ id: webauthnDeviceId, kind: 'webauthn', status: 'revoked', current: false }),
    ]);

    // The passkey was on the lost machine: it is no second factor any more; the USB key and the synced passkey are.
    const factors = await api('GET', '/v1/auth/factors', token);
    expect(factors.status, why(factors)).toBe(200);
    const ids = (factors.body.webauthn as { id: string }[]).map((k) => k.id);
    expect(ids).not.toContain(factorIds.get('laptop'));
    expect(ids).toEqual([factorIds.get('usb-key'), factorIds.get('synced')]);
    // Nor will a sign-in ask for it.
    const next = await signInWithPassword();
    expect(next.body.factors).toEqual(['webauthn', 'recovery']);
    const options = await api('POST', '/v1/auth/webauthn/authentication/options', next.body.token as string);
    expect(options.status, why(options)).toBe(200);
    expect((options.body.allowCredentials as { id: string }[]).map((c) => c.id).sort()).toEqual([credentialIds.get('usb-key'), credentialIds.get('synced')].sort());

    // Revoking again ends nothing more (its passkey is already gone).
    const twice = await api('POST', `/v1/agents/${agentId}/devices/${webauthnDeviceId}/revoke`, token);
    expect(twice.status, why(twice)).toBe(200);
    expect(twice.body).toEqual({ sessionsRevoked: 0 });

    // Both in the ledger, by the agent: the first removed the passkey, the second found none to remove.
    const entries = await agentEntriesInLedger('agent.device.revoke', 2);
    expect(entries).toHaveLength(2);
    for (const e of entries) {
      expect(e.actor).toEqual({ type: 'agent', id: agentId });
      expect(e.targets).toEqual({ agent: agentId, device: webauthnDeviceId });
    }
    expect(entries.map((e) => e.details)).toEqual([
      { sessions: provedLaptop.length, self: true, credentialRemoved: true },
      { sessions: 0, self: true, credentialRemoved: false },
    ]);
  });
});
