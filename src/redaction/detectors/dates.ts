/**
 * Dates of birth: a date (numeric `12/03/1985`, `1985-03-12`, `12.03.85`, or written `12 de marzo
 * de 1985`, `3 de março de 1980`, `March 3, 1985`, `3rd of March 1985`) reported only when a
 * birth context word precedes it (`nací`, `nascimento`, `born`, `DOB`...). Ordinary dates
 * (appointments, deliveries, invoices) stay untouched.
 */
import { DOB_CUES } from '../cues.js';
import { cueBefore, isDigitCode, type ScanText, TOK_DIGIT, TOK_LETTER, tokenText, WordSet } from '../text.js';
import { type Chunk, type DetectContext, emit } from './chunks.js';

const MONTHS = new WordSet(
  [
  'enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'setiembre', 'octubre', 'noviembre', 'diciembre',
  'janeiro', 'fevereiro', 'marco', 'maio', 'junho', 'julho', 'setembro', 'outubro', 'novembro', 'dezembro',
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'ene', 'feb', 'mar', 'abr', 'jun', 'jul', 'ago', 'sep', 'sept', 'set', 'oct', 'out', 'nov', 'dic', 'dez', 'jan', 'fev', 'apr', 'aug', 'dec',
  ],
  // Most texts name no month: then the walk over their words below is skipped.
  { presence: true },
);
const LINKS = new Set(['de', 'del', 'of']);
const ORDINAL = new Set(['st', 'nd', 'rd', 'th', 'o', 'a']);
const DOB_WINDOW_TOKENS = 8;
const DOB_WINDOW_CHARS = 80;

function plausibleYear(y: string): boolean {
  if (y.length === 2) return true;
  const n = Number(y);
  return y.length === 4 && n >= 1900 && n <= 2030;
}

/** Day token: 1-2 digits (1..31), or an ordinal such as `3rd`. */
function isDay(w: string): boolean {
  let k = 0;
  while (k < w.length && isDigitCode(w.charCodeAt(k))) k++;
  if (k === 0 || k > 2) return false;
  const day = Number(w.slice(0, k));
  if (day < 1 || day > 31) return false;
  return k === w.length || ORDINAL.has(w.slice(k));
}

function isYearToken(s: ScanText, t: number): boolean {
  if (t >= s.tokenCount || (s.tokFlags[t] as number) & TOK_LETTER) return false;
  return plausibleYear(tokenText(s, t)) && (s.tokEnd[t] as number) - (s.tokStart[t] as number) === 4;
}

function numericDate(ch: Chunk): number {
  // Returns the index of the last group of a d/m/y (or y-m-d) date starting at group 0, or -1.
  if (ch.groups.length < 3 || ch.gluedRight) return -1;
  const [a, b, c] = ch.groups as [string, string, string];
  const s1 = ch.seps[1] as string;
  const s2 = ch.seps[2] as string;
  if (s1 !== s2 || !(s1 === '/' || s1 === '-' || s1 === '.')) return -1;
  if (a.length === 4) {
    const m = Number(b);
    const d = Number(c);
    return plausibleYear(a) && m >= 1 && m <= 12 && d >= 1 && d <= 31 && b.length <= 2 && c.length <= 2 ? 2 : -1;
  }
  if (a.length > 2 || b.length > 2 || !(c.length === 2 || c.length === 4)) return -1;
  const x = Number(a);
  const y = Number(b);
  const dayMonth = x >= 1 && x <= 31 && y >= 1 && y <= 12;
  const monthDay = x >= 1 && x <= 12 && y >= 1 && y <= 31;
  return (dayMonth || monthDay) && plausibleYear(c) ? 2 : -1;
}

export function detectDatesOfBirth(ctx: DetectContext): void {
  const { s } = ctx;
  const cues = DOB_CUES[ctx.lang];
  for (const ch of ctx.chunks) {
    const last = numericDate(ch);
    if (last < 0) continue;
    if (cueBefore(s, ch.start, cues, DOB_WINDOW_TOKENS, DOB_WINDOW_CHARS)) emit(ctx, 'DATE_OF_BIRTH', ch.start, ch.groupEnd[last] as number, 0.9, 'dob:numeric+context');
  }
  if (MONTHS.occursIn(s)) detectWrittenDates(ctx, cues);
}

/** D [de|of] MONTH [de|del|,] YYYY and MONTH D, YYYY, after a birth context word. */
function detectWrittenDates(ctx: DetectContext, cues: WordSet): void {
  const { s } = ctx;
  for (let t = 0; t < s.tokenCount; t++) {
    const flags = s.tokFlags[t] as number;
    if (flags & TOK_DIGIT || !(flags & TOK_LETTER)) continue;
    if (!MONTHS.hasToken(s, t)) continue;
    let first = -1;
    let lastTok = -1;
    // D [de|of] MONTH [de|del|,] YYYY
    if (t >= 1 && isDay(tokenText(s, t - 1))) first = t - 1;
    else if (t >= 2 && LINKS.has(tokenText(s, t - 1)) && isDay(tokenText(s, t - 2))) first = t - 2;
    if (first >= 0) {
      if (isYearToken(s, t + 1)) lastTok = t + 1;
      else if (t + 2 < s.tokenCount && LINKS.has(tokenText(s, t + 1)) && isYearToken(s, t + 2)) lastTok = t + 2;
    } else if (t + 2 < s.tokenCount && isDay(tokenText(s, t + 1)) && isYearToken(s, t + 2)) {
      // MONTH D, YYYY
      first = t;
      lastTok = t + 2;
    }
    if (first < 0 || lastTok < 0) continue;
    const start = s.tokStart[first] as number;
    if (cueBefore(s, start, cues, DOB_WINDOW_TOKENS, DOB_WINDOW_CHARS)) emit(ctx, 'DATE_OF_BIRTH', start, s.tokEnd[lastTok] as number, 0.9, 'dob:written+context');
    t = lastTok;
  }
}
