/**
 * JSON logs (pino) that cannot carry secrets or personal data by accident: known sensitive keys
 * are censored wherever they appear (up to two levels deep), binary values (Buffers, typed arrays,
 * ArrayBuffers) become `[binary N bytes]` at any depth, and requests are logged by method, route
 * and path only (just the first segment of a path that matched no route): never headers, query
 * strings or bodies.
 */
import { types } from 'node:util';
import { type Bindings, type ChildLoggerOptions, pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

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
const TOKEN_LIKE = /c(?:inv|pa|ses|ak)_[A-Za-z0-9_-]*/g;
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

/** How deep a logged object is walked for binary values; anything deeper is replaced, not printed. */
const MAX_BINARY_SCAN_DEPTH = 16;
/** Top-level keys that have a serializer below: its output, not the raw value, is what is logged. */
const SERIALIZED_KEYS: ReadonlySet<string> = new Set(['req', 'res', 'err']);

function binaryPlaceholder(value: object): string | undefined {
  if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
  if (types.isAnyArrayBuffer(value)) return `[binary ${value.byteLength} bytes]`;
  return undefined;
}

/**
 * `value` with every Buffer, typed array, DataView and ArrayBuffer in it replaced by
 * `[binary N bytes]`. Binary values may be key material, and left alone they either throw inside
 * pino's redaction (which clones objects it walks, and a cloned Buffer's getters throw) or are
 * printed byte by byte (`{"type":"Buffer","data":[...]}`, `{"0":1,"1":2}`).
 *
 * Copy on write: objects and arrays without binary data are returned as they are, so ordinary log
 * calls cost one walk and no allocation. An object that must change is copied with its prototype
 * and property descriptors (an Error stays an Error with its message and stack). Objects with a
 * `toJSON` method (Date, SecretKey) are left to it, own getters are not called, a cycle becomes
 * `[Circular]` (as pino would print it), and anything nested deeper than
 * {@link MAX_BINARY_SCAN_DEPTH} becomes `[too deep]` rather than being printed unchecked.
 */
export function replaceBinary(value: unknown, depth = 0, ancestors: Set<object> = new Set()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const placeholder = binaryPlaceholder(value);
  if (placeholder !== undefined) return placeholder;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  if (depth >= MAX_BINARY_SCAN_DEPTH) return '[too deep]';
  if (ancestors.has(value)) return '[Circular]';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      value.forEach((item: unknown, index) => {
        const replaced = replaceBinary(item, depth + 1, ancestors);
        if (replaced !== item) (copy ??= [...(value as unknown[])])[index] = replaced;
      });
      return copy ?? value;
    }
    let replacements: Map<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      if (depth === 0 && SERIALIZED_KEYS.has(key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined || !('value' in descriptor)) continue;
      const replaced = replaceBinary(descriptor.value, depth + 1, ancestors);
      if (replaced !== descriptor.value) (replacements ??= new Map()).set(key, replaced);
    }
    if (replacements === undefined) return value;
    const descriptors = Object.getOwnPropertyDescriptors(value);
    for (const [key, replaced] of replacements) descriptors[key] = { ...descriptors[key], value: replaced };
    return Object.create(Object.getPrototypeOf(value) as object | null, descriptors) as unknown;
  } finally {
    ancestors.delete(value);
  }
}

/** The merging object of a log call with its binary values replaced (a bare Buffer too). */
function logObject(object: Record<string, unknown>): Record<string, unknown> {
  const replaced = replaceBinary(object);
  return typeof replaced === 'string' ? { data: replaced } : (replaced as Record<string, unknown>);
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
      err: (error: unknown) => replaceBinary(serializeError(error)),
    },
    // Before serializers and redaction run (pino applies formatters.log first), so that neither
    // ever meets a Buffer.
    formatters: { log: logObject },
  };
  // Synchronous stdout, as Node's own stdout is for files and pipes: pino's default buffers lines
  // until the event loop turns, so a killed process lost its last lines, and lines logged during
  // a long PGlite transaction (which runs without yielding to I/O) appeared only after it ended.
  const logger = pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
  // Child bindings (`logger.child({...})`) are serialized and redacted once, when the child is
  // made, and pino does not pass them through a formatter there: scrub them on the way in. Child
  // loggers inherit this method from the root (pino makes them with Object.create(parent)).
  // (pino's generic `child` signature cannot be restated here, hence Reflect and defineProperty.)
  type ChildMethod = (this: unknown, bindings: Bindings, childOptions?: ChildLoggerOptions) => unknown;
  const child = Reflect.get(logger, 'child') as ChildMethod;
  const scrubbingChild: ChildMethod = function (this: unknown, bindings, childOptions) {
    return child.call(this, logObject(bindings), childOptions);
  };
  Object.defineProperty(logger, 'child', { value: scrubbingChild, writable: true, configurable: true });
  return logger;
}
