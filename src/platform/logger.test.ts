import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loggedPath, serializeError } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('logger redaction', () => {
  it('censors sensitive keys at the top level and two levels deep', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        password: 'hunter2-hunter2',
        token: 'cpa_secret-token',
        customer: { email: 'jane@example.com', phone: '+34600111222' },
        request: { headers: { authorization: 'Bearer abc.def' } },
      },
      'event',
    );
    const text = lines.join('');
    for (const secret of ['hunter2-hunter2', 'cpa_secret-token', 'jane@example.com', '+34600111222', 'Bearer abc.def']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });

  it('logs requests by path only, without the query string', () => {
    const { lines, logger } = capture();
    logger.info({ req: { id: 'r1', method: 'GET', url: '/v1/thing?token=cinv_leak', routeOptions: { url: '/v1/thing' } } }, 'request');
    const entry = JSON.parse(lines[0] ?? '{}') as { req: Record<string, unknown> };
    expect(entry.req).toEqual({ id: 'r1', method: 'GET', route: '/v1/thing', path: '/v1/thing' });
    expect(lines.join('')).not.toContain('cinv_leak');
  });
});

describe('loggedPath', () => {
  const unmatched = (url: string) => loggedPath({ id: 'r', method: 'GET', url, routeOptions: { url: undefined } });
  it.each([
    ['/invite%23cinv_AAAAsecretBBBB', '/invite[redacted]'],
    ['/invite%2fcinv_AAAAsecretBBBB', '/invite%2f[redacted]'],
    ['/cpa_AAAAsecretBBBB', '/[redacted]'],
    ['/v1/platform/tenantz/cinv_AAAAsecretBBBB', '/v1/[redacted]'],
    ['/nope', '/nope'],
    ['/', '/'],
    [`/${'a'.repeat(500)}`, `/${'a'.repeat(64)}`],
    ['/invite#cinv_AAAAsecretBBBB?x=1', '/invite[redacted]'],
  ])('an unmatched %s is logged as %s', (url, logged) => {
    expect(unmatched(url)).toBe(logged);
  });

  it('a matched route keeps its path', () => {
    expect(loggedPath({ id: 'r', method: 'GET', url: '/v1/platform/tenants/42?x=1', routeOptions: { url: '/v1/platform/tenants/:id' } })).toBe('/v1/platform/tenants/42');
  });
});

describe('serializeError', () => {
  it('keeps the code and constraint of a database error but drops quoted values and detail', () => {
    const dbError = Object.assign(new Error('invalid input syntax for type uuid: "jane@example.com"'), {
      code: '22P02',
      severity: 'ERROR',
      detail: 'Key (email)=(jane@example.com) already exists.',
      constraint: 'customers_number_key',
    });
    const out = serializeError(dbError) as Record<string, unknown>;
    expect(out.code).toBe('22P02');
    expect(out.constraint).toBe('customers_number_key');
    expect(JSON.stringify(out)).not.toContain('jane@example.com');
    expect(out).not.toHaveProperty('detail');
  });

  it('keeps the message of an ordinary error and follows its cause', () => {
    const out = serializeError(new Error('outer', { cause: new Error('inner') })) as { message: string; cause: { message: string } };
    expect(out.message).toBe('outer');
    expect(out.cause.message).toBe('inner');
  });
});
