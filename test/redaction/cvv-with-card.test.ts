/**
 * A security code read out in the same run of digit groups as its card, as transcripts write it
 * without punctuation: "código de seguridad 876 4111 1111 1111 1111". Two misses before:
 * - the code was never reported (the CVV rule only looked at chunks of one group);
 * - after "código de seguridad" the card itself was missed: "código" is a reference word, and a
 *   card that starts one group into a chunk was refused after one unless a card word came too.
 * The other side: a reference number without card or security-code words stays untouched.
 */
import { describe, expect, it } from 'vitest';
import { detect, type EntityType, type Language } from '../../src/redaction/index.js';

function found(text: string, language: Language): [EntityType, string][] {
  return detect(text, { language }).map((s) => [s.type, text.slice(s.start, s.end)]);
}

describe('a security code next to its card', () => {
  it('regression: the code before the card, after "código de seguridad" (es, pt), "security code" (en)', () => {
    expect(found('el código de seguridad 876 4111 1111 1111 1111', 'es')).toEqual([
      ['CARD_CVV', '876'],
      ['CARD_NUMBER', '4111 1111 1111 1111'],
    ]);
    expect(found('o código de segurança 876 4111 1111 1111 1111', 'pt')).toEqual([
      ['CARD_CVV', '876'],
      ['CARD_NUMBER', '4111 1111 1111 1111'],
    ]);
    expect(found('the security code 1234 378282246310005', 'en')).toEqual([
      ['CARD_CVV', '1234'],
      ['CARD_NUMBER', '378282246310005'],
    ]);
    expect(found('cvv 876 4111111111111111', 'en')).toEqual([
      ['CARD_CVV', '876'],
      ['CARD_NUMBER', '4111111111111111'],
    ]);
  });

  it('the code after the card, named after it or before the card', () => {
    expect(found('tarjeta 4111 1111 1111 1111 876 es el cvv', 'es')).toEqual([
      ['CARD_NUMBER', '4111 1111 1111 1111'],
      ['CARD_CVV', '876'],
    ]);
    expect(found('cvv e cartão: 5555 5555 5555 4444 321', 'pt')).toEqual([
      ['CARD_NUMBER', '5555 5555 5555 4444'],
      ['CARD_CVV', '321'],
    ]);
  });

  it('stays untouched without a security-code word, or when the rest is no card', () => {
    // A reference word and no card or code word: the existing rule for a window inside a chunk.
    expect(found('código 876 4111 1111 1111 1111', 'pt')).toEqual([]);
    expect(found('pedido 3806 9619 6003 4638 713', 'es')).toEqual([]);
    // The code word is there, but the other groups fail Luhn: neither a card nor a code.
    expect(found('cvv 876 4111 1111 1111 1112', 'en')).toEqual([]);
    // A card and a number after it, no code word: the card only.
    expect(found('card 4111 1111 1111 1111 876 thanks', 'en')).toEqual([['CARD_NUMBER', '4111 1111 1111 1111']]);
  });
});
