/**
 * One error type for the whole application, with stable dotted codes declared per domain.
 *
 * Each domain declares its codes once with {@link defineErrors}; the declaration is the single
 * registry that the HTTP error handler, the CLI and `docs/errors.md` agree on (a test checks the
 * document against {@link registeredErrorCodes}).
 *
 * The `title` and `detail` of an error reach clients: they must never carry secrets or personal
 * data. Internal causes go in `cause` and are only logged (and the logger redacts).
 *
 * @example
 * ```ts
 * export const TenantErrors = defineErrors('tenants', {
 *   not_found: { status: 404, title: 'Tenant not found' },
 * });
 * throw new AppError(TenantErrors.not_found);
 * ```
 */

export interface ErrorCode {
  /** Stable machine-readable code, `domain.reason`. Never renamed once released. */
  readonly code: string;
  /** HTTP status the code maps to. */
  readonly status: number;
  /** Short, constant, client-safe summary. */
  readonly title: string;
}

interface ErrorDefinition {
  readonly status: number;
  readonly title: string;
}

const registry = new Map<string, ErrorCode>();

const DOMAIN = /^[a-z][a-z0-9_]*$/;
const REASON = /^[a-z][a-z0-9_]*$/;

/** Declares the error codes of one domain. Throws if a code is declared twice. */
export function defineErrors<const T extends Record<string, ErrorDefinition>>(
  domain: string,
  definitions: T,
): { readonly [K in keyof T]: ErrorCode } {
  if (!DOMAIN.test(domain)) throw new TypeError(`invalid error domain: ${domain}`);
  const out: Record<string, ErrorCode> = {};
  for (const [reason, def] of Object.entries(definitions)) {
    if (!REASON.test(reason)) throw new TypeError(`invalid error reason: ${reason}`);
    if (!Number.isInteger(def.status) || def.status < 400 || def.status > 599) {
      throw new TypeError(`invalid status for ${domain}.${reason}: ${def.status}`);
    }
    const code = `${domain}.${reason}`;
    if (registry.has(code)) throw new TypeError(`error code declared twice: ${code}`);
    const entry: ErrorCode = Object.freeze({ code, status: def.status, title: def.title });
    registry.set(code, entry);
    out[reason] = entry;
  }
  return Object.freeze(out) as { readonly [K in keyof T]: ErrorCode };
}

/** Every code declared so far, sorted. Used by the docs test and the OpenAPI description. */
export function registeredErrorCodes(): ErrorCode[] {
  return [...registry.values()].sort((a, b) => a.code.localeCompare(b.code));
}

export interface AppErrorOptions {
  /** Client-safe explanation of this occurrence. Defaults to the code's title. */
  readonly detail?: string;
  /** Client-safe structured details (field paths, limits). Never values the client sent. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Internal cause; logged, never sent to clients. */
  readonly cause?: unknown;
  /** Extra response headers (for example `Allow` on 405, `Retry-After` on 503). */
  readonly headers?: Readonly<Record<string, string>>;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(error: ErrorCode, options: AppErrorOptions = {}) {
    super(options.detail ?? error.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = error.code;
    this.status = error.status;
    this.title = error.title;
    this.detail = options.detail ?? error.title;
    this.details = options.details;
    this.headers = options.headers;
  }

  is(error: ErrorCode): boolean {
    return this.code === error.code;
  }
}

export function isAppError(value: unknown, code?: ErrorCode): value is AppError {
  return value instanceof AppError && (code === undefined || value.code === code.code);
}

/** Codes that belong to no domain: the HTTP layer and the server itself. */
export const RequestErrors = defineErrors('request', {
  invalid: { status: 400, title: 'The request is invalid' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  empty_body: { status: 400, title: 'The request body is empty' },
  bad_request: { status: 400, title: 'Bad request' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  timeout: { status: 408, title: 'The request took too long to arrive' },
  body_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
});

export const ServerErrors = defineErrors('server', {
  internal: { status: 500, title: 'Internal server error' },
  not_ready: { status: 503, title: 'The server is not ready' },
  shutting_down: { status: 503, title: 'The server is shutting down' },
});
