/**
 * Digits read aloud in a transcript ("cuatro cinco tres dos...", "quatro cinco...", "four five
 * ... double seven") that form a card number, CPF, CNPJ or SSN. A run of number words (and bare
 * digits), joined by spaces, commas, dots or hyphens, is turned into its digit string, remembering
 * which token each digit came from; windows that start and end on token boundaries are then
 * checked like written numbers (issuer range and Luhn for cards, check digits for ids). The span
 * covers the words from the first to the last digit.
 *
 * Words are taken in every language, not only the text's: speech-to-text output mixes them, and
 * none of the number words is an ordinary word in the other two languages except those left out
 * ("o" and "a" are articles in Spanish and Portuguese; "oh" is zero in English only).
 */
import { isPlausibleSsn, isValidCnpj, isValidCpf } from '../../documents/index.js';
import { CPF_CUES, PHONE_CUES, REFERENCE_CUES, SSN_CUES } from '../cues.js';
import { isPhoneNumber, mayNeedPhoneWord } from './phone.js';
import { cueBefore, type ScanText, TOK_DIGIT, TOK_LETTER, tokenText, WordSet } from '../text.js';
import { isCardNumber } from './cards.js';
import { type DetectContext, emit } from './chunks.js';

const WORDS: ReadonlyMap<string, string> = new Map(Object.entries({
  cero: '0', uno: '1', una: '1', dos: '2', tres: '3', cuatro: '4', cinco: '5', seis: '6', siete: '7', ocho: '8', nueve: '9',
  zero: '0', um: '1', uma: '1', dois: '2', duas: '2', quatro: '4', meia: '6', sete: '7', oito: '8', nove: '9',
  oh: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9',
}));
const REPEAT: ReadonlyMap<string, number> = new Map(Object.entries({ doble: 2, double: 2, dobro: 2, duplo: 2, triple: 3, triplo: 3 }));
/** The words that can open a run: a digit word or "double". */
const RUN_STARTS = new WordSet([...WORDS.keys(), ...REPEAT.keys()], { presence: true });
const REPEAT_WORDS = new WordSet(REPEAT.keys());
/** WORDS and REPEAT again, for tokens of a scan: looked up by the scan's word numbers, without slicing the token. */
const DIGIT_WORDS = new WordSet(WORDS.keys());
const DIGIT_OF: readonly string[] = [...WORDS.values()];
const REPEAT_TIMES: readonly number[] = [...REPEAT.values()];
const MAX_RUN_DIGITS = 64;
/** Hesitations inside a read-out number ("cuatro cinco, eh, tres"): skipped, kept in the span. */
const FILLERS = new Set(['eh', 'em', 'e', 'uh', 'hum', 'ehm', 'mm', 'mmm', 'este', 'bueno', 'tipo', 'like', 'so']);
const FILLER_WORDS = new WordSet(FILLERS);
/** Longest gap between two digit words: pauses come out as ", ", "... ", " - ". */
const MAX_GAP = 5;

/** Whether a folded word can be part of a read-out number (digit word, "double", filler). */
export function isSpokenNumberWord(w: string): boolean {
  return WORDS.has(w) || REPEAT.has(w) || FILLERS.has(w);
}

/** The digit token t of `s` spells ("cinco" -> "5"), or undefined. */
function digitOf(s: ScanText, t: number): string | undefined {
  const k = DIGIT_WORDS.tokenIndex(s, t);
  return k >= 0 ? DIGIT_OF[k] : undefined;
}

/** Whether text[from, to) is a pause between two digit words: 1 to MAX_GAP of ` ,.…-`. */
function pauseGap(s: ScanText, from: number, to: number): boolean {
  if (to - from > MAX_GAP || to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.codes[i] as number;
    if (!(c === 32 || c === 44 || c === 46 || c === 0x2026 || c === 45)) return false;
  }
  return true;
}

interface Piece {
  digits: string;
  start: number;
  end: number;
}

export function detectSpokenDigits(ctx: DetectContext): void {
  const s = ctx.s;
  // A run needs three spelled words, each a digit word or "double": a text with fewer such words
  // anywhere (most chats and e-mails) has no run to find.
  if (!RUN_STARTS.occursIn(s)) return;
  let starts = 0;
  for (let t = 0; t < s.tokenCount && starts < 3; t++) {
    if (!((s.tokFlags[t] as number) & TOK_DIGIT) && RUN_STARTS.hasToken(s, t)) starts++;
  }
  if (starts < 3) return;
  let t = 0;
  while (t < s.tokenCount) {
    // Digit words have 2 to 6 letters; written digit groups up to 4: anything else starts no run.
    const len0 = (s.tokEnd[t] as number) - (s.tokStart[t] as number);
    const f0 = s.tokFlags[t] as number;
    if (f0 & TOK_DIGIT ? f0 & TOK_LETTER || len0 > 4 : len0 < 2 || len0 > 6) {
      t++;
      continue;
    }
    // Most words are neither a digit word nor "double": such a word cannot open a run.
    if (!(f0 & TOK_DIGIT) && !RUN_STARTS.hasToken(s, t)) {
      t++;
      continue;
    }
    // A digit or digit word with no pause after it is a run of one ("00:52", "dos días"); only
    // "double" reaches its next word without a pause.
    if (!REPEAT_WORDS.hasToken(s, t) && (t + 1 >= s.tokenCount || !pauseGap(s, s.tokEnd[t] as number, s.tokStart[t + 1] as number))) {
      t++;
      continue;
    }
    const pieces: Piece[] = [];
    let spelled = 0;
    let u = t;
    let total = 0;
    while (u < s.tokenCount && total < MAX_RUN_DIGITS) {
      if (pieces.length > 0) {
        if (!pauseGap(s, s.tokEnd[u - 1] as number, s.tokStart[u] as number)) break;
      }
      const f = s.tokFlags[u] as number;
      const pieceStart = s.tokStart[u] as number;
      let digits: string | undefined;
      let end = s.tokEnd[u] as number;
      if (f & TOK_LETTER && pieces.length > 0 && FILLER_WORDS.hasToken(s, u) && u + 1 < s.tokenCount && DIGIT_WORDS.hasToken(s, u + 1)) {
        u++;
        continue;
      }
      if (f & TOK_LETTER) {
        digits = digitOf(s, u);
        if (digits === undefined) {
          const r = REPEAT_WORDS.tokenIndex(s, u);
          const times = r >= 0 ? REPEAT_TIMES[r] : undefined;
          const next = times !== undefined && u + 1 < s.tokenCount ? digitOf(s, u + 1) : undefined;
          if (times !== undefined && next !== undefined) {
            digits = next.repeat(times);
            end = s.tokEnd[u + 1] as number;
            u++;
          }
        }
        if (digits !== undefined) spelled++;
      } else if (f & TOK_DIGIT && end - pieceStart <= 4) digits = tokenText(s, u);
      if (digits === undefined) break;
      pieces.push({ digits, start: pieceStart, end });
      total += digits.length;
      u++;
    }
    // Written digits alone are the number-chunk detectors' job; a run needs spoken words.
    if (spelled >= 3 && total >= 7) findInRun(ctx, pieces);
    t = pieces.length > 0 ? u : t + 1;
  }
}

function findInRun(ctx: DetectContext, pieces: readonly Piece[]): void {
  let p = 0;
  let found = false;
  while (p < pieces.length) {
    let digits = '';
    let best: { q: number; type: 'CARD_NUMBER' | 'CPF' | 'CNPJ' | 'SSN' } | null = null;
    for (let q = p; q < pieces.length; q++) {
      digits += (pieces[q] as Piece).digits;
      if (digits.length > 19) break;
      const len = digits.length;
      if (len >= 13 && isCardNumber(digits)) best = { q, type: 'CARD_NUMBER' };
      else if (best === null || best.type !== 'CARD_NUMBER') {
        if (len === 11 && isValidCpf(digits) && (ctx.lang === 'pt' || cueBefore(ctx.s, (pieces[p] as Piece).start, CPF_CUES[ctx.lang], 6, 60))) best = { q, type: 'CPF' };
        else if (len === 14 && isValidCnpj(digits)) best = { q, type: 'CNPJ' };
        else if (len === 9 && cueBefore(ctx.s, (pieces[p] as Piece).start, SSN_CUES[ctx.lang], 8, 80) && isPlausibleSsn(`${digits.slice(0, 3)}-${digits.slice(3, 5)}-${digits.slice(5)}`)) best = { q, type: 'SSN' };
      }
    }
    if (best !== null) {
      emit(ctx, best.type, (pieces[p] as Piece).start, (pieces[best.q] as Piece).end, best.type === 'CARD_NUMBER' ? 0.97 : 0.9, 'spoken-digits');
      p = best.q + 1;
      found = true;
    } else p++;
  }
  if (!found && pieces.length > 0) spokenPhone(ctx, pieces);
}

/** A whole run of 7-12 digits that is a valid national number, not after a reference word. */
function spokenPhone(ctx: DetectContext, pieces: readonly Piece[]): void {
  const digits = pieces.map((x) => x.digits).join('');
  if (digits.length < 7 || digits.length > 12) return;
  const start = (pieces[0] as Piece).start;
  if (cueBefore(ctx.s, start, REFERENCE_CUES[ctx.lang], 4, 40)) return;
  if (!isPhoneNumber(digits, false, ctx.lang, mayNeedPhoneWord(digits) && cueBefore(ctx.s, start, PHONE_CUES[ctx.lang], 6, 60))) return;
  emit(ctx, 'PHONE', start, (pieces[pieces.length - 1] as Piece).end, 0.8, 'spoken-digits:phone');
}

/** The digits of a value read aloud ("cuatro uno doble cinco" -> "4155"), or null if a word is not a digit. */
export function spokenToDigits(value: string): string | null {
  const words = value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
  let out = '';
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const d = WORDS.get(w) ?? (/^[0-9]+$/.test(w) ? w : undefined);
    if (d !== undefined) {
      out += d;
      continue;
    }
    const times = REPEAT.get(w);
    const next = WORDS.get(words[i + 1] ?? '');
    if (times === undefined || next === undefined) return null;
    out += next.repeat(times);
    i++;
  }
  return out;
}
