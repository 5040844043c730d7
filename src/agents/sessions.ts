/**
 * Agent sessions: opaque random tokens (`cses_...`, see tenant-tokens.ts) of which only the
 * SHA-256 is stored, one tenant each, with an absolute lifetime, an idle lock and revocation.
 *
 * Hot path. Every authenticated request resolves its token; doing that with a database read would
 * cost a round trip per request, so each process keeps a small cache of resolved sessions:
 *
 * - an entry lives at most `cacheTtlMs` (1 s without Redis, so a revocation made by another
 *   process without a shared bus still bites within one second; longer with Redis, whose
 *   pub/sub invalidates entries on every process at once);
 * - every change of a session (revocation, lock, unlock, role change) is published on the event
 *   bus, and every process drops the entries concerned before the change's request answers;
 * - activity is kept in memory and written back at most every `activityWriteMs`, so the idle
 *   lock is precise to that granularity; before locking for idleness the row is read again, in
 *   case another process saw activity this one did not.
 */
import type { Database, DeviceStatus, SessionFactor, SessionLockReason, SessionRevokedReason, Tx } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { constantTimeEqual, generateToken, sha256 } from '../platform/crypto.js';
import type { EventBus } from '../platform/events.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import { recordEntry } from '../ledger/record.js';
import type { RaisedAlert } from './alerts.js';
import type { Role } from './roles.js';
import { compileNetworks, type NetworkList } from './networks.js';
import { loadSecuritySettings, parseSecuritySettings, type SecuritySettings } from './settings.js';
import { makeTenantToken, tenantOfToken } from './tenant-tokens.js';

export const SESSION_CHANNEL = 'agents.sessions';
/** A session that passed only the password has this long to present a second factor. */
export const SIGN_IN_WINDOW_MS = 10 * 60_000;

export interface Session {
  readonly id: string;
  readonly tenantId: string;
  readonly agentId: string;
  readonly role: Role;
  readonly kind: 'console' | 'bearer';
  readonly factor: SessionFactor;
  readonly csrfHash: Buffer | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  lastActivityAt: Date;
  secondFactorAt: Date | null;
  lockedAt: Date | null;
  lockReason: SessionLockReason | null;
  presenceAt: Date | null;
  /** The device the session proved (devices.ts), if any. */
  deviceId: string | null;
  /** The network (networkOf) the session was opened from. */
  readonly network: string | null;
  /** The passkey of the latest WebAuthn proof in this session, if any. */
  credentialId: string | null;
  /** The factor of the latest second-factor proof (sign-in or unlock); null before one. */
  proofFactor: Exclude<SessionFactor, 'password'> | null;
}

export interface IssuedSession {
  readonly id: string;
  /** The secret: sent once (cookie or body), never stored. */
  readonly token: string;
  /** For console sessions: the CSRF token the console sends back in `x-csrf-token`. */
  readonly csrfToken: string | null;
  readonly expiresAt: Date;
  /** When this session completed a sign-in: the device it proved and whether it counts yet. */
  readonly device?: { readonly id: string; readonly status: DeviceStatus };
  /** When this session completed a sign-in: the status of the network it came from. */
  readonly networkStatus?: 'pending' | 'approved' | 'denied';
  /** Alerts raised with it, to announce after commit. */
  readonly alerts?: readonly RaisedAlert[];
}

interface CacheEntry {
  session: Session;
  fetchedAt: number;
}

export interface SessionServiceOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly cacheTtlMs: number;
  /** Write-back granularity of activity (default 30 s). */
  readonly activityWriteMs?: number;
  /** Most cached sessions per process (default 50,000). */
  readonly maxCached?: number;
}

/** What changed: some sessions, every session of an agent, the tenant's settings, or the whole tenant (suspended, deleted). */
export type SessionEvent = { tenantId: string; sessionIds?: string[]; agentId?: string; settings?: boolean; tenant?: boolean };

export class SessionService {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #bus: EventBus;
  readonly #logger: Logger;
  readonly #ttl: number;
  readonly #activityWriteMs: number;
  readonly #maxCached: number;
  /** token hash (hex) -> entry */
  readonly #cache = new Map<string, CacheEntry>();
  /** Last activity and presence already written to the database, per session object. */
  readonly #written = new WeakMap<Session, number>();
  readonly #writtenPresence = new WeakMap<Session, number>();
  /** session id -> token hash (hex), so that an event drops its sessions without a scan. */
  readonly #keyOf = new Map<string, string>();
  readonly #settings = new Map<string, { settings: SecuritySettings; networks: NetworkList | null; fetchedAt: number }>();
  readonly #unsubscribe: () => void;
  /**
   * Counts session events seen. A load from the database that started before an event may
   * have read the row before the change the event announces: such a result serves its own
   * request but is not cached (otherwise it could outlive the revocation by a cache lifetime).
   */
  #events = 0;

  constructor(options: SessionServiceOptions) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#bus = options.bus;
    this.#logger = options.logger;
    this.#ttl = options.cacheTtlMs;
    this.#activityWriteMs = options.activityWriteMs ?? 30_000;
    this.#maxCached = options.maxCached ?? 50_000;
    this.#unsubscribe = this.#bus.subscribe(SESSION_CHANNEL, (message) => this.#forget(message as SessionEvent));
  }

  close(): void {
    this.#unsubscribe();
    this.#cache.clear();
  }

  /** Creates a session in the caller's (tenant-scoped) transaction. */
  async create(
    tx: Tx,
    input: {
      tenantId: string;
      agentId: string;
      kind: 'console' | 'bearer';
      factor: SessionFactor;
      settings: SecuritySettings;
      ip?: string | undefined;
      userAgent?: string | undefined;
      deviceId?: string | null;
      network?: string | null;
      credentialId?: string | null;
      /** A password-only session: the device key its sign-in proved (recorded after the second factor). */
      pendingDevice?: { spki: Buffer; name: string | undefined } | undefined;
    },
  ): Promise<IssuedSession> {
    const now = this.#clock.now();
    const id = newId();
    const token = makeTenantToken('cses', input.tenantId);
    const csrfToken = input.kind === 'console' ? generateToken('csrf') : null;
    const expiresAt = new Date(now.getTime() + (input.factor === 'password' ? SIGN_IN_WINDOW_MS : input.settings.sessionMaxHours * 3_600_000));
    await tx
      .insertInto('agent_sessions')
      .values({
        id,
        tenant_id: input.tenantId,
        agent_id: input.agentId,
        token_hash: sha256(token),
        kind: input.kind,
        factor: input.factor,
        csrf_hash: csrfToken === null ? null : sha256(csrfToken),
        created_at: now,
        expires_at: expiresAt,
        last_activity_at: now,
        second_factor_at: input.factor === 'password' ? null : now,
        locked_at: null,
        lock_reason: null,
        presence_at: null,
        revoked_at: null,
        revoked_reason: null,
        challenge: null,
        challenge_purpose: null,
        challenge_expires_at: null,
        ip: input.ip?.slice(0, 64) ?? null,
        user_agent: input.userAgent?.slice(0, 256) ?? null,
        device_id: input.deviceId ?? null,
        network: input.network ?? null,
        factor_credential_id: input.credentialId ?? null,
        proof_factor: input.factor === 'password' ? null : input.factor,
        pending_device_key: input.pendingDevice?.spki ?? null,
        pending_device_name: input.pendingDevice?.name ?? null,
        sms_code: null,
        sms_code_expires_at: null,
        sms_code_purpose: null,
        sms_sent_at: null,
      })
      .execute();
    return { id, token, csrfToken, expiresAt };
  }

  /**
   * The live session a token designates, or undefined (malformed, unknown, revoked, expired, or
   * its agent or membership disabled). Locks are not judged here: see {@link judgeLocks}.
   */
  async resolve(token: string): Promise<Session | undefined> {
    const tenantId = tenantOfToken('cses', token);
    if (tenantId === undefined) return undefined;
    const hash = sha256(token);
    const key = hash.toString('hex');
    const nowMs = this.#clock.now().getTime();
    const cached = this.#cache.get(key);
    if (cached !== undefined && nowMs - cached.fetchedAt < this.#ttl) {
      if (cached.session.expiresAt.getTime() <= nowMs) return undefined;
      return cached.session;
    }
    const eventsBefore = this.#events;
    const loaded = await this.#db.withTenant(tenantId, (tx) => this.#load(tx, hash));
    const stale = this.#events !== eventsBefore;
    if (loaded !== undefined && !stale) this.#settings.set(tenantId, { settings: loaded.settings, networks: null, fetchedAt: nowMs });
    const session = loaded?.session;
    if (session === undefined || session.expiresAt.getTime() <= nowMs) {
      if (cached !== undefined) this.#drop(key, cached.session.id);
      return undefined;
    }
    if (stale) {
      if (cached !== undefined) this.#drop(key, cached.session.id);
      return session;
    }
    if (cached !== undefined && cached.session.id === session.id) {
      // Activity and presence this process saw but has not written yet.
      if (cached.session.lastActivityAt > session.lastActivityAt) session.lastActivityAt = cached.session.lastActivityAt;
      if (cached.session.presenceAt !== null && (session.presenceAt === null || cached.session.presenceAt > session.presenceAt)) session.presenceAt = cached.session.presenceAt;
    }
    this.#written.set(session, cached === undefined ? session.lastActivityAt.getTime() : (this.#written.get(cached.session) ?? session.lastActivityAt.getTime()));
    this.#writtenPresence.set(session, cached === undefined ? (session.presenceAt?.getTime() ?? 0) : (this.#writtenPresence.get(cached.session) ?? 0));
    this.#remember(key, { session, fetchedAt: nowMs });
    return session;
  }

  /** True when `csrfToken` is the session's CSRF token (console sessions). */
  checkCsrf(session: Session, csrfToken: string | undefined): boolean {
    if (session.csrfHash === null || csrfToken === undefined) return false;
    return constantTimeEqual(sha256(csrfToken), session.csrfHash);
  }

  /** The tenant's settings, cached like sessions (and read with them on a cache miss). */
  async settings(tenantId: string): Promise<SecuritySettings> {
    const nowMs = this.#clock.now().getTime();
    const cached = this.#settings.get(tenantId);
    if (cached !== undefined && nowMs - cached.fetchedAt < this.#ttl) return cached.settings;
    const eventsBefore = this.#events;
    const settings = await this.#db.withTenant(tenantId, (tx) => loadSecuritySettings(tx, tenantId));
    // As for sessions: a read that raced a change is used once, not cached.
    if (this.#events === eventsBefore) this.#settings.set(tenantId, { settings, networks: null, fetchedAt: nowMs });
    return settings;
  }

  /** Whether `ip` may use the tenant's sessions: its allowed networks, when it set any. */
  async networkAllowed(tenantId: string, ip: string): Promise<boolean> {
    const settings = await this.settings(tenantId);
    if (settings.allowedNetworks.length === 0) return true;
    const entry = this.#settings.get(tenantId);
    let networks = entry?.networks ?? null;
    if (networks === null) {
      networks = compileNetworks(settings.allowedNetworks);
      if (entry !== undefined) entry.networks = networks;
    }
    return networks.contains(ip);
  }

  /**
   * Applies the time-based locks (idle, presence) to a session about to serve a request, locking
   * it in the database when one applies. Returns the session's lock reason, or null when open.
   */
  async judgeLocks(session: Session): Promise<SessionLockReason | null> {
    if (session.lockedAt !== null) return session.lockReason;
    const settings = await this.settings(session.tenantId);
    const now = this.#clock.now();
    const idleMs = settings.idleLockMinutes * 60_000;
    if (now.getTime() - session.lastActivityAt.getTime() >= idleMs) {
      // Another process may have seen activity this one did not: trust the row, not the cache.
      const fresh = await this.#db.withTenant(session.tenantId, (tx) =>
        tx.selectFrom('agent_sessions').select(['last_activity_at', 'locked_at', 'lock_reason']).where('id', '=', session.id).executeTakeFirst(),
      );
      if (fresh !== undefined && fresh.locked_at === null && now.getTime() - fresh.last_activity_at.getTime() >= idleMs) {
        await this.lock(session, 'idle');
        return 'idle';
      }
      if (fresh !== undefined && fresh.locked_at !== null) return fresh.lock_reason;
      if (fresh !== undefined) session.lastActivityAt = fresh.last_activity_at;
    }
    if (settings.presence.required) {
      const seen = session.presenceAt ?? session.createdAt;
      if (now.getTime() - seen.getTime() >= settings.presence.absenceSeconds * 1_000) {
        await this.lock(session, 'presence');
        return 'presence';
      }
    }
    return null;
  }

  /** Notes activity on an open session (written back at most every `activityWriteMs`). */
  touch(session: Session): void {
    const now = this.#clock.now();
    session.lastActivityAt = now;
    const written = this.#written.get(session) ?? 0;
    if (now.getTime() - written < this.#activityWriteMs) return;
    this.#written.set(session, now.getTime());
    this.#db
      .withTenant(session.tenantId, (tx) =>
        tx.updateTable('agent_sessions').set({ last_activity_at: now }).where('id', '=', session.id).where('last_activity_at', '<', now).execute(),
      )
      .catch((error: unknown) => this.#logger.warn({ err: error, session: session.id }, 'could not record session activity'));
  }

  /** Records a presence heartbeat; locks when it reports absence too long or more faces than allowed. */
  async heartbeat(session: Session, beat: { present: boolean; faces: number }): Promise<SessionLockReason | null> {
    const settings = await this.settings(session.tenantId);
    if (session.lockedAt !== null) return session.lockReason;
    if (beat.faces > 1 && settings.presence.forbidMultipleFaces) {
      await this.lock(session, 'multiple_faces', { faces: beat.faces });
      return 'multiple_faces';
    }
    const now = this.#clock.now();
    if (beat.present && beat.faces >= 1) {
      session.presenceAt = now;
      // A heartbeat every few seconds would be a write every few seconds per agent: the row
      // keeps the time to a quarter of the absence window, enough for other processes.
      if (now.getTime() - (this.#writtenPresence.get(session) ?? 0) >= (settings.presence.absenceSeconds * 1_000) / 4) {
        this.#writtenPresence.set(session, now.getTime());
        await this.#db.withTenant(session.tenantId, (tx) => tx.updateTable('agent_sessions').set({ presence_at: now }).where('id', '=', session.id).execute());
      }
      return null;
    }
    if (settings.presence.required) {
      const seen = session.presenceAt ?? session.createdAt;
      if (now.getTime() - seen.getTime() >= settings.presence.absenceSeconds * 1_000) {
        await this.lock(session, 'presence');
        return 'presence';
      }
    }
    return null;
  }

  /** Locks a session (ledger entry in the same transaction) and tells every process. */
  async lock(session: Session, reason: SessionLockReason, details: Record<string, number> = {}): Promise<void> {
    const now = this.#clock.now();
    const locked = await this.#db.withTenant(session.tenantId, async (tx) => {
      const result = await tx
        .updateTable('agent_sessions')
        .set({ locked_at: now, lock_reason: reason })
        .where('id', '=', session.id)
        .where('locked_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await recordEntry(
        tx,
        session.tenantId,
        { actor: reason === 'manual' ? { type: 'agent', id: session.agentId } : { type: 'system', id: 'session-guard' }, action: 'agent.session.lock', targets: { agent: session.agentId, session: session.id }, details: { reason, ...details } },
        now,
      );
      return true;
    });
    if (!locked) {
      // Already locked (by another process, or for another reason): the stored reason stands.
      this.#forget({ tenantId: session.tenantId, sessionIds: [session.id] });
      return;
    }
    session.lockedAt = now;
    session.lockReason = reason;
    await this.#publish({ tenantId: session.tenantId, sessionIds: [session.id] });
  }

  /**
   * Unlocks after the caller verified a second factor; activity and presence restart now. A
   * passkey proof also says which passkey (and so, when it is a registered device, which device).
   */
  async unlock(tx: Tx, session: Session, factor: SessionFactor, passkey?: { credentialId: string; deviceId: string | undefined }): Promise<void> {
    const now = this.#clock.now();
    await tx
      .updateTable('agent_sessions')
      .set({
        locked_at: null,
        lock_reason: null,
        last_activity_at: now,
        presence_at: now,
        second_factor_at: now,
        proof_factor: factor === 'password' ? null : factor,
        ...(passkey === undefined ? {} : { factor_credential_id: passkey.credentialId, ...(passkey.deviceId === undefined ? {} : { device_id: passkey.deviceId }) }),
      })
      .where('id', '=', session.id)
      .execute();
    if (passkey !== undefined) {
      session.credentialId = passkey.credentialId;
      if (passkey.deviceId !== undefined) session.deviceId = passkey.deviceId;
    }
    await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'agent.session.unlock', targets: { agent: session.agentId, session: session.id }, details: { factor, reason: session.lockReason ?? 'none' } }, now);
    session.lockedAt = null;
    session.lockReason = null;
    session.lastActivityAt = now;
    session.presenceAt = now;
    session.secondFactorAt = now;
    session.proofFactor = factor === 'password' ? null : factor;
  }

  /** Revokes sessions by id (in the caller's transaction); call {@link published} after commit. */
  async revoke(tx: Tx, tenantId: string, where: { sessionIds?: readonly string[]; agentId?: string }, reason: SessionRevokedReason): Promise<string[]> {
    const now = this.#clock.now();
    let query = tx.updateTable('agent_sessions').set({ revoked_at: now, revoked_reason: reason }).where('tenant_id', '=', tenantId).where('revoked_at', 'is', null);
    if (where.sessionIds !== undefined) query = query.where('id', 'in', where.sessionIds.length > 0 ? [...where.sessionIds] : [newId()]);
    if (where.agentId !== undefined) query = query.where('agent_id', '=', where.agentId);
    if (where.sessionIds === undefined && where.agentId === undefined) throw new TypeError('revoke needs sessionIds or agentId');
    const rows = await query.returning('id').execute();
    return rows.map((r) => r.id);
  }

  /** Tells every process (this one included) to drop what it cached of these sessions. */
  async published(event: SessionEvent): Promise<void> {
    await this.#publish(event);
  }

  async #publish(event: SessionEvent): Promise<void> {
    this.#forget(event);
    try {
      await this.#bus.publish(SESSION_CHANNEL, event as unknown as Record<string, unknown>);
    } catch (error) {
      // Other processes still drop the entry when it expires (cacheTtlMs).
      this.#logger.error({ err: error }, 'could not publish a session change');
    }
  }

  #forget(event: SessionEvent): void {
    this.#events += 1;
    for (const id of Array.isArray(event.sessionIds) ? event.sessionIds : []) {
      const key = this.#keyOf.get(id);
      if (key !== undefined) this.#drop(key, id);
    }
    // "Every session of an agent" (a security officer's revocation) is rare: a scan will do.
    if (event.agentId !== undefined) {
      for (const [key, entry] of this.#cache) {
        if (entry.session.tenantId === event.tenantId && entry.session.agentId === event.agentId) this.#drop(key, entry.session.id);
      }
    }
    if (event.tenant === true) {
      for (const [key, entry] of this.#cache) {
        if (entry.session.tenantId === event.tenantId) this.#drop(key, entry.session.id);
      }
    }
    // Settings may have changed with the event (a settings update publishes one too).
    if (event.settings === true || event.tenant === true) this.#settings.delete(event.tenantId);
  }

  #drop(key: string, sessionId: string): void {
    this.#cache.delete(key);
    this.#keyOf.delete(sessionId);
  }

  #remember(key: string, entry: CacheEntry): void {
    if (this.#cache.size >= this.#maxCached) {
      const [oldestKey, oldest] = this.#cache.entries().next().value ?? [];
      if (oldestKey !== undefined && oldest !== undefined) this.#drop(oldestKey, oldest.session.id);
    }
    this.#cache.delete(key);
    this.#cache.set(key, entry);
    this.#keyOf.set(entry.session.id, key);
  }

  /** The session and, in the same round trip, its tenant's settings (a miss costs one query). */
  async #load(tx: Tx, hash: Buffer): Promise<{ session: Session; settings: SecuritySettings } | undefined> {
    const row = await tx
      .selectFrom('agent_sessions as s')
      .innerJoin('agent_memberships as m', (j) => j.onRef('m.tenant_id', '=', 's.tenant_id').onRef('m.agent_id', '=', 's.agent_id'))
      .innerJoin('agents as a', 'a.id', 's.agent_id')
      .innerJoin('tenants as t', 't.id', 's.tenant_id')
      .leftJoin('tenant_security_settings as ts', 'ts.tenant_id', 's.tenant_id')
      .select(['s.id', 's.tenant_id', 's.agent_id', 's.kind', 's.factor', 's.csrf_hash', 's.created_at', 's.expires_at', 's.last_activity_at', 's.second_factor_at', 's.locked_at', 's.lock_reason', 's.presence_at', 's.device_id', 's.network', 's.factor_credential_id', 's.proof_factor', 'm.role', 'ts.settings'])
      .where('s.token_hash', '=', hash)
      .where('s.revoked_at', 'is', null)
      .where('m.status', '=', 'active')
      .where('a.status', '=', 'active')
      // A suspended tenant's sessions stop at once, not only its new sign-ins.
      .where('t.status', '=', 'active')
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const session: Session = {
      id: row.id,
      tenantId: row.tenant_id,
      agentId: row.agent_id,
      role: row.role as Role,
      kind: row.kind,
      factor: row.factor,
      csrfHash: row.csrf_hash === null ? null : Buffer.from(row.csrf_hash),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      lastActivityAt: row.last_activity_at,
      secondFactorAt: row.second_factor_at,
      lockedAt: row.locked_at,
      lockReason: row.lock_reason,
      presenceAt: row.presence_at,
      deviceId: row.device_id,
      network: row.network,
      credentialId: row.factor_credential_id,
      proofFactor: row.proof_factor,
    };
    return { session, settings: parseSecuritySettings(row.settings ?? null) };
  }
}
