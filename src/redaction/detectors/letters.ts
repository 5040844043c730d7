/**
 * Identifiers that start with letters: IBAN (mod 97 and country length, src/documents), SWIFT/BIC
 * (after a context word), NIE (Spain), CURP (Mexico) and passport numbers (after a context word).
 * They are found from the token index, one token at a time.
 */
import { isValidBic, isValidCurp, isValidIban, isValidNie } from '../../documents/index.js';
import { IBAN_FORMATS } from '../../documents/iban-registry.js';
import { BIC_CUES, PASSPORT_CUES } from '../cues.js';
import { cueBefore, isDigitCode, type ScanText, TOK_ALL_CAPS, TOK_DIGIT, TOK_LETTER, tokenText } from '../text.js';
import { type DetectContext, emit, isLineBreakGap } from './chunks.js';

function isLetter(c: number): boolean {
  return c >= 97 && c <= 122;
}

function allDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isDigitCode(s.charCodeAt(i))) return false;
  return true;
}

function allLetters(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isLetter(s.charCodeAt(i))) return false;
  return true;
}

/** Tokens t and t+1 separated by exactly the separator `sep` (one character). */
function joinedBy(s: ScanText, t: number, seps: string): boolean {
  if (t + 1 >= s.tokenCount) return false;
  const gapStart = s.tokEnd[t] as number;
  const gapEnd = s.tokStart[t + 1] as number;
  return gapEnd - gapStart === 1 && seps.includes(s.folded[gapStart] as string);
}

export function detectLetterIds(ctx: DetectContext): void {
  const s = ctx.s;
  const passportCues = PASSPORT_CUES[ctx.lang];
  const bicCues = BIC_CUES[ctx.lang];
  for (let t = 0; t < s.tokenCount; t++) {
    const flags = s.tokFlags[t] as number;
    const start = s.tokStart[t] as number;
    const len = (s.tokEnd[t] as number) - start;
    if (start > 0 && s.codes[start - 1] === 64) continue; // inside an e-mail domain
    if (flags & TOK_LETTER && flags & TOK_DIGIT) {
      const w = tokenText(s, t);
      // IBAN: CC00 then up to 30 alphanumerics, in one token or in groups split by single spaces.
      if (len >= 4 && isLetter(w.charCodeAt(0)) && isLetter(w.charCodeAt(1)) && isDigitCode(w.charCodeAt(2)) && isDigitCode(w.charCodeAt(3))) {
        const next = matchIban(ctx, t);
        if (next >= 0) {
          t = next;
          continue;
        }
      }
      // NIE X1234567L
      if (len === 9 && 'xyz'.includes(w[0] as string) && allDigits(w, 1, 8) && isLetter(w.charCodeAt(8))) {
        if (isValidNie(w.toUpperCase())) emit(ctx, 'NIE', start, s.tokEnd[t] as number, 0.97, 'nie:checksum');
        continue;
      }
      // CURP: 4 letters, 6 digits (birth date), 6 letters, 1 alphanumeric, 1 digit.
      if (len === 18 && allLetters(w, 0, 4) && allDigits(w, 4, 10) && allLetters(w, 10, 16) && isDigitCode(w.charCodeAt(17))) {
        if (isValidCurp(w.toUpperCase())) emit(ctx, 'CURP', start, s.tokEnd[t] as number, 0.97, 'curp:checksum');
        continue;
      }
      // SWIFT/BIC with digits in the location or branch code (e.g. BSCHESMM -> ...2X).
      if ((len === 8 || len === 11) && flags & TOK_ALL_CAPS && allLetters(w, 0, 6) && cueBefore(s, start, bicCues, 6, 60)) {
        if (isValidBic(w.toUpperCase())) emit(ctx, 'SWIFT_BIC', start, s.tokEnd[t] as number, 0.9, 'bic:context');
        continue;
      }
      if (passportLike(w) && cueBefore(s, start, passportCues, 6, 60)) {
        emit(ctx, 'PASSPORT', start, s.tokEnd[t] as number, 0.9, 'passport:context');
      }
      continue;
    }
    if (flags & TOK_LETTER) {
      // NIE written X-1234567L.
      if (len === 1 && 'xyz'.includes(s.folded[start] as string) && joinedBy(s, t, '- ')) {
        const rest = tokenText(s, t + 1);
        if (rest.length === 8 && allDigits(rest, 0, 7) && isLetter(rest.charCodeAt(7)) && isValidNie(`${s.folded[start]}${rest}`.toUpperCase())) {
          emit(ctx, 'NIE', start, s.tokEnd[t + 1] as number, 0.95, 'nie:layout+checksum');
          t += 1;
          continue;
        }
      }
      // NIE written X-1234567-L or X 1234567 L.
      if (len === 1 && 'xyz'.includes(s.folded[start] as string) && joinedBy(s, t, '- ') && joinedBy(s, t + 1, '- ')) {
        const mid = tokenText(s, t + 1);
        const tail = tokenText(s, t + 2);
        if (mid.length === 7 && allDigits(mid, 0, 7) && tail.length === 1 && isLetter(tail.charCodeAt(0))) {
          if (isValidNie(`${s.folded[start]}${mid}${tail}`.toUpperCase())) {
            emit(ctx, 'NIE', start, s.tokEnd[t + 2] as number, 0.95, 'nie:layout+checksum');
            t += 2;
          }
        }
        continue;
      }
      if ((len === 8 || len === 11) && flags & TOK_ALL_CAPS && cueBefore(s, start, bicCues, 6, 60)) {
        const w = tokenText(s, t);
        if (isValidBic(w.toUpperCase())) emit(ctx, 'SWIFT_BIC', start, s.tokEnd[t] as number, 0.9, 'bic:context');
      }
      continue;
    }
    // Digits only: passport numbers in context (Spain, Brazil and others have letters; the US
    // and Mexico issue digits).
    if (len >= 6 && len <= 9 && cueBefore(s, start, passportCues, 6, 60) && !(s.tokEnd[t] as number < s.text.length && s.codes[s.tokEnd[t] as number] === 45)) {
      emit(ctx, 'PASSPORT', start, s.tokEnd[t] as number, 0.88, 'passport:context');
    }
  }
}

/** 1-3 letters then 6-9 digits, or 6-9 characters with at least 5 digits. */
function passportLike(w: string): boolean {
  const len = w.length;
  if (len < 6 || len > 12) return false;
  let letters = 0;
  while (letters < len && isLetter(w.charCodeAt(letters))) letters++;
  if (letters >= 1 && letters <= 3 && len - letters >= 6 && len - letters <= 9 && allDigits(w, letters, len)) return true;
  if (len > 9) return false;
  let digits = 0;
  for (let i = 0; i < len; i++) if (isDigitCode(w.charCodeAt(i))) digits++;
  return digits >= 5;
}

/**
 * Returns the last token of the IBAN found at token t, or -1.
 *
 * The print format (groups of four, ISO 13616) is long enough to be cut by a wrapped line: one
 * line break (chunks.ts, isLineBreakGap) joins two groups when every group before it has four
 * characters. Nothing else is needed to keep unrelated text out: the groups are joined only up to
 * the country's exact length, and the result must pass mod 97, so a word on the next line never
 * extends an IBAN that ends its line.
 */
function matchIban(ctx: DetectContext, t: number): number {
  const s = ctx.s;
  let compact = tokenText(s, t);
  // Only the candidate of the country's registered length can pass (isValidIban checks it too),
  // and the candidates grow strictly longer: at most one of them is ever validated.
  const length = IBAN_FORMATS[compact.slice(0, 2).toUpperCase()]?.[0];
  if (length === undefined) return -1;
  let u = t;
  let fours = compact.length === 4;
  let wrapped = false;
  // The first token after the line break, if one was crossed.
  let nextLine = s.tokenCount;
  while (compact.length < length && u + 1 < s.tokenCount) {
    if (!joinedBy(s, u, ' -')) {
      if (wrapped || !fours || !isLineBreakGap(s.codes, s.tokEnd[u] as number, s.tokStart[u + 1] as number)) break;
      wrapped = true;
      nextLine = u + 1;
    }
    const next = tokenText(s, u + 1);
    if (next.length > length - compact.length) break;
    compact += next;
    fours = fours && next.length === 4;
    u++;
  }
  if (compact.length !== length || !isValidIban(compact.toUpperCase())) return -1;
  emit(ctx, 'IBAN', s.tokStart[t] as number, s.tokEnd[u] as number, 0.99, u >= nextLine ? 'iban:mod97+wrapped' : 'iban:mod97');
  return u;
}
