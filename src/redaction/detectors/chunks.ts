/**
 * Number chunks: the candidates every numeric detector (cards, ids, phones, dates, IPv4) looks at.
 *
 * A chunk is a maximal run of digit groups joined by short separators (1 to 3 characters among
 * space, `-`, `.`, `/`, `(`, `)`), that does not touch a letter or digit on its left (so `AB1234`
 * and `v2` are not chunks: product codes and versions). After the last group the scanner notes a
 * single trailing letter (`12345678Z`, `12.345.678-K`) and whether the chunk is glued to a word on
 * its right (`123abc`). One left-to-right pass; each character is looked at a bounded number of
 * times.
 */
import type { Language, Span } from '../types.js';
import type { ScanText } from '../text.js';
import { isAlnumCode, isDigitCode, TOK_DIGIT } from '../text.js';

export interface Chunk {
  /** Offset of the first digit (a leading `+` or `(` is in `prefixStart`). */
  readonly start: number;
  readonly end: number;
  /** Offset of a leading `+` or `(`; equals start when there is none. */
  readonly prefixStart: number;
  readonly plus: boolean;
  readonly groupStart: number[];
  readonly groupEnd: number[];
  /** Digits of each group. */
  readonly groups: string[];
  /** Separator text between group k-1 and k (index 0 is ''). */
  readonly seps: string[];
  /** A single letter after the last group (folded), with its end offset; null if none. */
  readonly suffix: { letter: string; end: number; spaced: boolean } | null;
  /** The chunk continues a code on its left (`PED-2024-...`, `A/123`): not a number of its own. */
  readonly gluedLeft: boolean;
  /** The last group runs straight into letters (`123abc`): not a number of its own. */
  readonly gluedRight: boolean;
}

export interface DetectContext {
  readonly s: ScanText;
  readonly lang: Language;
  readonly chunks: readonly Chunk[];
  readonly out: Span[];
}

function isSepCode(c: number): boolean {
  return c === 32 || c === 45 || c === 46 || c === 47 || c === 40 || c === 41;
}

/**
 * Whether the digits at `i` are a single group of at most two digits: not followed by a
 * separator and a digit (the test the group loop in scanChunks makes).
 */
function loneShortNumber(codes: Uint16Array, i: number): boolean {
  const n = codes.length;
  let j = i;
  while (j < n && isDigitCode(codes[j] as number)) j++;
  if (j - i > 2) return false;
  let k = j;
  while (k < n && k - j < 3 && isSepCode(codes[k] as number)) k++;
  const sentenceBreak = k - j >= 2 && codes[j] === 46 && codes[j + 1] === 32;
  return !(k > j && k < n && isDigitCode(codes[k] as number) && !sentenceBreak);
}

const scratchStart: number[] = [];
const scratchEnd: number[] = [];
const scratchGroups: string[] = [];
/** Index 0 stays '' (no separator before the first group). */
const scratchSeps: string[] = [''];

/**
 * The first `count` elements of a scratch array, as a new array of exactly that size: written
 * out for the usual one to four groups (an array literal is allocated inline; slice is a call
 * into the runtime that cost a quarter of scanChunks).
 */
function take<T>(scratch: readonly T[], count: number): T[] {
  switch (count) {
    case 1:
      return [scratch[0] as T];
    case 2:
      return [scratch[0] as T, scratch[1] as T];
    case 3:
      return [scratch[0] as T, scratch[1] as T, scratch[2] as T];
    case 4:
      return [scratch[0] as T, scratch[1] as T, scratch[2] as T, scratch[3] as T];
    default:
      return scratch.slice(0, count);
  }
}

export function scanChunks(s: ScanText): Chunk[] {
  const codes = s.codes;
  const n = codes.length;
  const chunks: Chunk[] = [];
  // A chunk starts on a digit with no letter or digit before it: the start of a token whose
  // first code unit is a digit (the token classes and isAlnumCode on folded code units agree for
  // every code unit), so the tokens are walked instead of every code unit.
  let i = 0;
  for (let t = 0; t < s.tokenCount; t++) {
    // Most tokens are words: their flags say so without reading the text.
    if (((s.tokFlags[t] as number) & TOK_DIGIT) === 0) continue;
    const ts = s.tokStart[t] as number;
    if (ts < i || !isDigitCode(codes[ts] as number)) continue;
    i = ts;
    if (loneShortNumber(codes, i)) {
      // One or two digits standing alone (an hour, a day, a floor): no detector looks at such a
      // chunk, and texts are full of them; skip it as the loop below would, without building it.
      let end = i;
      while (end < n && isDigitCode(codes[end] as number)) end++;
      while (end < n && isAlnumCode(codes[end] as number)) end++;
      i = end;
      continue;
    }
    const start = i;
    let prefixStart = start;
    let plus = false;
    if (start > 0 && codes[start - 1] === 40) prefixStart = start - 1;
    if (prefixStart > 0 && codes[prefixStart - 1] === 43) {
      plus = true;
      prefixStart--;
    } else if (prefixStart > 1 && codes[prefixStart - 1] === 32 && codes[prefixStart - 2] === 43) {
      plus = true;
      prefixStart -= 2;
    }
    // Groups are collected in scratch arrays and copied out at their exact size: arrays grown by
    // push from empty reserve room for 17 elements, and a chunk has one to four groups.
    let count = 0;
    let j = i;
    for (;;) {
      const gs = j;
      while (j < n && isDigitCode(codes[j] as number)) j++;
      scratchStart[count] = gs;
      scratchEnd[count] = j;
      scratchGroups[count] = s.folded.slice(gs, j);
      count++;
      // Look for a separator of 1..3 characters followed by a digit.
      let k = j;
      while (k < n && k - j < 3 && isSepCode(codes[k] as number)) k++;
      // ". " and ", " end a sentence or a list item: "CVV 598. 4022..." is two numbers.
      const sentenceBreak = k - j >= 2 && codes[j] === 46 && codes[j + 1] === 32;
      if (k > j && k < n && isDigitCode(codes[k] as number) && !sentenceBreak) {
        scratchSeps[count] = s.folded.slice(j, k);
        j = k;
        continue;
      }
      break;
    }
    const groupStart = take(scratchStart, count);
    const groupEnd = take(scratchEnd, count);
    const groups = take(scratchGroups, count);
    const seps = take(scratchSeps, count);
    let end = j;
    let suffix: { letter: string; end: number; spaced: boolean } | null = null;
    let gluedRight = false;
    if (j < n && isAlnumCode(codes[j] as number)) {
      // Letter straight after digits: a single letter is a check letter (DNI, RUT K); more is a code.
      if (j + 1 >= n || !isAlnumCode(codes[j + 1] as number)) suffix = { letter: s.folded[j] as string, end: j + 1, spaced: false };
      else gluedRight = true;
    } else if (j + 1 < n && (codes[j] === 45 || codes[j] === 32) && isAlnumCode(codes[j + 1] as number) && !isDigitCode(codes[j + 1] as number)) {
      if (j + 2 >= n || !isAlnumCode(codes[j + 2] as number)) suffix = { letter: s.folded[j + 1] as string, end: j + 2, spaced: codes[j] === 32 };
    }
    const left = start > 0 ? (codes[start - 1] as number) : 32;
    const gluedLeft = (left === 45 || left === 47 || left === 95) && start > 1 && isAlnumCode(codes[start - 2] as number);
    chunks.push({ start, end, prefixStart, plus, groupStart, groupEnd, groups, seps, suffix, gluedRight, gluedLeft });
    // Skip past the chunk (and anything glued to it) so its inner digits never start a chunk.
    end = j;
    while (end < n && isAlnumCode(codes[end] as number)) end++;
    i = end;
  }
  return chunks;
}

/** Whether groups from..end hold at least `min` digits; stops counting there (O(min), not O(groups)). */
export function hasDigits(ch: Chunk, from: number, min: number): boolean {
  let total = 0;
  for (let g = from; g < ch.groups.length; g++) {
    total += (ch.groups[g] as string).length;
    if (total >= min) return true;
  }
  return false;
}

export function digitCount(ch: Chunk, from: number, to: number): number {
  let total = 0;
  for (let g = from; g <= to; g++) total += (ch.groups[g] as string).length;
  return total;
}

export function joinGroups(ch: Chunk, from: number, to: number): string {
  let out = '';
  for (let g = from; g <= to; g++) out += ch.groups[g] as string;
  return out;
}

/** Whether every separator inside groups [from..to] is one of `allowed` (exact strings). */
export function sepsIn(ch: Chunk, from: number, to: number, allowed: readonly string[]): boolean {
  for (let g = from + 1; g <= to; g++) if (!allowed.includes(ch.seps[g] as string)) return false;
  return true;
}

/** Group lengths of [from..to] as a dash-joined key, e.g. `3-3-3-2`. */
export function shape(ch: Chunk, from: number, to: number): string {
  let out = '';
  for (let g = from; g <= to; g++) out += (g === from ? '' : '-') + (ch.groups[g] as string).length;
  return out;
}

/**
 * Longest text between two digit groups that can still be one line break: trailing blanks, CR LF,
 * indentation and a few levels of e-mail quoting (`> > `). Anything longer is layout (a table
 * column, a form), not a wrapped line.
 */
export const MAX_LINE_BREAK_GAP = 16;

/** Skips e-mail quote markers (`>`, `>>`, `> > `) and the blanks after them, from `i`. */
function skipQuotePrefix(codes: Uint16Array, i: number, to: number): number {
  while (i < to && codes[i] === 62) {
    i++;
    while (i < to && codes[i] === 32) i++;
  }
  return i;
}

/**
 * Whether codes[from, to) is exactly one line break: blanks, an optional CR, one LF, then blanks
 * and an optional quote prefix (`> `, `>> `) on the new line. Two LFs (a paragraph break, quoted or
 * not) never are. Tabs and every other blank are folded to U+0020 (text.ts), U+2028 and NEL to LF.
 */
export function isLineBreakGap(codes: Uint16Array, from: number, to: number): boolean {
  return to - from <= MAX_LINE_BREAK_GAP && afterLineBreak(codes, from) === to;
}

/** Where the text after a line break that starts at `from` begins (see isLineBreakGap), or -1. */
export function afterLineBreak(codes: Uint16Array, from: number): number {
  const to = Math.min(codes.length, from + MAX_LINE_BREAK_GAP);
  let i = from;
  while (i < to && codes[i] === 32) i++;
  if (i < to && codes[i] === 13) i++;
  if (i >= to || codes[i] !== 10) return -1;
  i++;
  while (i < to && codes[i] === 32) i++;
  i = skipQuotePrefix(codes, i, to);
  // Stopped by the bound on a blank or a `>`: the gap is longer than a line break, and what is
  // returned is not the start of a number, which is what callers look for.
  return i < codes.length ? i : -1;
}

/**
 * Whether nothing but blanks and an e-mail quote prefix stands between the start of the line and
 * `pos`: a number there opens its line (a list item, a form value), it is not the end of a
 * sentence that a wrapper cut. More than {@link MAX_LINE_BREAK_GAP} blanks and markers count as
 * opening the line too: that much white space is layout (columns, indentation), not prose.
 */
export function opensLine(codes: Uint16Array, pos: number): boolean {
  const limit = Math.max(0, pos - MAX_LINE_BREAK_GAP);
  let i = pos;
  while (i > limit && (codes[i - 1] === 32 || codes[i - 1] === 62)) i--;
  if (i === 0 || i === limit) return true;
  const c = codes[i - 1] as number;
  return c === 10 || c === 13;
}

export function emit(ctx: DetectContext, type: Span['type'], start: number, end: number, confidence: number, rule: string): void {
  ctx.out.push({ type, start, end, confidence, rule });
}
