/**
 * A card number on one line right after a short number in the same run of digit groups: the card
 * detector only tried windows from the first group, so "pagué 12 4111 1111 1111 1111" was missed.
 * And the other side: a window inside one longer code stays untouched.
 */
import { describe, expect, it } from 'vitest';
import { detect, type EntityType, type Language } from '../../src/redaction/index.js';

function found(text: string, language: Language, types?: EntityType[]): [EntityType, string][] {
  return detect(text, { language, ...(types ? { types } : {}) }).map((s) => [s.type, text.slice(s.start, s.end)]);
}

function cards(text: string, language: Language): string[] {
  return found(text, language, ['CARD_NUMBER']).map(([, v]) => v);
}

describe('a card after a short number of its own on the same line', () => {
  it('regression: "pagué 12 4111 1111 1111 1111" had no CARD_NUMBER (es, pt, en)', () => {
    expect(found('pagué 12 4111 1111 1111 1111', 'es')).toEqual([['CARD_NUMBER', '4111 1111 1111 1111']]);
    expect(found('paguei 12 4111 1111 1111 1111 ontem', 'pt')).toEqual([['CARD_NUMBER', '4111 1111 1111 1111']]);
    expect(found('I paid 12 4111 1111 1111 1111 today', 'en')).toEqual([['CARD_NUMBER', '4111 1111 1111 1111']]);
  });

  it('after a count, a year or a CVV, with dashes, compact, Amex and 19 digits', () => {
    expect(cards('nº 3 4111-1111-1111-1111', 'es')).toEqual(['4111-1111-1111-1111']);
    expect(cards('x 2024 4111 1111 1111 1111', 'en')).toEqual(['4111 1111 1111 1111']);
    expect(cards('em 2023 usei o 7 5555555555554444', 'pt')).toEqual(['5555555555554444']);
    expect(cards('born 1996 3782 822463 10005', 'en')).toEqual(['3782 822463 10005']);
    expect(cards('cvv 8763 6221816127904214872', 'en')).toEqual(['6221816127904214872']);
    expect(cards('son 40 4111 1111 1111 1111 123 gracias', 'es')).toEqual(['4111 1111 1111 1111']);
  });

  it('prefers the card over a window that starts with the shorter number when both pass', () => {
    // "6 4242 4242 4242" (13 digits, issuer 6) passes Luhn too; cards are printed from a group of four.
    expect(cards('pagué 6 4242 4242 4242 4242', 'es')).toEqual(['4242 4242 4242 4242']);
    // From the first group of four, the first window still wins: a card, then another number.
    expect(cards('card 4111 1111 1111 1111 4242', 'en')).toEqual(['4111 1111 1111 1111']);
  });

  it('finds two cards with a short number between them', () => {
    expect(cards('4111 1111 1111 1111 y 12 5555 5555 5555 4444', 'es')).toEqual(['4111 1111 1111 1111', '5555 5555 5555 4444']);
    expect(cards('4111 1111 1111 1111 123 5555 5555 5555 4444', 'en')).toEqual(['4111 1111 1111 1111', '5555 5555 5555 4444']);
  });

  it('refuses the window after a reference or phone word, unless a card word is there too', () => {
    expect(found('Mi pedido 12 4111 1111 1111 1111.', 'es')).toEqual([]);
    expect(found('Meu pedido 21 4111 1111 1111 1111.', 'pt')).toEqual([]);
    expect(found('My order 12 4111 1111 1111 1111.', 'en')).toEqual([]);
    expect(cards('whatsapp 55 4111 1111 1111 1111', 'pt')).toEqual([]);
    expect(cards('pagué el pedido con la tarjeta 12 4111 1111 1111 1111', 'es')).toEqual(['4111 1111 1111 1111']);
    expect(cards('paid the order with card 12 4111 1111 1111 1111', 'en')).toEqual(['4111 1111 1111 1111']);
  });

  it('leaves a valid window inside one longer code untouched', () => {
    // A run of groups of four: the window is followed by another group of four.
    expect(found('The label says 7022 4111 1111 1111 1111 2915.', 'en')).toEqual([]);
    expect(found('En la etiqueta pone 1234 4111 1111 1111 1111 5678.', 'es')).toEqual([]);
    // Only one number may stand before the card: two groups in, it is the middle of a code.
    expect(found('Na etiqueta está 12 34 4111 1111 1111 1111.', 'pt', ['CARD_NUMBER'])).toEqual([]);
    // Joined to the number before by a dash or a dot, glued to a code, or after a plus.
    expect(found('12-4111-1111-1111-1111', 'en')).toEqual([]);
    expect(found('valor 12.4111 1111 1111 1111', 'pt', ['CARD_NUMBER'])).toEqual([]);
    expect(found('PED-12 4111 1111 1111 1111', 'es', ['CARD_NUMBER'])).toEqual([]);
    expect(found('+12 4111 1111 1111 1111', 'en', ['CARD_NUMBER'])).toEqual([]);
  });

  it('keeps amounts, dates, times and numbers that fail Luhn untouched', () => {
    expect(cards('pagué 12 4111 1111 1111 1112', 'es')).toEqual([]);
    expect(found('paguei 1.250,00 em 12/03/2024 às 14:30', 'pt')).toEqual([]);
    expect(found('x 2024 4111 1111 1111 1112', 'en')).toEqual([]);
  });
});
