/**
 * Card numbers (and IBANs) cut by one line break: hard-wrapped e-mails, text files given to
 * `custodia redact`, transcripts. A wrapped card was once reported as a PHONE on its second line,
 * so a mask left the digits of the first line in clear. And the other side: numbers that merely
 * sit on consecutive lines (lists, a card followed by a date) are never joined.
 */
import { describe, expect, it } from 'vitest';
import { luhnValid } from '../../src/documents/index.js';
import { createStreamRedactor, detect, type EntityType, type Language, type RedactionPolicy, redactSync } from '../../src/redaction/index.js';

function found(text: string, language: Language): [EntityType, string, string][] {
  return detect(text, { language }).map((s) => [s.type, text.slice(s.start, s.end), s.rule]);
}

function cards(text: string, language: Language): string[] {
  return detect(text, { language })
    .filter((s) => s.type === 'CARD_NUMBER')
    .map((s) => text.slice(s.start, s.end));
}

/** The digits of `text` that are still there after redaction. */
function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

/** `prefix` completed with one more digit so that the whole passes Luhn. */
function luhnComplete(prefix: string): string {
  for (let c = 0; c <= 9; c++) if (luhnValid(prefix + c)) return prefix + c;
  throw new Error('unreachable');
}

const MASK: RedactionPolicy = { defaultOperator: { kind: 'mask', keepLast: 4 }, operators: {} };

describe('a card number cut by one line break is one CARD_NUMBER', () => {
  it('regression: "4111 1111\\n1111 1111" was a PHONE on the second line (en, pt, es)', () => {
    expect(found('my card is 4111 1111\n1111 1111 thanks', 'en')).toEqual([['CARD_NUMBER', '4111 1111\n1111 1111', 'card:iin+luhn+wrapped']]);
    expect(found('cartão 4111 1111 1111\n1111', 'pt')).toEqual([['CARD_NUMBER', '4111 1111 1111\n1111', 'card:iin+luhn+wrapped']]);
    expect(found('Mi tarjeta es 4111\n1111 1111 1111, gracias', 'es')).toEqual([['CARD_NUMBER', '4111\n1111 1111 1111', 'card:iin+luhn+wrapped']]);
  });

  it('the span starts at the first digit and ends after the last, with the line break inside', () => {
    const text = 'my card is 4111 1111 \t\n1111 1111 thanks';
    const [span] = detect(text, { language: 'en' });
    expect(span?.start).toBe(text.indexOf('4111'));
    expect(span?.end).toBe(text.lastIndexOf('1111') + 4);
  });

  it('CRLF, blanks around the break and e-mail quote prefixes', () => {
    expect(cards('my card is 4111 1111\r\n1111 1111 thanks', 'en')).toEqual(['4111 1111\r\n1111 1111']);
    expect(cards('my card is 4111 1111  \r\n  1111 1111 thanks', 'en')).toEqual(['4111 1111  \r\n  1111 1111']);
    expect(cards('> my card is 4111 1111\n> 1111 1111 thanks', 'en')).toEqual(['4111 1111\n> 1111 1111']);
    expect(cards('>> pago con la tarjeta 5555 5555 5555\n>> 4444 ok', 'es')).toEqual(['5555 5555 5555\n>> 4444']);
    expect(cards('> > o cartão 5555 5555\r\n> > 5555 4444 ok', 'pt')).toEqual(['5555 5555\r\n> > 5555 4444']);
    // U+2028 (line separator) is a line break too.
    expect(cards('my card is 4111 1111\u20281111 1111', 'en')).toEqual(['4111 1111\u20281111 1111']);
  });

  it('every published test card, grouped as printed and cut at each of its group boundaries', () => {
    const TEST_CARDS = ['4242424242424242', '4012888888881881', '4222222222222', '5105105105105100', '2223003122003222', '378282246310005', '6011000990139424', '30569309025904', '3530111333300000', '6200000000000005', '6062826786276634'];
    for (const digits of TEST_CARDS) {
      const lengths = digits.length === 15 ? [4, 6, 5] : digits.length === 14 ? [4, 6, 4] : [4, 4, 4, 4].slice(0, Math.ceil(digits.length / 4)).map((n, k) => Math.min(n, digits.length - 4 * k));
      const groups: string[] = [];
      let p = 0;
      for (const n of lengths) {
        groups.push(digits.slice(p, p + n));
        p += n;
      }
      for (let cut = 1; cut < groups.length; cut++) {
        const value = `${groups.slice(0, cut).join(' ')}\n${groups.slice(cut).join(' ')}`;
        expect(cards(`card number ${value} thanks`, 'en'), value).toEqual([value]);
      }
    }
  });

  it('Amex 4-6-5 and Diners 4-6-4 with the break after either group', () => {
    expect(cards('amex 3782 822463\n10005 ok', 'en')).toEqual(['3782 822463\n10005']);
    expect(cards('amex 3782\n822463 10005 ok', 'en')).toEqual(['3782\n822463 10005']);
    expect(cards('diners 3056 930902\n5904 ok', 'en')).toEqual(['3056 930902\n5904']);
    // Not the Amex layout: a group of six after groups of four.
    expect(cards('amex 3782 8224\n631000 5 ok', 'en')).toEqual([]);
  });

  it('an IBAN in print format cut by a line break', () => {
    expect(found('Mi IBAN es ES91 2100 0418\n4502 0005 1332, gracias', 'es')).toEqual([['IBAN', 'ES91 2100 0418\n4502 0005 1332', 'iban:mod97+wrapped']]);
    expect(found('> IBAN GB82 WEST 1234\r\n> 5698 7654 32 ok', 'en')).toEqual([['IBAN', 'GB82 WEST 1234\r\n> 5698 7654 32', 'iban:mod97+wrapped']]);
    // A complete IBAN is not lengthened by the next line, and a blank line is never crossed.
    expect(found('IBAN ES91 2100 0418 4502 0005 1332\n1234 5678', 'es').filter(([t]) => t === 'IBAN')).toEqual([['IBAN', 'ES91 2100 0418 4502 0005 1332', 'iban:mod97']]);
    expect(found('IBAN ES91 2100 0418\n\n4502 0005 1332', 'es').filter(([t]) => t === 'IBAN')).toEqual([]);
  });
});

describe('what the operators make of a wrapped card', () => {
  it('mask keeps the last four digits only, as for a card on one line; the line break stays', () => {
    const out = redactSync('> my card is 4111 1111\n> 1111 1111 thanks', { language: 'en', policy: MASK });
    expect(out.text).toBe('> my card is **** ****\n> **** 1111 thanks');
    expect(digitsOf(out.text)).toBe('1111');
    const amex = redactSync('amex 3782 822463\r\n10005 ok', { language: 'en', policy: MASK });
    expect(amex.text).toBe('amex **** ******\r\n*0005 ok');
    expect(redactSync('my card is 4111 1111 1111 1111 thanks', { language: 'en', policy: MASK }).text).toBe('my card is **** **** **** 1111 thanks');
  });
  it('tag replaces the whole span, line break included: no digit is left', () => {
    const out = redactSync('cartão 4111 1111 1111\n1111 obrigado', { language: 'pt' });
    expect(out.text).toBe('cartão <CARD_NUMBER> obrigado');
    expect(out.counts).toEqual({ CARD_NUMBER: 1 });
  });
});

describe('stream redactor: the line break at a chunk boundary', () => {
  const before = 'Hello, thanks for the quick answer yesterday about the refund. As you asked, my card is ';
  const after = ' and it expires soon, please charge it today.';

  async function streamed(chunks: readonly string[]): Promise<string> {
    const r = createStreamRedactor({ language: 'en' });
    let text = '';
    for (const c of chunks) text += await r.push(c);
    return text + (await r.end());
  }

  for (const [name, chunks] of [
    ['chunk ends right before the line break', [`${before}4111 1111`, `\n1111 1111${after}`]],
    ['chunk ends right after the line break', [`${before}4111 1111\n`, `1111 1111${after}`]],
    ['chunk ends between CR and LF', [`${before}4111 1111\r`, `\n1111 1111${after}`]],
    ['chunk ends after the quote prefix', [`> ${before}4111 1111\n> `, `1111 1111${after}`]],
    ['one line per chunk', [`${before}4111 1111\n`, '1111 1111\n', 'and it expires soon.\n']],
  ] as const) {
    it(name, async () => {
      const text = await streamed(chunks);
      expect(text).toBe(redactSync(chunks.join(''), { language: 'en' }).text);
      expect(text).toContain('<CARD_NUMBER>');
      expect(digitsOf(text)).toBe('');
    });
  }
});

describe('numbers on consecutive lines that are not one card stay apart', () => {
  // The 8-digit halves of a valid card number: joined, the pair passes issuer range and Luhn.
  const digits = luhnComplete('455673758689985');
  const a = `${digits.slice(0, 4)} ${digits.slice(4, 8)}`;
  const b = `${digits.slice(8, 12)} ${digits.slice(12)}`;

  it('the joined digits of these negatives would be a card on one line', () => {
    expect(cards(`card ${a} ${b}`, 'en')).toEqual([`${a} ${b}`]);
  });

  it('order numbers one per line (after a header line, or alone)', () => {
    expect(cards(`Mis pedidos pendientes:\n${a}\n${b}\n`, 'es')).toEqual([]);
    expect(cards(`${a}\n${b}`, 'en')).toEqual([]);
    expect(cards(`> ${a}\n> ${b}`, 'en')).toEqual([]);
  });

  it('four-digit codes one per line', () => {
    expect(cards('Códigos de retirada:\n4111\n1111\n1111\n1111\n', 'pt')).toEqual([]);
    expect(cards('codes 4111\n1111\n1111\n1111', 'en')).toEqual([]);
  });

  it('after a reference or phone word on the same line', () => {
    expect(cards(`Mi pedido ${a}\n${b} ok`, 'es')).toEqual([]);
    expect(cards(`My order ${a}\n${b}.`, 'en')).toEqual([]);
    expect(cards(`Tel ${a}\n${b}`, 'en')).toEqual([]);
  });

  it('a paragraph break (a blank line, quoted or not) is never crossed', () => {
    expect(cards('my card is 4111 1111\n\n1111 1111 thanks', 'en')).toEqual([]);
    expect(cards('my card is 4111 1111\r\n\r\n1111 1111 thanks', 'en')).toEqual([]);
    expect(cards('my card is 4111 1111\n \n1111 1111 thanks', 'en')).toEqual([]);
    expect(cards('> my card is 4111 1111\n>\n> 1111 1111 thanks', 'en')).toEqual([]);
  });

  it('only one line break: a card is not assembled from three lines', () => {
    expect(cards('my card is 4111\n1111\n1111 1111 thanks', 'en')).toEqual([]);
  });

  it('groups that are not printed card groups are not joined', () => {
    expect(cards('my card is 41111111\n11111111 thanks', 'en')).toEqual([]);
    expect(cards('my card is 411 1111\n11111 1111 thanks', 'en')).toEqual([]);
    // More white space than a line break: a table or a form, not a wrapped line.
    expect(cards(`my card is 4111 1111${' '.repeat(20)}\n1111 1111 thanks`, 'en')).toEqual([]);
  });

  it('a card on one line followed by a date, an amount or a CVV line is not lengthened', () => {
    expect(cards('Tarjeta 4111 1111 1111 1111\n15/03/2026 pagado 25,00 €', 'es')).toEqual(['4111 1111 1111 1111']);
    expect(cards('Visa 4111 1111 1111 1111\n2025 1234', 'en')).toEqual(['4111 1111 1111 1111']);
    // With the next line's three digits this is a valid 19-digit Visa: still the 16 of the first
    // line, so a CVV written on the next line is not taken into the card (and shown by a mask).
    const nineteen = luhnComplete('411111111111111112');
    expect(cards(`card 4111 1111 1111 1111\n${nineteen.slice(16)}`, 'en')).toEqual(['4111 1111 1111 1111']);
  });

  it('a card that opens the next line is not shortened to complete a number on the line above', () => {
    let head = '';
    for (let x = 4000; x < 5000 && head === ''; x++) if (luhnValid(`${x}411111111111`)) head = String(x);
    expect(cards(`my card ${head}\n4111 1111 1111 1111 thanks`, 'en')).toEqual(['4111 1111 1111 1111']);
  });

  it('twelve digits then a date or an amount that would complete a valid number', () => {
    // Digits chosen so that the first line plus the next line's leading digits pass Luhn.
    const twelve = (tail: string) => {
      for (let x = 0; x < 10000; x++) {
        const head = `411111${String(x).padStart(6, '0')}`;
        if (luhnValid(head + tail)) return `${head.slice(0, 4)} ${head.slice(4, 8)} ${head.slice(8)}`;
      }
      throw new Error('unreachable');
    };
    expect(cards(`Mi tarjeta ${twelve('2025')}\n2025-03-15 pagado`, 'es')).toEqual([]);
    expect(cards(`Mi tarjeta ${twelve('1')}\n1.111,50 €`, 'es')).toEqual([]);
    expect(cards(`my card ${twelve('1130')}\n1130:45 call me`, 'en')).toEqual([]);
    expect(cards(`paid 12,${twelve('1111')}\n1111 ok`, 'en')).toEqual([]);
  });
});
