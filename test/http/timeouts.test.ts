/**
 * Slow clients. Fastify sets no request timeout by default: a slow-loris client that trickles a
 * request a byte at a time keeps its connection (and a place in the server) for as long as it
 * likes, and holds up a graceful shutdown. With `CUSTODIA_REQUEST_TIMEOUT_MS` the whole request
 * must arrive in time, or the client gets a 408 problem and is disconnected.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { RawConnection } from '../helpers/raw-http.js';

const REQUEST_TIMEOUT_MS = 1_000;

let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await createTestApp({ env: { CUSTODIA_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await t?.close();
});

describe('request timeout', () => {
  it('the server applies the configured timeouts', () => {
    expect(t.app.server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
    // Not above the request timeout: Node would swap the two, and give the body 60 s.
    expect(t.app.server.headersTimeout).toBe(REQUEST_TIMEOUT_MS);
    expect(t.app.server.keepAliveTimeout).toBe(72_000);
    expect(t.app.server.timeout).toBe(120_000);
  });

  it('a client that trickles its body slower than the timeout gets a 408 problem and is disconnected', async () => {
    const slow = await RawConnection.open(port);
    const started = Date.now();
    await slow.write('POST /v1/invitations/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{');
    // One byte every 100 ms: the connection is never idle, it just never finishes.
    const trickle = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write(' ');
    }, 100);
    try {
      const res = await slow.response();
      await slow.closed();
      const elapsed = Date.now() - started;
      expect(res.status).toBe(408);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.headers.connection).toBe('close');
      expect(res.headers['cache-control']).toBe('no-store');
      const body = JSON.parse(res.body) as Record<string, unknown>;
      expect(body).toEqual({
        type: 'tag:custodia.dev,2026:error:request.timeout',
        title: 'The request took too long to arrive',
        status: 408,
        code: 'request.timeout',
        detail: 'The request took too long to arrive',
        requestId: res.headers['x-request-id'],
      });
      // The timeout (1 s) bites within the check interval (1 s), not after Node's default 30 s.
      expect(elapsed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
      expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS + 3_000);
    } finally {
      clearInterval(trickle);
    }
    expect(t.logs.lines.some((l) => l.includes('"code":"request.timeout"') && l.includes('"msg":"connection rejected"'))).toBe(true);
    // A slow client is the client's problem: nothing at error level.
    expect(t.logs.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)).toEqual([]);
  });

  it('a request that arrives in time is served as usual', async () => {
    const fast = await RawConnection.open(port);
    await fast.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect((await fast.response()).status).toBe(200);
  });

  it('headers that are too large get a 431 problem', async () => {
    const big = await RawConnection.open(port);
    await big.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    const res = await big.response();
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toMatchObject({ status: 431, code: 'request.headers_too_large' });
  });

  it('a request line that cannot be parsed gets a 400 problem', async () => {
    const bad = await RawConnection.open(port);
    await bad.write('THIS IS NOT HTTP\r\n\r\n');
    const res = await bad.response();
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: 'request.bad_request' });
  });
});
