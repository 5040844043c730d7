/**
 * The evaluation corpus: deterministic, gold spans that are where the generator wrote each value,
 * hard negatives that fail the checksums, and the accuracy targets of issue 8 on a sample of it.
 */
import { describe, expect, it } from 'vitest';
import { luhnValid } from '../../src/documents/index.js';
import { detect } from '../../src/redaction/index.js';
import { evaluate, generateCorpus } from '../../src/redaction/eval/index.js';

describe('corpus generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateCorpus({ seed: 42, perLanguage: 20 });
    const b = generateCorpus({ seed: 42, perLanguage: 20 });
    const c = generateCorpus({ seed: 43, perLanguage: 20 });
    expect(b).toEqual(a);
    expect(c.map((s) => s.text)).not.toEqual(a.map((s) => s.text));
    expect(new Set(a.map((s) => s.language))).toEqual(new Set(['es', 'pt', 'en']));
  });
  it('writes gold spans on the values and card numbers that pass Luhn, hard negatives that do not', () => {
    for (const split of ['dev', 'heldout'] as const) {
      for (const s of generateCorpus({ perLanguage: 30, split })) {
        for (const g of s.gold) {
          const value = s.text.slice(g.start, g.end);
          expect(value.trim()).toBe(value);
          expect(value.length).toBeGreaterThan(0);
          const digits = value.normalize('NFKC').replace(/\D/g, '');
          if (g.type === 'CARD_NUMBER' && digits.length >= 13) expect(luhnValid(digits)).toBe(true);
        }
        for (const n of s.negatives) {
          if (n.kind !== 'cardlike') continue;
          expect(luhnValid(s.text.slice(n.start, n.end).replace(/\D/g, ''))).toBe(false);
        }
      }
    }
  });
});

describe('accuracy on a sample of the held-out corpus (issue 8 targets)', () => {
  const samples = generateCorpus({ perLanguage: 60, split: 'heldout' });
  const result = evaluate(samples, samples.map((s) => detect(s.text)));
  it('overall strict F1 >= 0.95', () => {
    expect(result.overall.strict.f1).toBeGreaterThanOrEqual(0.95);
  });
  it('card number, CPF, DNI and IBAN recall >= 0.99', () => {
    for (const type of ['CARD_NUMBER', 'CPF', 'DNI', 'IBAN']) expect(result.strict[type]?.recall ?? 0, type).toBeGreaterThanOrEqual(0.99);
  });
  it('no card number detected on a hard negative', () => {
    expect(result.hardNegatives.hitsByType.CARD_NUMBER ?? 0).toBe(0);
  });
});
