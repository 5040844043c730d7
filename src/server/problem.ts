/**
 * Every error leaves the server as RFC 9457 problem details with a stable `code`. Known errors
 * carry their own client-safe text; anything unexpected becomes a bare 500 with the request id,
 * and its internals go only to the (redacting) log.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode, RequestErrors, ServerErrors } from '../platform/errors.js';
import type { HttpApp } from '../platform/http.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** `type` URIs are tag URIs (RFC 4151): stable identifiers, not links to fetch. */
export function problemType(code: string): string {
  return `tag:custodia.dev,2026:error:${code}`;
}


export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  // Extension members first: they can add to the standard members, never replace them.
  const body: Record<string, unknown> = {
    ...(error.details ?? {}),
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    code: error.code,
    detail: error.detail,
    requestId: reply.request.id,
  };
  for (const [name, value] of Object.entries(error.headers ?? {})) reply.header(name, value);
  // Serialised here rather than through a response schema: the error path must not fail.
  return reply.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** Node's HTTP parser errors that arrive before there is a request, mapped to ours. */
const CLIENT_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  ERR_HTTP_REQUEST_TIMEOUT: RequestErrors.timeout,
  HPE_HEADER_OVERFLOW: RequestErrors.headers_too_large,
};

/**
 * Fastify's `clientErrorHandler`: a connection whose request never became one (it took longer
 * than `requestTimeout` to arrive, its headers were too large, it could not be parsed) gets a
 * problem like every other error, written on the raw socket since there is no request to answer
 * through, and the connection is closed. (Fastify's default answers in its own JSON shape.)
 */
export function handleClientError(error: Error & { code?: string }, socket: Duplex, log: FastifyBaseLogger): void {
  // A reset connection is gone: nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const appError = new AppError((error.code === undefined ? undefined : CLIENT_ERROR_CODES[error.code]) ?? RequestErrors.bad_request);
  const requestId = randomUUID();
  log.info({ reqId: requestId, code: appError.code, reason: error.code }, 'connection rejected');
  if (socket.writable) {
    const body = JSON.stringify({
      type: problemType(appError.code),
      title: appError.title,
      status: appError.status,
      code: appError.code,
      detail: appError.detail,
      requestId,
    });
    socket.write(
      `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status] ?? ''}\r\n` +
        `content-type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\n` +
        "content-security-policy: default-src 'none'; frame-ancestors 'none'\r\n" +
        'x-content-type-options: nosniff\r\n' +
        'cache-control: no-store\r\n' +
        'connection: close\r\n\r\n' +
        body,
    );
  }
  // As Node's own handler does: the answer is flushed to the kernel already, the rest is dropped.
  socket.destroy();
}

/** Fastify's own error codes, mapped to ours. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: RequestErrors.unsupported_media_type,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: RequestErrors.bad_request,
  FST_ERR_CTP_BODY_TOO_LARGE: RequestErrors.body_too_large,
  FST_ERR_CTP_EMPTY_JSON_BODY: RequestErrors.empty_body,
  FST_ERR_CTP_INVALID_JSON_BODY: RequestErrors.malformed_json,
  FST_ERR_CTP_EMPTY_TYPE: RequestErrors.unsupported_media_type,
  FST_ERR_CTP_INVALID_TYPE: RequestErrors.unsupported_media_type,
};

/** At most this many entries in a problem's `errors`; more set `truncated: true`. */
export const MAX_PROBLEM_ERRORS = 20;
/** Field names the client chose (unknown fields, record keys) are cut to this many characters. */
export const MAX_ECHOED_KEY_LENGTH = 64;

/**
 * The path of a field, from segments that may be the client's own keys: each is cut, so that a
 * request cannot make the answer larger than a bounded copy of its own field names.
 */
function fieldPath(where: string, segments: readonly string[]): string {
  return [where, ...segments.filter((s) => s !== '').map((s) => s.slice(0, MAX_ECHOED_KEY_LENGTH))].join('.');
}

export function toAppError(error: unknown, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as { validationContext?: string }).validationContext ?? 'body';
    // One entry per problem, bounded: a body with thousands of unknown fields would otherwise get
    // an answer as large as itself, for the price of one request (amplification).
    const errors: { path: string; message: string }[] = [];
    let truncated = false;
    for (const issue of error.validation) {
      const segments = issue.instancePath.split('/');
      // An unknown field is reported on its object; name the field itself, as for every other issue.
      const unknown = issue.keyword === 'unrecognized_keys' ? (issue.params as { keys?: unknown }).keys : undefined;
      const entries = Array.isArray(unknown) && unknown.length > 0
        ? unknown.map((key) => ({ path: fieldPath(where, [...segments, String(key)]), message: 'Unknown field' }))
        : [{ path: fieldPath(where, segments), message: issue.message ?? 'invalid' }];
      for (const entry of entries) {
        if (errors.length < MAX_PROBLEM_ERRORS) errors.push(entry);
        else truncated = true;
      }
      if (truncated) break;
    }
    return new AppError(RequestErrors.invalid, {
      detail: `The ${where} does not match the expected schema`,
      details: { errors, ...(truncated ? { truncated: true } : {}) },
    });
  }
  // Anything can be thrown; the checks below must not throw on a string or undefined (a throw here
  // would reach Fastify's default handler, which echoes the message to the client).
  if (typeof error !== 'object' || error === null) return new AppError(ServerErrors.internal, { cause: error });
  if (isResponseSerializationError(error)) {
    return new AppError(ServerErrors.internal, { cause: error });
  }
  const fastifyError = error as Partial<FastifyError>;
  const mapped = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (mapped !== undefined) return new AppError(mapped, { cause: error });
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError(RequestErrors.malformed_json, { cause: error });
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status === 413 ? RequestErrors.body_too_large : status === 415 ? RequestErrors.unsupported_media_type : RequestErrors.bad_request, { cause: error });
  }
  void request;
  return new AppError(ServerErrors.internal, { cause: error });
}

/**
 * Installs the error and not-found handlers. Unknown paths answer 404; known paths with another
 * method answer 405 with an `Allow` header (Fastify alone answers 404 for both).
 */
export function installProblemHandlers(app: HttpApp): void {
  const shadow = FindMyWay();
  const methodsByRoute = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    let set = methodsByRoute.get(route.url);
    if (set === undefined) {
      set = new Set();
      methodsByRoute.set(route.url, set);
      shadow.on('GET', route.url, () => undefined, { url: route.url });
    }
    for (const m of methods) set.add(m.toUpperCase());
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const found = shadow.find('GET' as HTTPMethod, path);
    const url = (found?.store as { url?: string } | undefined)?.url;
    const allowed = url === undefined ? undefined : methodsByRoute.get(url);
    if (allowed !== undefined && allowed.size > 0) {
      const allow = [...allowed].sort().join(', ');
      return sendProblem(reply, new AppError(RequestErrors.method_not_allowed, { detail: `Use one of: ${allow}`, headers: { allow } }));
    }
    return sendProblem(reply, new AppError(RequestErrors.not_found, { detail: 'No such resource' }));
  });

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error, request);
    if (appError.status === 500) {
      request.log.error({ err: error, code: appError.code }, 'request failed');
    } else if (appError.status > 500) {
      // Expected outages (database down, shutting down): one line, no stack trace per request.
      request.log.warn({ code: appError.code, reason: describeCause(appError.cause) }, 'request not served');
    } else if (appError.cause !== undefined) {
      request.log.info({ code: appError.code, reason: describeCause(appError.cause) }, 'request rejected');
    }
    return sendProblem(reply, appError);
  });
}

function describeCause(cause: unknown): string | undefined {
  return typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : undefined;
}
