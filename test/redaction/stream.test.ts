/**
 * The streaming redactor: values split across chunks are still caught, the output equals the
 * batch output whatever the chunking, and the hold-back stays within its bound.
 */
import { describe, expect, it } from 'vitest';
import { createStreamRedactor, DEFAULT_MAX_HOLD_BACK, type Language, redactSync } from '../../src/redaction/index.js';
import { generateCorpus, Prng } from '../../src/redaction/eval/index.js';

async function streamed(chunks: readonly string[], language: Language, maxHoldBack?: number): Promise<{ text: string; held: number[] }> {
  const r = createStreamRedactor({ language, ...(maxHoldBack === undefined ? {} : { maxHoldBack }) });
  let text = '';
  const held: number[] = [];
  for (const c of chunks) {
    text += await r.push(c);
    held.push(r.held);
  }
  text += await r.end();
  return { text, held };
}

describe('stream redactor', () => {
  it('catches a card split across two chunks, in each language', async () => {
    expect((await streamed(['Mi tarjeta es 4111 1111 ', '1111 1111, gracias'], 'es')).text).toBe('Mi tarjeta es <CARD_NUMBER>, gracias');
    expect((await streamed(['Cartão 4111 11', '11 1111 1111 ok'], 'pt')).text).toBe('Cartão <CARD_NUMBER> ok');
    expect((await streamed(['card 4', '1', '1', '1 1111 1111 1111', ' thanks'], 'en')).text).toBe('card <CARD_NUMBER> thanks');
  });
  it('catches a card read aloud across many chunks, and a CVV whose context word came in an earlier chunk', async () => {
    const words = 'el número es cuatro uno uno uno uno uno uno uno uno uno uno uno uno uno uno uno y el cvv es 123'.split(' ');
    const out = await streamed(words.map((w) => `${w} `), 'es');
    expect(out.text).toBe('el número es <CARD_NUMBER> y el cvv es <CARD_CVV> ');
  });
  it('gives the batch result for every chunking of corpus dialogues (random cut points)', async () => {
    const r = new Prng(7);
    const samples = generateCorpus({ perLanguage: 8, split: 'heldout' });
    for (const sample of samples) {
      const batch = redactSync(sample.text, { language: sample.language }).text;
      for (let trial = 0; trial < 3; trial++) {
        const chunks: string[] = [];
        let pos = 0;
        while (pos < sample.text.length) {
          const len = r.int(1, 40);
          chunks.push(sample.text.slice(pos, pos + len));
          pos += len;
        }
        expect((await streamed(chunks, sample.language)).text, sample.id).toBe(batch);
      }
    }
  });
  it('never holds back more than maxHoldBack characters', async () => {
    const text = 'palabra '.repeat(200) + '4111 1111 1111 1111 ' + 'x'.repeat(1000);
    for (const bound of [64, DEFAULT_MAX_HOLD_BACK]) {
      const chunks = text.match(/.{1,17}/gs) as string[];
      const out = await streamed(chunks, 'es', bound);
      expect(Math.max(...out.held)).toBeLessThanOrEqual(bound);
      expect(out.text).toContain('<CARD_NUMBER>');
    }
  });
  it('counts per type across the stream and refuses bad options and use after end', async () => {
    const r = createStreamRedactor({ language: 'en' });
    await r.push('mail a@b.com and ');
    await r.push('c@d.org.');
    await r.end();
    expect(r.counts).toEqual({ EMAIL: 2 });
    await expect(r.push('more')).rejects.toThrow(TypeError);
    expect(() => createStreamRedactor({ maxHoldBack: 10 })).toThrow(TypeError);
  });
});
