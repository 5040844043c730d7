/**
 * Payment cards: the card number (13-19 digits, issuer range and length, Luhn), and the security
 * code and expiry date, which are only reported after a context word: a bare `123` or `12/27` is
 * far more often something else.
 */
import { luhnValid } from '../../documents/index.js';
import { CARD_CUES, CVV_CUES, EXPIRY_CUES, REFERENCE_CUES } from '../cues.js';
import { cueAfter, cueBefore } from '../text.js';
import { type Chunk, type DetectContext, emit, hasDigits, joinGroups, sepsIn } from './chunks.js';

/**
 * Whether `digits` lies in a known issuer range with a length that range issues (ISO/IEC 7812
 * IINs as published by the networks): Visa, Mastercard (51-55, 2221-2720), American Express,
 * Discover, Diners, JCB, UnionPay, Maestro, Elo, Hipercard, Mir, RuPay. Ranges whose first digit
 * is 0, 1, 7, 8 or 9 are not cards here (UATP and fleet cards are out of scope), which keeps most
 * order and tracking numbers out before the Luhn check.
 */
export function cardIssuerLengthOk(digits: string): boolean {
  const len = digits.length;
  if (len < 13 || len > 19) return false;
  const d1 = digits.charCodeAt(0) - 48;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  switch (d1) {
    case 4:
      return len === 13 || len === 16 || len === 19;
    case 5:
      if (two >= 51 && two <= 55) return len === 16;
      return len >= 13; // Maestro (50, 56-59), Elo 50x
    case 2:
      if (four >= 2221 && four <= 2720) return len === 16;
      if (four >= 2200 && four <= 2204) return len >= 16; // Mir
      return false;
    case 3: {
      if (two === 34 || two === 37) return len === 15;
      const three = Number(digits.slice(0, 3));
      if ((three >= 300 && three <= 305) || three === 309 || two === 36 || two === 38 || two === 39) return len >= 14;
      if (four >= 3528 && four <= 3589) return len >= 16;
      if (four === 3841) return len === 16 || len === 19; // Hipercard
      return false;
    }
    case 6:
      return len >= 13; // Discover, UnionPay, Maestro, Elo, Hipercard, RuPay
    default:
      return false;
  }
}

export function isCardNumber(digits: string): boolean {
  return cardIssuerLengthOk(digits) && luhnValid(digits);
}

const CARD_SEPS = [' ', '-', ' - ', '  '];

export function detectCards(ctx: DetectContext): void {
  for (const ch of ctx.chunks) detectCardInChunk(ctx, ch);
}

/**
 * Windows of whole groups are tried from the chunk's first group (and again after each card found),
 * longest first: "4111 1111 1111 1111 123" (a card, then its CVV) gives the card. A window that is
 * not the whole chunk is refused after a reference word ("pedido 3806 9619 6003 4638 713" is a
 * 19-digit order number whose first 16 digits happen to pass), a whole chunk never is: a valid
 * card number after "order" is still a card number, and missing it is the costlier mistake.
 */
function detectCardInChunk(ctx: DetectContext, ch: Chunk): void {
  const last = ch.groups.length - 1;
  // No card has fewer than 13 digits; most chunks (amounts, times, short ids) stop here.
  if (!hasDigits(ch, 0, 13)) return;
  // Looked up once, and only when a window that is not the whole chunk passes the cheap tests.
  let reference: boolean | undefined;
  let g = 0;
  while (g <= last) {
    let total = 0;
    let best = -1;
    for (let j = g; j <= last; j++) {
      total += (ch.groups[j] as string).length;
      if (total > 19) break;
      if (j > g && !CARD_SEPS.includes(ch.seps[j] as string)) break;
      const whole = g === 0 && j === last;
      if (total < 13 || (j === last && ch.gluedRight)) continue;
      if (!whole) {
        reference ??= cueBefore(ctx.s, ch.start, REFERENCE_CUES[ctx.lang], 4, 40);
        if (reference) continue;
      }
      if (isCardNumber(joinGroups(ch, g, j))) best = j;
    }
    if (best >= 0) {
      const start = ch.groupStart[g] as number;
      const uniform = sepsIn(ch, g, best, [' ']) || sepsIn(ch, g, best, ['-']);
      const cue = cueBefore(ctx.s, start, CARD_CUES[ctx.lang], 8, 100);
      emit(ctx, 'CARD_NUMBER', start, ch.groupEnd[best] as number, cue || uniform ? 0.99 : 0.95, 'card:iin+luhn');
      g = best + 1;
    } else return;
  }
}

/** Security codes (3-4 digits) and expiry dates (MM/YY, MM/YYYY, MM-YY) after a context word. */
export function detectCardExtras(ctx: DetectContext): void {
  const { s, lang } = ctx;
  for (const ch of ctx.chunks) {
    const groups = ch.groups;
    if (groups.length === 1) {
      const len = (groups[0] as string).length;
      if ((len === 3 || len === 4) && !ch.gluedRight && !ch.gluedLeft && (ch.suffix === null || ch.suffix.spaced) && !ch.plus && (cueBefore(s, ch.start, CVV_CUES[lang], 5, 60) || cueAfter(s, ch.end, CVV_CUES[lang], 5, 40))) {
        emit(ctx, 'CARD_CVV', ch.start, ch.end, 0.9, 'cvv:context');
      }
      continue;
    }
    if (groups.length === 2 && !ch.gluedRight) {
      const mm = groups[0] as string;
      const yy = groups[1] as string;
      const sep = (ch.seps[1] as string).trim();
      const month = Number(mm);
      if ((sep === '/' || sep === '-' || sep === '.') && (mm.length === 1 || mm.length === 2) && month >= 1 && month <= 12 && (yy.length === 2 || yy.length === 4)) {
        if (yy.length === 4 && (Number(yy) < 2000 || Number(yy) > 2099)) continue;
        if (cueBefore(s, ch.start, EXPIRY_CUES[lang], 6, 70)) emit(ctx, 'CARD_EXPIRY', ch.start, ch.end, 0.9, 'expiry:context');
      }
    }
  }
}
