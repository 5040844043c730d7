/**
 * Operators, policies and the replacement map: what replaces a value, that the map never holds the
 * value, and the typed errors of the synchronous API.
 */
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/platform/errors.js';
import {
  createHmacBackend,
  DEFAULT_REDACTION_POLICY,
  type OperatorBackend,
  redact,
  RedactionErrors,
  redactionPolicySchema,
  redactSync,
} from '../../src/redaction/index.js';

const TEXT = 'Mi tarjeta es 4111 1111 1111 1111 y mi correo ana@example.com.';
const KEY = 'a test key of more than sixteen bytes';

describe('redact with the default policy', () => {
  it('tags every detection and returns a map without the values', async () => {
    const out = await redact(TEXT, { language: 'es' });
    expect(out.text).toBe('Mi tarjeta es <CARD_NUMBER> y mi correo <EMAIL>.');
    expect(out.language).toBe('es');
    expect(out.counts).toEqual({ CARD_NUMBER: 1, EMAIL: 1 });
    expect(out.replacements.map((r) => [r.type, r.operator, TEXT.slice(r.start, r.end), out.text.slice(r.outputStart, r.outputEnd)])).toEqual([
      ['CARD_NUMBER', 'tag', '4111 1111 1111 1111', '<CARD_NUMBER>'],
      ['EMAIL', 'tag', 'ana@example.com', '<EMAIL>'],
    ]);
    const serialized = JSON.stringify(out.replacements);
    expect(serialized).not.toContain('4111');
    expect(serialized).not.toContain('ana@');
  });
  it('detects the language when none is given', async () => {
    expect((await redact('Olá, meu cartão é 4111 1111 1111 1111, obrigado.', {})).language).toBe('pt');
  });
  it('is the same synchronously', () => {
    expect(redactSync(TEXT, { language: 'es' }).text).toBe('Mi tarjeta es <CARD_NUMBER> y mi correo <EMAIL>.');
    expect(DEFAULT_REDACTION_POLICY.defaultOperator).toEqual({ kind: 'tag' });
    expect(DEFAULT_REDACTION_POLICY.operators.CARD_NUMBER).toEqual({ kind: 'tag' });
  });
});

describe('operators', () => {
  it('redact removes, mask keeps the last n (never more than half), separators stay', () => {
    const policy = { operators: { CARD_NUMBER: { kind: 'mask' as const, keepLast: 4 } }, defaultOperator: { kind: 'redact' as const } };
    expect(redactSync(TEXT, { language: 'es', policy }).text).toBe('Mi tarjeta es **** **** **** 1111 y mi correo .');
    const greedy = { operators: { CARD_CVV: { kind: 'mask' as const, keepLast: 8, char: '#' } }, defaultOperator: { kind: 'tag' as const } };
    expect(redactSync('CVV 123', { language: 'en', policy: greedy }).text).toBe('CVV ##3');
  });
  it('hash is a keyed HMAC, stable per key, independent of formatting, different across keys', () => {
    const policy = { operators: {}, defaultOperator: { kind: 'hash' as const } };
    const a = redactSync('card 4111 1111 1111 1111', { language: 'en', policy, backend: createHmacBackend(KEY) }).text;
    const b = redactSync('card 4111-1111-1111-1111', { language: 'en', policy, backend: createHmacBackend(KEY) }).text;
    const c = redactSync('card 4111 1111 1111 1111', { language: 'en', policy, backend: createHmacBackend(`${KEY}!`) }).text;
    expect(a).toMatch(/^card <CARD_NUMBER:hmac:[0-9a-f]{32}>$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    // A card read aloud hashes like its digits.
    const spoken = redactSync('el número es cuatro uno uno uno uno uno uno uno uno uno uno uno uno uno uno uno', { language: 'es', policy, backend: createHmacBackend(KEY) }).text;
    expect(spoken.endsWith(a.slice('card '.length))).toBe(true);
  });
  it('encrypt and tokenize go through the backend (async only)', async () => {
    const seen: string[] = [];
    const backend: OperatorBackend = {
      hmac: () => 'h',
      encrypt: async (type, value) => {
        seen.push(`${type}:${value.length}`);
        return 'v1.k.n.ct';
      },
      tokenizeCard: async (pan) => `${'9'.repeat(pan.length - 4)}${pan.slice(-4)}`,
    };
    const policy = { operators: { CARD_NUMBER: { kind: 'tokenize' as const } }, defaultOperator: { kind: 'encrypt' as const } };
    const out = await redact(TEXT, { language: 'es', policy, backend });
    expect(out.text).toBe('Mi tarjeta es 9999999999991111 y mi correo <EMAIL:enc:v1.k.n.ct>.');
    expect(seen).toEqual(['EMAIL:15']);
  });
  it('redactSync refuses encrypt and tokenize with redaction.async_operator, whatever the text', () => {
    const policy = { operators: { CARD_NUMBER: { kind: 'tokenize' as const } }, defaultOperator: { kind: 'tag' as const } };
    let error: unknown;
    try {
      redactSync('nothing here', { policy });
    } catch (e) {
      error = e;
    }
    expect(isAppError(error, RedactionErrors.async_operator)).toBe(true);
  });
  it('hash without a backend and the HMAC-only backend for encrypt fail with redaction.backend_unavailable', async () => {
    expect(() => redactSync(TEXT, { language: 'es', policy: { operators: {}, defaultOperator: { kind: 'hash' } } })).toThrow(
      expect.objectContaining({ code: RedactionErrors.backend_unavailable.code }),
    );
    await expect(redact(TEXT, { language: 'es', policy: { operators: {}, defaultOperator: { kind: 'encrypt' } }, backend: createHmacBackend(KEY) })).rejects.toMatchObject({
      code: 'redaction.backend_unavailable',
    });
  });
  it('createHmacBackend refuses short keys', () => {
    expect(() => createHmacBackend('short')).toThrow(TypeError);
  });
});

describe('redactionPolicySchema', () => {
  it('accepts a tenant policy and refuses what would be unsafe or meaningless', () => {
    expect(redactionPolicySchema.parse({ operators: { CARD_NUMBER: { kind: 'mask', keepLast: 4 } }, defaultOperator: { kind: 'tag' }, minConfidence: 0.7 })).toBeTruthy();
    expect(redactionPolicySchema.safeParse({ operators: { EMAIL: { kind: 'tokenize' } }, defaultOperator: { kind: 'tag' } }).success).toBe(false);
    expect(redactionPolicySchema.safeParse({ operators: {}, defaultOperator: { kind: 'tokenize' } }).success).toBe(false);
    expect(redactionPolicySchema.safeParse({ operators: {}, defaultOperator: { kind: 'mask', keepLast: 12 } }).success).toBe(false);
    expect(redactionPolicySchema.safeParse({ operators: {}, defaultOperator: { kind: 'mask', keepLast: 4, char: '9' } }).success).toBe(false);
    expect(redactionPolicySchema.safeParse({ operators: { NOT_A_TYPE: { kind: 'tag' } }, defaultOperator: { kind: 'tag' } }).success).toBe(false);
    expect(redactionPolicySchema.safeParse({ operators: {}, defaultOperator: { kind: 'tag', extra: 1 } }).success).toBe(false);
  });
});
