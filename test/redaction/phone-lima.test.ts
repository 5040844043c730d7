/**
 * Eight digits starting with 1 fit Peru's plan (a Lima landline without its trunk 0), so every such
 * number ("1854 0183", half of "8572 4708 1676 0235") was a PHONE in every language. Such a number
 * now needs a phone word before it; other national numbers do not.
 */
import { describe, expect, it } from 'vitest';
import { detect, type EntityType, type Language } from '../../src/redaction/index.js';

function phones(text: string, language: Language): string[] {
  return detect(text, { language, types: ['PHONE'] as EntityType[] }).map((s) => text.slice(s.start, s.end));
}

describe('a bare eight-digit number starting with 1 (Lima landline shape)', () => {
  it('regression: is not a PHONE without a phone word (es, pt, en)', () => {
    expect(phones('Mi número de socio es 1854 0183.', 'es')).toEqual([]);
    expect(phones('Meus códigos:\n6519 6900\n1136 9538\n', 'pt')).toEqual([]);
    expect(phones('Order no. 8572 4708 1676 0235, total $6,734.38', 'en')).toEqual([]);
    expect(phones('pedido 12 4111 1111 1111 1111', 'es')).toEqual([]);
    expect(phones('uno ocho cinco cuatro cero uno ocho tres', 'es')).toEqual([]);
  });

  it('is a PHONE after a phone word, written or read aloud', () => {
    expect(phones('Mi teléfono en Lima es 1854 0183.', 'es')).toEqual(['1854 0183']);
    expect(phones('Meu telefone em Lima é 14215678.', 'pt')).toEqual(['14215678']);
    expect(phones('My phone in Lima is 1421 5678.', 'en')).toEqual(['1421 5678']);
    expect(phones('mi teléfono es uno cuatro dos uno cinco seis siete ocho', 'es')).toEqual(['uno cuatro dos uno cinco seis siete ocho']);
  });

  it('a landline written with its trunk 0 (01 Lima, 04x-08x provinces) is a PHONE after a phone word, and only then', () => {
    expect(phones('Mi teléfono en Lima es 01 234 5678.', 'es')).toEqual(['01 234 5678']);
    expect(phones('Llámame al 01 421 5678, por favor.', 'es')).toEqual(['01 421 5678']);
    expect(phones('Mi fijo en Trujillo: 044 123456.', 'es')).toEqual(['044 123456']);
    expect(phones('My landline in Lima is 01 421 5678.', 'en')).toEqual(['01 421 5678']);
    expect(phones('El número de socio es 01 234 5678.', 'es')).toEqual([]);
    expect(phones('Pedido 012345678 enviado.', 'es')).toEqual([]);
    expect(phones('Meus códigos: 044 123456 e 012345678.', 'pt')).toEqual([]);
  });

  it('other national numbers and international ones need no phone word', () => {
    expect(phones('Apunte 987 654 321.', 'es')).toEqual(['987 654 321']);
    expect(phones('Anota aí: (11) 98765-4321.', 'pt')).toEqual(['(11) 98765-4321']);
    expect(phones('Write this down: +51 1 421 5678.', 'en')).toEqual(['+51 1 421 5678']);
  });
});
