/**
 * Field values by type: what each type accepts, its canonical form, and the reason code of each
 * refusal, which never repeats the value.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/platform/errors.js';
import { containsCardNumber, normalizeFieldValue } from '../../src/customers/values.js';
import type { FieldType } from '../../src/customers/index.js';

function refusal(type: FieldType, value: unknown): { code: string; details: unknown; detail: string } {
  try {
    normalizeFieldValue('f', type, value, { defaultPhoneCountry: 'ES' });
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    return { code: e.code, details: e.details, detail: e.detail };
  }
  throw new Error(`accepted: ${type}`);
}

describe('canonical forms', () => {
  it.each<[FieldType, unknown, string]>([
    ['name', '  María   José\tGarcía ', 'María José García'],
    ['phone', '+34 612-34-56-78', '+34612345678'],
    ['phone', '612 34 56 78', '+34612345678'],
    ['email', ' Maria.Garcia@Example.COM ', 'maria.garcia@example.com'],
    ['document', '12.345.678-z', '12345678Z'],
    ['date', '1984-02-29', '1984-02-29'],
    ['number', '+0012.50', '12.5'],
    ['number', -0, '0'],
    ['number', '-0.000', '0'],
    ['number', 42, '42'],
    ['free_text', 'line one\r\nline two\t ', 'line one\nline two'],
    ['address', { city: ' Madrid ', country: 'es', street: 'Calle Mayor', postalCode: '' }, '{"street":"Calle Mayor","city":"Madrid","country":"ES"}'],
    ['address', '{"city":"Bogotá","number":"5"}', '{"number":"5","city":"Bogotá"}'],
  ])('%s %j → %s', (type, input, expected) => {
    expect(normalizeFieldValue('f', type, input, { defaultPhoneCountry: 'ES' })).toEqual({ text: expected });
  });

  it('a card number becomes a PAN for the service to tokenize, never text to store', () => {
    expect(normalizeFieldValue('card', 'card_token', '4111 1111-1111 1111')).toEqual({ pan: '4111111111111111' });
  });
});

describe('refusals name the field, the type and a reason, never the value', () => {
  it.each<[FieldType, unknown, string]>([
    ['name', 42, 'type'],
    ['name', '   ', 'empty'],
    ['name', 'x'.repeat(201), 'length'],
    ['name', '12345', 'format'],
    ['name', 'Ana\u202Eilegal', 'format'],
    ['phone', '12', 'format'],
    ['phone', 'call me maybe', 'format'],
    ['phone', '+34 612 345 678 ext. 12', 'format'],
    ['phone', '9'.repeat(65), 'length'],
    ['phone', '', 'empty'],
    ['email', 'no-at-sign.example.com', 'format'],
    ['email', 'a@@example.com', 'format'],
    ['document', 'AB#1234', 'format'],
    ['document', '9'.repeat(65), 'length'],
    ['date', '1984-02-30', 'range'],
    ['date', '30/01/1984', 'format'],
    ['date', 19840130, 'type'],
    ['number', 'twelve', 'format'],
    ['number', '1e5', 'format'],
    ['number', '1234567890123456', 'range'],
    ['number', '1.1234567', 'range'],
    ['number', Number.POSITIVE_INFINITY, 'range'],
    ['number', '4111111111119', 'card_number'],
    ['free_text', 'see card 4111 1111 1111 1111 please', 'card_number'],
    ['free_text', 'bell\u0007', 'format'],
    ['address', { street: 'Calle Mayor 5' }, 'empty'],
    ['address', { city: 'Madrid', planet: 'Earth' }, 'format'],
    ['address', 'Calle Mayor 5, Madrid', 'format'],
    ['address', { city: 'Madrid', country: 'Spain' }, 'length'],
    ['address', { city: 'Madrid', country: 'E1' }, 'format'],
    ['address', ['Madrid'], 'type'],
    ['card_token', '4111 1111 1111 1112', 'checksum'],
    ['card_token', '4111', 'length'],
    ['card_token', '4111-xxxx-1111-1111', 'format'],
    ['card_token', 4111111111111111, 'type'],
  ])('%s %j: %s', (type, value, reason) => {
    const r = refusal(type, value);
    expect(r.code).toBe('customers.invalid_value');
    expect(r.details).toEqual({ field: 'f', fieldType: type, reason });
    if (typeof value === 'string' && value.trim().length > 3) expect(r.detail).not.toContain(value.trim());
    if (typeof value === 'number' && Number.isFinite(value)) expect(r.detail).not.toContain(String(value));
  });
});

describe('card numbers in text', () => {
  it('are found with spaces or hyphens, and only when they pass Luhn', () => {
    expect(containsCardNumber('pay with 4111-1111-1111-1111 tomorrow')).toBe(true);
    expect(containsCardNumber('ref 12345 5500000000000004')).toBe(true);
    expect(containsCardNumber('ref 4111111111111112')).toBe(false);
    expect(containsCardNumber('order 123456789012')).toBe(false);
    expect(containsCardNumber('41111111111111111111')).toBe(false);
  });
});
