/**
 * Payment cards: the card number (13-19 digits, issuer range and length, Luhn), and the security
 * code and expiry date, which are only reported after a context word: a bare `123` or `12/27` is
 * far more often something else.
 */
import { luhnValid } from '../../documents/index.js';
import { CARD_CUES, CVV_CUES, EXPIRY_CUES, PHONE_CUES, REFERENCE_CUES } from '../cues.js';
import { cueAfter, cueBefore, isAlnumCode, isDigitCode } from '../text.js';
import { afterLineBreak, type Chunk, type DetectContext, digitCount, emit, hasDigits, isLineBreakGap, joinGroups, opensLine, sepsIn } from './chunks.js';

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
  const chunks = ctx.chunks;
  // The first group of the previous chunk that no card took, or -1: where a card wrapped onto the
  // next line would start.
  let open = -1;
  for (let i = 0; i <= chunks.length; i++) {
    const ch = chunks[i];
    const next = ch === undefined ? -1 : detectCardInChunk(ctx, ch);
    if (open >= 0) {
      const prev = chunks[i - 1] as Chunk;
      const after = afterLineBreak(ctx.s.codes, prev.end);
      // A card that starts this line on its own is never the end of one from the line above.
      if (ch !== undefined && after === ch.start) {
        if (next === 0) detectWrappedCard(ctx, prev, open, ch);
      } else if (after >= 0) {
        const tail = shortTail(ctx, after);
        if (tail !== null) detectWrappedCard(ctx, prev, open, tail);
      }
    }
    open = ch !== undefined && next < ch.groups.length ? next : -1;
  }
}

/**
 * One or two digits standing alone at `pos`, as a chunk: scanChunks skips such numbers (no
 * detector wants them alone), but they can be the last group of a 13, 14, 17 or 18-digit card
 * printed in fours and wrapped before it.
 */
function shortTail(ctx: DetectContext, pos: number): Chunk | null {
  const codes = ctx.s.codes;
  let end = pos;
  while (end < codes.length && end - pos < 3 && isDigitCode(codes[end] as number)) end++;
  if (end === pos || end - pos > 2 || (end < codes.length && isAlnumCode(codes[end] as number))) return null;
  return { start: pos, end, prefixStart: pos, plus: false, groupStart: [pos], groupEnd: [end], groups: [ctx.s.folded.slice(pos, end)], seps: [''], suffix: null, gluedLeft: false, gluedRight: false };
}

/**
 * Windows of whole groups are tried from the chunk's first group (and again after each card found),
 * longest first: "4111 1111 1111 1111 123" (a card, then its CVV) gives the card. A window that is
 * not the whole chunk is refused after a reference word unless a card word is there too ("pedido
 * 3806 9619 6003 4638 713" is a 19-digit order number whose first 16 digits happen to pass); a
 * whole chunk never is: a valid card number after "order" is still a card number, and missing it
 * is the costlier mistake.
 *
 * A card may also start one group later, after one number of its own on the same line ("pagué 12
 * 4111 1111 1111 1111", "nº 3 4111-1111-1111-1111", a year, an amount, a CVV). Only one group: a
 * window further in is the middle of a longer grouped number. That later start is tried when no
 * window from the first group is valid, or when the first group is shorter than four digits (cards
 * are printed from a group of four or more, so "6 4111 1111 1111" passing Luhn by chance is the
 * smaller number's digits, not the card's). It is refused where the chunk is itself one code: a
 * `+` number, glued to a code on its left, joined to the number before by anything but a blank,
 * or followed by another group of four or more digits (a run of groups of four, an IBAN body); and
 * after a reference or phone word unless a card word is there too.
 */
function detectCardInChunk(ctx: DetectContext, ch: Chunk): number {
  const last = ch.groups.length - 1;
  // No card has fewer than 13 digits; most chunks (amounts, times, short ids) stop here.
  if (!hasDigits(ch, 0, 13)) return 0;
  words.reference = words.phone = words.card = words.cvv = undefined;
  let g = 0;
  while (g <= last) {
    let start = g;
    let end = longestCard(ctx, ch, g, false);
    if (g < last && (end < 0 || (ch.groups[g] as string).length < 4)) {
      const later = longestCard(ctx, ch, g + 1, true);
      if (later >= 0) {
        start = g + 1;
        end = later;
      }
    }
    if (end < 0) return g;
    const from = ch.groupStart[start] as number;
    const uniform = sepsIn(ch, start, end, [' ']) || sepsIn(ch, start, end, ['-']);
    const cue = cueBefore(ctx.s, from, CARD_CUES[ctx.lang], 8, 100);
    emit(ctx, 'CARD_NUMBER', from, ch.groupEnd[end] as number, cue || uniform ? 0.99 : 0.95, 'card:iin+luhn');
    g = end + 1;
  }
  return g;
}

/**
 * Context words before the chunk detectCardInChunk is on: looked up once each, and only for a valid
 * window that is not the whole chunk. Module state rather than closures over that function's locals,
 * which cost a measurable share of detect() on texts full of long numbers.
 */
const words: { reference: boolean | undefined; phone: boolean | undefined; card: boolean | undefined; cvv: boolean | undefined } = { reference: undefined, phone: undefined, card: undefined, cvv: undefined };

/**
 * Whether a window that is not the whole chunk is refused by the words before the chunk; `g` is
 * the window's first group. A security code read out just before its card ("código de seguridad
 * 876 4111 1111 1111 1111") counts as a card word for a window that starts right after that code:
 * "código" is a reference word, and without this the card would be missed.
 */
function refusedByWords(ctx: DetectContext, ch: Chunk, g: number, inner: boolean): boolean {
  words.reference ??= cueBefore(ctx.s, ch.start, REFERENCE_CUES[ctx.lang], 4, 40);
  if (!words.reference && inner) words.phone ??= cueBefore(ctx.s, ch.start, PHONE_CUES[ctx.lang], 3, 30);
  if (!words.reference && !(inner && words.phone === true)) return false;
  words.card ??= cueBefore(ctx.s, ch.start, CARD_CUES[ctx.lang], 8, 100);
  if (words.card) return false;
  if (!inner || g !== 1 || !cvvShaped(ch.groups[0] as string)) return true;
  words.cvv ??= cueBefore(ctx.s, ch.start, CVV_CUES[ctx.lang], 5, 60);
  return !words.cvv;
}

function cvvShaped(group: string): boolean {
  return group.length === 3 || group.length === 4;
}

/** The last group of the longest valid window starting at group g, or -1; `inner`: g follows one number of its own. */
function longestCard(ctx: DetectContext, ch: Chunk, g: number, inner: boolean): number {
  // Issuer ranges start with 2 to 6 (cardIssuerLengthOk): most starts end here, before any string is built.
  const first = (ch.groups[g] as string).charCodeAt(0);
  if (first < 50 || first > 54) return -1;
  if (inner && (ch.plus || ch.gluedLeft || !(ch.seps[g] as string).includes(' '))) return -1;
  const last = ch.groups.length - 1;
  let total = 0;
  let best = -1;
  for (let j = g; j <= last; j++) {
    total += (ch.groups[j] as string).length;
    if (total > 19) break;
    if (j > g && !CARD_SEPS.includes(ch.seps[j] as string)) break;
    if (total < 13 || (j === last && ch.gluedRight)) continue;
    if (inner && j < last && CARD_SEPS.includes(ch.seps[j + 1] as string) && (ch.groups[j + 1] as string).length >= 4) continue;
    if (isCardNumber(joinGroups(ch, g, j)) && ((g === 0 && j === last) || !refusedByWords(ctx, ch, g, inner))) best = j;
  }
  return best;
}

/**
 * A card number cut by one line break (hard-wrapped e-mail, a text file, a transcript line):
 * `a` ends a line, `b` opens the next, and the text between is one line break (chunks.ts,
 * isLineBreakGap: blanks, CR LF, a quote prefix `> `; never a blank line). The groups from
 * `a.groups[g]` to the end of `a`, then the first groups of `b`, are joined only when together
 * they are written the way cards are printed: groups of four (the last one shorter for 13 and 19
 * digits) or 4-6-5 / 4-6-4 (Amex, Diners), so every group before the break is a whole group. A
 * wrapper cuts a line at a space, so that is what a wrapped card looks like; two numbers that
 * merely sit on consecutive lines rarely are, and are kept apart by these rules:
 *
 * - the part before the break must follow other text on its line: a number that opens its line
 *   is a list item or a form value (order numbers one per line), which no wrapper produces;
 * - no reference or phone word before it (pedido, order, tel...) unless a card word is there too;
 * - the digits on each side are a number of their own: not the tail of a decimal or a time before
 *   the break (`12,4111`), and after it they end at a blank or where the digits end, not inside a
 *   date, an amount or a time (`2025-03-15`, `1.111,50`, `1111:30`);
 * - the window spans the break (at least one group on each side) and is checked as a whole:
 *   issuer range and length, Luhn; longest first, like a window on one line.
 *
 * The caller only asks when no card on one line took the end of `a` or the start of `b`: a complete
 * card is never lengthened by the line that follows it (a CVV or a date on the next line).
 */
function detectWrappedCard(ctx: DetectContext, a: Chunk, g: number, b: Chunk): void {
  const codes = ctx.s.codes;
  if (b.prefixStart !== b.start || b.gluedLeft || a.plus || a.gluedRight || !isLineBreakGap(codes, a.end, b.start)) return;
  const lastA = a.groups.length - 1;
  const onFirst = lastA - g + 1;
  // Groups before the break: all of four digits, or 4-6 (Amex, Diners); never more than 16 digits.
  let fours = onFirst <= 4;
  let digits = 0;
  for (let k = g; k <= lastA; k++) {
    const len = (a.groups[k] as string).length;
    if (len !== 4) fours = false;
    if (k > g && !CARD_SEPS.includes(a.seps[k] as string)) return;
    digits += len;
  }
  // Groups still missing after the break for 4-6-5 / 4-6-4: one (4-6 before it), two (4 before
  // it), or 0 when the groups before the break are not an Amex or Diners start.
  const firstLen = (a.groups[g] as string).length;
  const amexAfter = firstLen === 4 && onFirst === 2 && (a.groups[g + 1] as string).length === 6 ? 1 : firstLen === 4 && onFirst === 1 ? 2 : 0;
  if (!fours && amexAfter === 0) return;
  if (g === 0 && (a.gluedLeft || opensLine(codes, a.start) || numberPartAt(codes, a.start - 1, a.start - 2))) return;
  const lastB = b.groups.length - 1;
  let best = -1;
  let run4 = fours;
  let total = digits;
  for (let j = 0; j <= lastB; j++) {
    if (j > 0 && !CARD_SEPS.includes(b.seps[j] as string)) break;
    const len = (b.groups[j] as string).length;
    total += len;
    if (total > 19) break;
    // 4-6 | 5 or 4 | 6 5: the Amex and Diners layouts with the break after either group.
    const amex = (amexAfter === 1 && j === 0 && (len === 5 || len === 4)) || (amexAfter === 2 && j === 1 && (b.groups[0] as string).length === 6 && (len === 5 || len === 4));
    if (((run4 && len <= 4) || amex) && total >= 13 && endsNumber(codes, b, j) && isCardNumber(joinGroups(a, g, lastA) + joinGroups(b, 0, j))) best = j;
    run4 = run4 && len === 4;
    if (!run4 && amexAfter === 0) break;
  }
  if (best < 0) return;
  const s = ctx.s;
  const start = a.groupStart[g] as number;
  const cue = cueBefore(s, start, CARD_CUES[ctx.lang], 8, 100);
  if (!cue && (cueBefore(s, start, REFERENCE_CUES[ctx.lang], 4, 40) || cueBefore(s, start, PHONE_CUES[ctx.lang], 3, 30))) return;
  const uniform = (sepsIn(a, g, lastA, [' ']) && sepsIn(b, 0, best, [' '])) || (sepsIn(a, g, lastA, ['-']) && sepsIn(b, 0, best, ['-']));
  emit(ctx, 'CARD_NUMBER', start, b.groupEnd[best] as number, cue || uniform ? 0.99 : 0.95, 'card:iin+luhn+wrapped');
}

/** Whether codes[at] is `,`, `.` or `:` with a digit at `digit`: a decimal or time goes on. */
function numberPartAt(codes: Uint16Array, at: number, digit: number): boolean {
  if (at < 0 || digit < 0 || digit >= codes.length) return false;
  const c = codes[at] as number;
  return (c === 44 || c === 46 || c === 58) && isDigitCode(codes[digit] as number);
}

/** Whether the digits of `b` can end after group j: at a blank, or at b's end unless a decimal or time part follows. */
function endsNumber(codes: Uint16Array, b: Chunk, j: number): boolean {
  if (j < b.groups.length - 1) return (b.seps[j + 1] as string).charCodeAt(0) === 32;
  return !b.gluedRight && !numberPartAt(codes, b.end, b.end + 1);
}

/** Security codes (3-4 digits) and expiry dates (MM/YY, MM/YYYY, MM-YY) after a context word. */
export function detectCardExtras(ctx: DetectContext): void {
  const { s, lang } = ctx;
  for (const ch of ctx.chunks) {
    const groups = ch.groups;
    if (groups.length === 1) {
      if (cvvShaped(groups[0] as string) && !ch.gluedRight && !ch.gluedLeft && (ch.suffix === null || ch.suffix.spaced) && !ch.plus && (cueBefore(s, ch.start, CVV_CUES[lang], 5, 60) || cueAfter(s, ch.end, CVV_CUES[lang], 5, 40))) {
        emit(ctx, 'CARD_CVV', ch.start, ch.end, 0.9, 'cvv:context');
      }
      continue;
    }
    // A code read out next to its card, in one run of groups: "cvv 876 4111 1111 1111 1111",
    // "4111 1111 1111 1111 876 es el cvv". The other groups must be a card number by themselves.
    const last = groups.length - 1;
    // Most runs of groups (dates, amounts, phones) are too short for a card and a code: one sum first.
    const total = last >= 1 && !ch.plus ? digitCount(ch, 0, last) : 0;
    if (total >= 16 && total <= 23) {
      const lead = groups[0] as string;
      if (cvvShaped(lead) && !ch.gluedLeft && (ch.seps[1] as string).includes(' ') && cueBefore(s, ch.start, CVV_CUES[lang], 5, 60) && isCardNumber(joinGroups(ch, 1, last))) {
        emit(ctx, 'CARD_CVV', ch.start, ch.groupEnd[0] as number, 0.9, 'cvv:context');
      }
      const tail = groups[last] as string;
      if (cvvShaped(tail) && !ch.gluedRight && (ch.seps[last] as string).includes(' ') && (cueAfter(s, ch.end, CVV_CUES[lang], 5, 40) || cueBefore(s, ch.start, CVV_CUES[lang], 5, 60)) && isCardNumber(joinGroups(ch, 0, last - 1))) {
        emit(ctx, 'CARD_CVV', ch.groupStart[last] as number, ch.end, 0.9, 'cvv:context');
      }
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
