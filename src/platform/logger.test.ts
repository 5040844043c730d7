import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loggedPath, replaceBinary, serializeError } from './logger.js';

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

describe('binary values (they may be key bytes)', () => {
  const KEY = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');

  /** Text that would reveal KEY's bytes in any of the forms JSON gives binary data. */
  function expectNoKeyBytes(text: string) {
    expect(text).not.toContain('"data":[');
    expect(text).not.toContain('"0":');
    expect(text).not.toContain(KEY.toString('hex'));
    expect(text).not.toContain(KEY.toString('base64'));
    expect(text).not.toContain([...KEY.subarray(0, 4)].join(','));
  }

  function logged(object: object, logger = capture()) {
    logger.logger.info(object, 'event');
    expect(logger.lines).toHaveLength(1);
    const text = logger.lines.join('');
    expectNoKeyBytes(text);
    return JSON.parse(text) as Record<string, unknown>;
  }

  // The regression: pino's redaction clones the objects it walks, and a cloned Buffer's getters
  // throw ("Method get TypedArray.prototype.buffer called on incompatible receiver").
  it('logs a Buffer under an ordinary key instead of throwing, as a placeholder with its length', () => {
    expect(logged({ material: Buffer.from(KEY) }).material).toBe('[binary 32 bytes]');
  });

  it.each([
    ['a Uint8Array', () => new Uint8Array(KEY)],
    ['an Int16Array', () => new Int16Array(KEY.buffer.slice(KEY.byteOffset, KEY.byteOffset + 32))],
    ['a Float64Array', () => new Float64Array(4)],
    ['a DataView', () => new DataView(new ArrayBuffer(32))],
    ['an ArrayBuffer', () => new ArrayBuffer(32)],
    ['a SharedArrayBuffer', () => new SharedArrayBuffer(32)],
    ['a 32-byte view into a larger buffer', () => Buffer.concat([Buffer.alloc(100), KEY]).subarray(100)],
  ])('replaces %s, counting its bytes', (_name, make) => {
    expect(logged({ material: make() }).material).toBe('[binary 32 bytes]');
  });

  it('replaces binary values at any depth, in arrays too, and leaves the rest as it was', () => {
    const input = {
      job: { id: 'j1', attempts: 2, payload: { wrapped: Buffer.from(KEY), nested: { deeper: { deepest: new Uint8Array(KEY) } } } },
      list: [1, 'two', Buffer.from(KEY), [new Uint8Array(3)]],
      at: new Date('2026-11-23T09:00:00Z'),
    };
    const entry = logged(input);
    expect(entry.job).toEqual({ id: 'j1', attempts: 2, payload: { wrapped: '[binary 32 bytes]', nested: { deeper: { deepest: '[binary 32 bytes]' } } } });
    expect(entry.list).toEqual([1, 'two', '[binary 32 bytes]', ['[binary 3 bytes]']]);
    expect(entry.at).toBe('2026-11-23T09:00:00.000Z');
    // The caller's object is not modified.
    expect(Buffer.isBuffer(input.job.payload.wrapped)).toBe(true);
    expect(input.list[2]).toBeInstanceOf(Buffer);
  });

  it('still censors sensitive keys holding binary values, at every depth redaction covers', () => {
    const entry = logged({ key: Buffer.from(KEY), vault: { key: Buffer.from(KEY), dek: { key: new Uint8Array(KEY) } } });
    expect(entry.key).toBe('[redacted]');
    expect(entry.vault).toEqual({ key: '[redacted]', dek: { key: '[redacted]' } });
  });

  it('keeps redacting the other sensitive keys of an object that had binary values', () => {
    const entry = logged({ password: 'hunter2-hunter2', customer: { email: 'jane@example.com', photo: Buffer.from(KEY) } });
    expect(entry.password).toBe('[redacted]');
    expect(entry.customer).toEqual({ email: '[redacted]', photo: '[binary 32 bytes]' });
  });

  it('replaces binary values inside other objects, keeping an Error an Error', () => {
    const error = Object.assign(new Error('unwrap failed'), { material: Buffer.from(KEY) });
    class Holder {
      constructor(readonly material: Buffer) {}
    }
    const entry = logged({ failure: error, holder: new Holder(Buffer.from(KEY)) });
    expect(entry.failure).toEqual({ material: '[binary 32 bytes]' });
    expect(entry.holder).toEqual({ material: '[binary 32 bytes]' });
    expect(error.material).toBeInstanceOf(Buffer);
  });

  it('logs an error carrying binary details under err through the error serializer', () => {
    const error = Object.assign(new Error('outer', { cause: Object.assign(new Error('inner'), { code: Buffer.from(KEY) }) }), { code: 'vault.decrypt_failed' });
    const entry = logged({ err: error });
    expect(entry.err).toMatchObject({ type: 'Error', message: 'outer', code: 'vault.decrypt_failed', cause: { message: 'inner', code: '[binary 32 bytes]' } });
  });

  it('survives cycles and very deep nesting without printing what it did not check', () => {
    const cyclic: Record<string, unknown> = { material: Buffer.from(KEY) };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { material: Buffer.from(KEY) };
    for (let i = 0; i < 40; i++) deep = { next: deep };
    const entry = logged({ cyclic, deep });
    expect(entry.cyclic).toEqual({ material: '[binary 32 bytes]', self: '[Circular]' });
    expect(JSON.stringify(entry.deep)).toContain('[too deep]');
  });

  it('replaces binary values in child-logger bindings and in a Buffer logged on its own', () => {
    const { lines, logger } = capture();
    logger.child({ material: Buffer.from(KEY) }).info('with bindings');
    logger.child({ reqId: 'r1' }).child({ nested: { material: new Uint8Array(KEY) } }).info('grandchild');
    logger.info(Buffer.from(KEY) as unknown as object, 'bare');
    const text = lines.join('');
    expectNoKeyBytes(text);
    const [first, second, third] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first?.material).toBe('[binary 32 bytes]');
    expect(second).toMatchObject({ reqId: 'r1', nested: { material: '[binary 32 bytes]' } });
    expect(third?.data).toBe('[binary 32 bytes]');
  });

  it('leaves objects without binary values untouched (the same object reaches pino)', () => {
    const plain = { a: 1, b: { c: [1, 2, { d: 'x' }] }, when: new Date(0) };
    expect(replaceBinary(plain)).toBe(plain);
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
