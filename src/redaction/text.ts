/**
 * The one pass every detector shares: a folded copy of the input (same length, so offsets in it
 * are offsets in the input) and a token index over it.
 *
 * Folding maps each UTF-16 code unit to one code unit: full-width digits and letters to ASCII,
 * every kind of space (NBSP, narrow NBSP, thin, ideographic, tab) to U+0020, dashes and minus
 * signs to `-`, Latin letters to their lower-case unaccented base (`Á` -> `a`, `ç` -> `c`). A
 * one-to-one map keeps offsets exact without an offset table; the price is that the rare letters
 * whose base is two letters (`ß`, `æ`) stay as they are, which no detector needs.
 *
 * Tokens are maximal runs of letters and digits in the folded text. Scanners walk the code array
 * and the token arrays; nothing here uses a regular expression on the input, so the cost is linear
 * in its length whatever it contains.
 */

export const CLS_DIGIT = 1;
export const CLS_LETTER = 2;
export const CLS_SPACE = 4;
export const CLS_UPPER = 8;

/** Folded code unit for every code unit. */
export const FOLD = new Uint16Array(65536);
/** Class bits (of the original code unit; CLS_UPPER is about the original's case). */
export const CLS = new Uint8Array(65536);

function buildTables(): void {
  const letter = /\p{L}/u;
  const mark = /\p{M}/gu;
  for (let c = 0; c < 65536; c++) {
    FOLD[c] = c;
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCharCode(c);
    if (c < 128) {
      if (c >= 48 && c <= 57) CLS[c] = CLS_DIGIT;
      else if (c >= 65 && c <= 90) {
        CLS[c] = CLS_LETTER | CLS_UPPER;
        FOLD[c] = c + 32;
      } else if (c >= 97 && c <= 122) CLS[c] = CLS_LETTER;
      else if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12) {
        CLS[c] = CLS_SPACE;
        if (c === 9) FOLD[c] = 32;
      }
      continue;
    }
    // Ordinal indicators and the degree sign are letters to Unicode but abbreviations to people
    // ("nº 12", "3º B"): kept as punctuation so they never glue onto a number.
    if (c === 0xaa || c === 0xba || c === 0xb0) continue;
    if (/\s/.test(ch) || c === 0x200b) {
      CLS[c] = CLS_SPACE;
      FOLD[c] = c === 0x2028 || c === 0x2029 || c === 0x85 ? 10 : 32;
      continue;
    }
    if ((c >= 0x2010 && c <= 0x2015) || c === 0x2212 || c === 0xfe63 || c === 0xff0d) {
      FOLD[c] = 45;
      continue;
    }
    const compat = c <= 0x24f || (c >= 0x1e00 && c <= 0x1eff) || (c >= 0xff00 && c <= 0xffef);
    if (compat) {
      const base = ch.normalize('NFKD').replace(mark, '').toLowerCase();
      if (base.length === 1) {
        const b = base.charCodeAt(0);
        if (b >= 48 && b <= 57) {
          CLS[c] = CLS_DIGIT;
          FOLD[c] = b;
          continue;
        }
        if (b < 128 && !(b >= 97 && b <= 122)) {
          FOLD[c] = b;
          if (b === 32) CLS[c] = CLS_SPACE;
          continue;
        }
        FOLD[c] = b;
      } else {
        const lower = ch.toLowerCase();
        if (lower.length === 1) FOLD[c] = lower.charCodeAt(0);
      }
    } else {
      const lower = ch.toLowerCase();
      if (lower.length === 1) FOLD[c] = lower.charCodeAt(0);
    }
    if (letter.test(ch)) {
      CLS[c] = CLS_LETTER | (ch !== ch.toLowerCase() ? CLS_UPPER : 0);
    }
  }
}
buildTables();

export const TOK_DIGIT = 1;
export const TOK_LETTER = 2;
/** The token's first code unit is an upper-case letter in the original text. */
export const TOK_CAPITAL = 4;
/** Every letter of the token is upper case in the original text. */
export const TOK_ALL_CAPS = 8;

/** What a scan needs to know about the input; built once per detect() call. */
export interface ScanText {
  readonly text: string;
  /** Same length as `text`; see the module comment. */
  readonly folded: string;
  readonly codes: Uint16Array;
  readonly tokenCount: number;
  readonly tokStart: Int32Array;
  readonly tokEnd: Int32Array;
  readonly tokFlags: Uint8Array;
  /** Folded token texts, sliced on first use and kept: detectors look at the same words. */
  readonly words: (string | undefined)[];
}

const decoder = new TextDecoder('utf-16le');

export function scanText(text: string): ScanText {
  const n = text.length;
  const codes = new Uint16Array(n);
  let cap = Math.max(16, n >>> 2);
  let tokStart = new Int32Array(cap);
  let tokEnd = new Int32Array(cap);
  let tokFlags = new Uint8Array(cap);
  let count = 0;
  let inTok = false;
  let flags = 0;
  let allCaps = true;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    codes[i] = FOLD[c] as number;
    const cls = CLS[c] as number;
    const alnum = cls & (CLS_DIGIT | CLS_LETTER);
    if (alnum !== 0) {
      if (!inTok) {
        if (count === cap) {
          cap *= 2;
          const s = new Int32Array(cap);
          s.set(tokStart);
          tokStart = s;
          const e = new Int32Array(cap);
          e.set(tokEnd);
          tokEnd = e;
          const f = new Uint8Array(cap);
          f.set(tokFlags);
          tokFlags = f;
        }
        tokStart[count] = i;
        inTok = true;
        flags = cls & CLS_UPPER ? TOK_CAPITAL : 0;
        allCaps = true;
      }
      if (cls & CLS_DIGIT) flags |= TOK_DIGIT;
      else {
        flags |= TOK_LETTER;
        if (!(cls & CLS_UPPER)) allCaps = false;
      }
    } else if (inTok) {
      tokEnd[count] = i;
      tokFlags[count] = flags | (allCaps && flags & TOK_LETTER ? TOK_ALL_CAPS : 0);
      count++;
      inTok = false;
    }
  }
  if (inTok) {
    tokEnd[count] = n;
    tokFlags[count] = flags | (allCaps && flags & TOK_LETTER ? TOK_ALL_CAPS : 0);
    count++;
  }
  const folded = n === 0 ? '' : decoder.decode(codes);
  return { text, folded, codes, tokenCount: count, tokStart, tokEnd, tokFlags, words: new Array<string | undefined>(count) };
}

/** Index of the first token that starts at or after `pos` (tokenCount if none). */
export function tokenAtOrAfter(s: ScanText, pos: number): number {
  let lo = 0;
  let hi = s.tokenCount;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((s.tokStart[mid] as number) < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function tokenText(s: ScanText, t: number): string {
  const w = s.words[t];
  if (w !== undefined) return w;
  // A V8 string caches its hash: keeping one string per token makes repeated Set lookups cheap.
  const fresh = s.folded.slice(s.tokStart[t], s.tokEnd[t]);
  s.words[t] = fresh;
  return fresh;
}

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isAlnumCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 0x80 && ((CLS[c] as number) & CLS_LETTER) !== 0);
}

/**
 * Whether text[from, to) (the gap after token t) ends a sentence: `!`, `?`, a line break, or a
 * `.` followed by white space, unless the dot closes a short word (an abbreviation: "Tel. 612",
 * "Sra. Pérez", "nac.").
 */
function sentenceBreak(s: ScanText, t: number, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.codes[i] as number;
    if (c === 10 || c === 33 || c === 63) return true;
    if (c === 46 && (s.codes[i + 1] === 32 || s.codes[i + 1] === 10)) {
      const short = i === from && t >= 0 && (s.tokEnd[t] as number) - (s.tokStart[t] as number) <= 4 && !((s.tokFlags[t] as number) & TOK_DIGIT);
      if (!short) return true;
    }
  }
  return false;
}

/**
 * Whether one of `cues` is among the `maxTokens` tokens that end before `pos`, no further than
 * `maxChars` back, within the same sentence. Cue sets hold folded single words (`seguridad`).
 */
export function cueBefore(s: ScanText, pos: number, cues: ReadonlySet<string>, maxTokens = 6, maxChars = 80): boolean {
  let t = tokenAtOrAfter(s, pos) - 1;
  const limit = pos - maxChars;
  let right = pos;
  for (let k = 0; k < maxTokens && t >= 0; k++, t--) {
    const end = s.tokEnd[t] as number;
    if (end > pos) {
      k--;
      continue;
    }
    if ((s.tokStart[t] as number) < limit) return false;
    if (sentenceBreak(s, t, end, right)) return false;
    if (cues.has(tokenText(s, t))) return true;
    right = s.tokStart[t] as number;
  }
  return false;
}

/** Like {@link cueBefore}, looking at the tokens that start at or after `pos`. */
export function cueAfter(s: ScanText, pos: number, cues: ReadonlySet<string>, maxTokens = 3, maxChars = 40): boolean {
  let t = tokenAtOrAfter(s, pos);
  const limit = pos + maxChars;
  let left = pos;
  for (let k = 0; k < maxTokens && t < s.tokenCount; k++, t++) {
    if ((s.tokStart[t] as number) > limit) return false;
    if (sentenceBreak(s, t - 1, left, s.tokStart[t] as number)) return false;
    if (cues.has(tokenText(s, t))) return true;
    left = s.tokEnd[t] as number;
  }
  return false;
}
