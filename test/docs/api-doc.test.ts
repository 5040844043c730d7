/**
 * docs/api.md must describe the endpoints that exist: every operation of the OpenAPI document the
 * server generates is named there as `METHOD /path`, and every `METHOD /v1/...` the document names
 * exists. A route added or removed without its documentation fails here.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

let t: TestApp;
let operations: string[];

beforeAll(async () => {
  t = await createTestApp();
  const spec = (await t.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
  operations = Object.entries(spec.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method] !== undefined).map((method) => `${method.toUpperCase()} ${path}`),
  );
});

afterAll(async () => {
  await t?.close();
});

/** `METHOD /path` as written in the document: in backticks, optionally followed by a query string. */
function documentedOperations(markdown: string): string[] {
  return [...markdown.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`?\s]*)(?:\?[^`]*)?`/g)].map((m) => `${m[1]} ${m[2]}`);
}

describe('docs/api.md', () => {
  it('names every operation of the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(0);
    const named = new Set(documentedOperations(doc));
    expect(operations.filter((op) => !named.has(op)), 'operations missing from docs/api.md').toEqual([]);
  });

  it('names no API operation that does not exist', () => {
    const existing = new Set(operations);
    const stale = documentedOperations(doc)
      .filter((op) => op.split(' ')[1]?.startsWith('/v1/'))
      .filter((op) => !existing.has(op));
    expect(stale, 'operations in docs/api.md that the server does not have').toEqual([]);
  });

  it('describes where the API document and its viewer are served', async () => {
    expect((await t.app.inject({ url: '/openapi.json' })).json<{ openapi: string }>().openapi).toBe('3.1.0');
    expect((await t.app.inject({ url: '/docs' })).statusCode).toBe(200);
    expect(doc).toContain('`GET /openapi.json`');
    expect(doc).toContain('`GET /docs`');
  });
});
