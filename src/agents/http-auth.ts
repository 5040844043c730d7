/**
 * How an HTTP request proves who sends it: a session token, either in the console's cookie
 * (HttpOnly, Secure, SameSite=Strict; every state-changing request must also carry the session's
 * CSRF token in `x-csrf-token`) or as `Authorization: Bearer cses_...` for programs.
 */
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.js';
import { AgentErrors } from './errors.js';
import type { Role } from './roles.js';
import type { IssuedSession, Session, SessionService } from './sessions.js';

/** `__Host-`: the browser keeps it only if Secure, host-only and Path=/ (no subdomain can set it). */
export const SESSION_COOKIE_NAME = '__Host-custodia_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthenticateOptions {
  /**
   * `signin`: any live session, even one that only passed the password (to present or enroll a
   * second factor, read its own state, sign out). `session`: a complete sign-in, locked or not
   * (lock, unlock, presence). `active` (default): complete and unlocked.
   */
  readonly stage?: 'signin' | 'session' | 'active';
  /** Roles allowed (default: any member). */
  readonly roles?: readonly Role[];
  /** Whether this request counts as the agent's activity for the idle lock (default: yes, at `active`). */
  readonly activity?: boolean;
}

export function sessionTokenOf(request: FastifyRequest): { token: string; viaCookie: boolean } | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header);
    return match?.[1] === undefined ? undefined : { token: match[1], viaCookie: false };
  }
  const cookieHeader = request.headers.cookie;
  if (typeof cookieHeader !== 'string') return undefined;
  const token = parseCookies(cookieHeader)[SESSION_COOKIE_NAME];
  return token === undefined || token.length === 0 ? undefined : { token, viaCookie: true };
}

/**
 * For routes that a password-only session may use (presenting or registering a second factor):
 * once signed in, the same routes need an open session, idle and presence limits included.
 */
export async function requireOpenIfSignedIn(sessions: SessionService, session: Session, now: Date): Promise<void> {
  if (session.factor === 'password') return;
  const lock = await sessions.judgeLocks(session);
  if (lock !== null) throw new AppError(AgentErrors.session_locked, { details: { reason: lock } });
  // Second factors belong to the person in every tenant they serve: a stolen open session must
  // not be enough to swap them. A proof (sign-in or unlock) within the last minutes is.
  if (session.secondFactorAt === null || now.getTime() - session.secondFactorAt.getTime() > STEP_UP_MS) throw new AppError(AgentErrors.step_up_required);
  // An SMS code is a fallback (SIM swap, number porting): it opens a session but is not proof
  // enough to change the person's factors, which serve every tenant, including tenants that do
  // not allow SMS at all.
  if (session.proofFactor === 'sms') {
    throw new AppError(AgentErrors.step_up_required, { detail: 'A code by SMS cannot change second factors: confirm with your authenticator app, passkey or a recovery code' });
  }
}

/** How recent a second-factor proof must be to change second factors. */
export const STEP_UP_MS = 5 * 60_000;

export function createAuthenticator(sessions: SessionService) {
  return async function authenticate(request: FastifyRequest, options: AuthenticateOptions = {}): Promise<Session> {
    const presented = sessionTokenOf(request);
    if (presented === undefined) throw new AppError(AgentErrors.unauthenticated);
    const session = await sessions.resolve(presented.token);
    if (session === undefined) throw new AppError(AgentErrors.unauthenticated);
    if (presented.viaCookie && !SAFE_METHODS.has(request.method)) {
      const csrf = request.headers['x-csrf-token'];
      if (typeof csrf !== 'string' || !sessions.checkCsrf(session, csrf)) throw new AppError(AgentErrors.csrf_failed);
    }
    const stage = options.stage ?? 'active';
    // The tenant's allowed networks bind every request of its sessions, not only the sign-in.
    if (!(await sessions.networkAllowed(session.tenantId, request.ip))) throw new AppError(AgentErrors.network_not_allowed);
    if (stage !== 'signin' && session.factor === 'password') throw new AppError(AgentErrors.second_factor_required);
    if (options.roles !== undefined && !options.roles.includes(session.role)) throw new AppError(AgentErrors.forbidden);
    if (stage === 'active') {
      const lock = await sessions.judgeLocks(session);
      if (lock !== null) throw new AppError(AgentErrors.session_locked, { details: { reason: lock } });
      if (options.activity !== false) sessions.touch(session);
    }
    return session;
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;

/** Hands a new session to the client: a cookie for the console, nothing to set for bearer tokens. */
export function sendSessionCookie(reply: FastifyReply, issued: IssuedSession, kind: 'console' | 'bearer', now: Date): void {
  if (kind !== 'console') return;
  const maxAge = Math.max(0, Math.floor((issued.expiresAt.getTime() - now.getTime()) / 1_000));
  reply.header('set-cookie', serializeCookie(SESSION_COOKIE_NAME, issued.token, { path: '/', httpOnly: true, secure: true, sameSite: 'strict', maxAge }));
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', serializeCookie(SESSION_COOKIE_NAME, '', { path: '/', httpOnly: true, secure: true, sameSite: 'strict', maxAge: 0 }));
}
