/**
 * Small helpers for tests that talk to the app through `app.inject()`: the shape every error
 * must have, and ways to compare answers that should be indistinguishable.
 */
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../src/db/index.js';

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly requestId: string;
  readonly errors?: readonly { path: string; message: string }[];
  readonly [extra: string]: unknown;
}

/**
 * Asserts that `res` is an RFC 9457 problem with `status` and `code`, carrying the request id of
 * its `x-request-id` header, and returns the parsed body.
 */
export function expectProblem(res: LightMyRequestResponse, status: number, code: string): ProblemBody {
  expect({ status: res.statusCode, contentType: res.headers['content-type'] }).toEqual({
    status,
    contentType: 'application/problem+json; charset=utf-8',
  });
  const body = JSON.parse(res.body) as ProblemBody;
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  expect(body.type).toBe(`tag:custodia.dev,2026:error:${code}`);
  expect(typeof body.title === 'string' && body.title.length > 0).toBe(true);
  expect(typeof body.detail === 'string' && body.detail.length > 0).toBe(true);
  const requestId = res.headers['x-request-id'];
  expect(typeof requestId === 'string' && requestId.length > 0).toBe(true);
  expect(body.requestId).toBe(requestId);
  return body;
}

/** The body without its request id: what must be identical between answers that must not differ. */
export function withoutRequestId(res: LightMyRequestResponse): Record<string, unknown> {
  const { requestId: _requestId, ...rest } = JSON.parse(res.body) as Record<string, unknown>;
  return rest;
}

/** Matches the frames of a JavaScript stack trace (`at fn (file.js:1:2)`). */
export const STACK_FRAME = /\bat\s+\S*\s*\(?[^\s()]+:\d+:\d+\)?/;

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Number of tenants, read directly from the database (platform scope). */
export async function countTenants(db: Database): Promise<number> {
  const result = await db.withPlatform((tx) => sql<{ n: number }>`select count(*)::int as n from tenants`.execute(tx));
  return result.rows[0]?.n ?? -1;
}
