/**
 * Unicode (accents, no-break spaces, full-width digits) and very long single-line inputs. The long
 * inputs are built to make backtracking or quadratic scanners blow up; they are checked for their
 * result here, and timed only by the benchmark (bench/redaction.ts, "adversarial").
 */
import { describe, expect, it } from 'vitest';
import { detect, redactSync } from '../../src/redaction/index.js';

describe('Unicode', () => {
  it('reads full-width digits and no-break spaces, with offsets into the original text', () => {
    const text = 'Tarjeta ４１１１\u00a0１１１１\u00a0１１１１\u00a0１１１１ gracias';
    const [span] = detect(text, { language: 'es' });
    expect(span?.type).toBe('CARD_NUMBER');
    expect(text.slice(span?.start, span?.end)).toBe('４１１１\u00a0１１１１\u00a0１１１１\u00a0１１１１');
  });
  it('handles narrow no-break spaces and Unicode dashes inside numbers', () => {
    expect(redactSync('CPF 111.444.777\u201035', { language: 'pt' }).text).toBe('CPF <CPF>');
    expect(redactSync('tel +34\u202f612\u202f345\u202f678', { language: 'es' }).text).toBe('tel <PHONE>');
  });
  it('keeps accents and offsets exact around detections (UTF-16, astral characters included)', () => {
    const text = 'Olá 😀, meu nome é João Gonçalves e meu email é joão@example.com.';
    const out = redactSync(text, { language: 'pt' });
    // Internationalised local parts (RFC 6531) are e-mail too.
    expect(out.text).toBe('Olá 😀, meu nome é <PERSON_NAME> e meu email é <EMAIL>.');
    for (const r of out.replacements) expect(out.text.slice(r.outputStart, r.outputEnd)).toBe(`<${r.type}>`);
  });
  it('folds capitals and accents for context words (CÓDIGO DE SEGURANÇA)', () => {
    expect(redactSync('CÓDIGO DE SEGURANÇA: 123', { language: 'pt' }).text).toBe('CÓDIGO DE SEGURANÇA: <CARD_CVV>');
  });
});

describe('very long single-line inputs (1 MB)', () => {
  const size = 1 << 20;
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  it('finds nothing in a 1 MB run of digits (no card has 1,048,576 digits)', () => {
    expect(detect(fill('4111111111111111'), { language: 'en' })).toEqual([]);
  });
  it('finds every card in 1 MB of space-separated cards', () => {
    const unit = '4111 1111 1111 1111 ; ';
    const text = fill(unit);
    const spans = detect(text, { language: 'en', types: ['CARD_NUMBER'] });
    expect(spans.length).toBe(Math.floor(size / unit.length));
  });
  it('survives runs of @, colons, dots and dashes, spoken digits and capitalised words', () => {
    for (const unit of ['a@', 'a.b@c.', 'fe80:', '1.2-3/4 (5) ', '+(1)', 'cuatro uno ', 'Calle Calle de la ', 'Juan Pérez ']) {
      const out = redactSync(fill(unit), { language: 'es' });
      expect(typeof out.text).toBe('string');
      expect(out.text.length).toBeGreaterThan(0);
    }
  });
});
