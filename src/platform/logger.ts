/**
 * JSON logs (pino) that cannot carry secrets or personal data by accident: known sensitive keys
 * are censored wherever they appear (up to two levels deep), and requests are logged by method,
 * route and path only (just the first segment of a path that matched no route): never headers,
 * query strings or bodies.
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line. Extend it when a domain adds a sensitive field. */
export const REDACTED_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'password',
  'passphrase',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'key',
  'keys',
  'otp',
  'pan',
  'cardNumber',
  'cvv',
  'cvc',
  'email',
  'phone',
  'document',
  'fullName',
  'firstName',
  'lastName',
  'address',
  'dateOfBirth',
  'databaseUrl',
  'redisUrl',
  'connectionString',
  'plaintext',
  'value',
] as const;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of REDACTED_KEYS) {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    const dot = k.startsWith('[') ? '' : '.';
    paths.push(k, `*${dot}${k}`, `*.*${dot}${k}`);
  }
  return paths;
}

export interface RequestLike {
  method: string;
  url: string;
  id: string;
  routeOptions?: { url?: string | undefined };
}

/** Text of an unmatched path that looks like a token (`cinv_...`, `cpa_...`). */
const TOKEN_LIKE = /c(?:inv|pa)_[A-Za-z0-9_-]*/g;
/** An escaped or literal `#` and everything after it: a link's fragment that ended up in the path. */
const FRAGMENT = /(?:%23|#).*$/i;
const MAX_UNMATCHED_SEGMENT = 64;

/**
 * The path a request is logged with, always without its query string. A request that matched a
 * route is logged with its path, which the route's shape bounds. One that matched none is logged
 * by its first segment only: its path is whatever the client typed, and a mangled invitation link
 * (`/invite%23cinv_...`, the fragment escaped into the path) carries the secret there. Token-like
 * text and anything from an escaped `#` on are cut from that segment as well.
 */
export function loggedPath(req: RequestLike): string {
  const path = req.url.split('?')[0] ?? '/';
  if (req.routeOptions?.url !== undefined) return path;
  const [, first = '', ...rest] = path.split('/');
  const segment = first.replace(FRAGMENT, '[redacted]').replace(TOKEN_LIKE, '[redacted]').slice(0, MAX_UNMATCHED_SEGMENT);
  return `/${segment}${rest.length > 0 ? '/[redacted]' : ''}`;
}

/** SQLSTATE-coded errors come from the database, whose messages and details quote row values. */
function isDatabaseError(value: Record<string, unknown>): boolean {
  return typeof value.code === 'string' && /^[0-9A-Z]{5}$/.test(value.code) && 'severity' in value;
}

/**
 * Errors are logged by type, code and message, with their cause chain. Database errors keep their
 * SQLSTATE, constraint, table and column but lose every quoted value from message and stack, and
 * their `detail` (which is where PostgreSQL prints the offending row).
 */
export function serializeError(error: unknown, depth = 0): unknown {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const e = error as Record<string, unknown> & { message?: unknown; stack?: unknown; cause?: unknown; name?: unknown };
  const database = isDatabaseError(e);
  const scrub = (text: unknown) => (typeof text === 'string' && database ? text.replace(/"[^"]*"|'[^']*'|\([^)]*\)=\([^)]*\)/g, '"[redacted]"') : text);
  const out: Record<string, unknown> = {
    type: typeof e.name === 'string' ? e.name : 'Error',
    message: scrub(e.message),
    stack: scrub(e.stack),
  };
  for (const key of ['code', 'status', 'constraint', 'table', 'column', 'routine', 'severity'] as const) {
    if (e[key] !== undefined) out[key] = e[key];
  }
  if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'custodia' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths(), censor: '[redacted]' },
    serializers: {
      req: (req: RequestLike) => ({
        id: req.id,
        method: req.method,
        route: req.routeOptions?.url,
        // Never the query string (where tokens end up in practice); see loggedPath for the rest.
        path: loggedPath(req),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: serializeError,
    },
  };
  // Synchronous stdout, as Node's own stdout is for files and pipes: pino's default buffers lines
  // until the event loop turns, so a killed process lost its last lines, and lines logged during
  // a long PGlite transaction (which runs without yielding to I/O) appeared only after it ended.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
