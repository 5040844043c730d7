import { describe, expect, it } from 'vitest';
import { DATA_CODING_GSM, DATA_CODING_UCS2, encodeSmsText, fitsGsmAlphabet, MAX_SMS_OCTETS } from './encoding.js';

describe('encodeSmsText', () => {
  it('uses the GSM default alphabet, one septet per octet, when every character is in it', () => {
    const encoded = encodeSmsText('A@£éñÄ');
    expect(encoded).toMatchObject({ alphabet: 'gsm', dataCoding: DATA_CODING_GSM, field: 'short_message' });
    // GSM 03.38 code points: 'A' 0x41, '@' 0x00, '£' 0x01, 'é' 0x05, 'ñ' 0x7D, 'Ä' 0x5B.
    expect([...(encoded?.bytes ?? [])]).toEqual([0x41, 0x00, 0x01, 0x05, 0x7d, 0x5b]);
  });

  it('escapes extension-table characters (€, {) with ESC, two septets each', () => {
    const encoded = encodeSmsText('€{');
    expect(encoded?.alphabet).toBe('gsm');
    expect([...(encoded?.bytes ?? [])]).toEqual([0x1b, 0x65, 0x1b, 0x28]);
  });

  it('falls back to UCS-2 (big-endian UTF-16) for anything else', () => {
    const encoded = encodeSmsText('Código — ñ');
    expect(encoded).toMatchObject({ alphabet: 'ucs2', dataCoding: DATA_CODING_UCS2, field: 'short_message' });
    expect(encoded?.bytes.subarray(0, 4)).toEqual(Buffer.from([0x00, 0x43, 0x00, 0xf3]));
    expect(encoded?.bytes.length).toBe(2 * 'Código — ñ'.length);
    expect(fitsGsmAlphabet('Código')).toBe(false);
    expect(fitsGsmAlphabet('Codigo')).toBe(true);
  });

  it('keeps one SMS worth in short_message and moves longer text to message_payload', () => {
    expect(encodeSmsText('x'.repeat(160))?.field).toBe('short_message');
    expect(encodeSmsText('x'.repeat(161))?.field).toBe('message_payload');
    // An extension character costs two septets: 159 + '€' is 161.
    expect(encodeSmsText(`${'x'.repeat(159)}€`)?.field).toBe('message_payload');
    expect(encodeSmsText('ó'.repeat(70))?.field).toBe('short_message');
    expect(encodeSmsText('ó'.repeat(71))?.field).toBe('message_payload');
  });

  it('refuses text longer than ten concatenated parts', () => {
    expect(encodeSmsText('x'.repeat(MAX_SMS_OCTETS.gsm))).toBeDefined();
    expect(encodeSmsText('x'.repeat(MAX_SMS_OCTETS.gsm + 1))).toBeUndefined();
    expect(encodeSmsText('ó'.repeat(MAX_SMS_OCTETS.ucs2 / 2))).toBeDefined();
    expect(encodeSmsText('ó'.repeat(MAX_SMS_OCTETS.ucs2 / 2 + 1))).toBeUndefined();
  });
});
