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

// scanText's loop spells these bits as literals (see there): change them together.
export const CLS_DIGIT = 1;
export const CLS_LETTER = 2;
export const CLS_SPACE = 4;
export const CLS_UPPER = 8;
/** ñ ¿ ¡ and their C1 look-alikes (see language.ts), counted by scanText for language detection. */
export const CLS_SPANISH = 16;
/** ã õ ç, counted likewise. */
export const CLS_PORTUGUESE = 32;
const CLS_MARKS = CLS_SPANISH | CLS_PORTUGUESE;
/** A letter that is not upper case (scanText tells all-caps tokens by the lack of one). */
const CLS_LOWER = 64;

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
for (let c = 0; c < 65536; c++) if (((CLS[c] as number) & (CLS_LETTER | CLS_UPPER)) === CLS_LETTER) CLS[c] = (CLS[c] as number) | CLS_LOWER;
for (const c of [0xf1, 0xd1, 0xbf, 0x9f, 0xa1, 0x81]) CLS[c] = (CLS[c] as number) | CLS_SPANISH;
for (const c of [0xe3, 0xc3, 0xf5, 0xd5, 0xe7, 0xc7]) CLS[c] = (CLS[c] as number) | CLS_PORTUGUESE;

// Spelled as literals in scanText's loop too. TOK_DIGIT and TOK_LETTER equal CLS_DIGIT and
// CLS_LETTER: scanText copies those two bits from the classes.
export const TOK_DIGIT = 1;
export const TOK_LETTER = 2;
/** The token's first code unit is an upper-case letter in the original text. */
export const TOK_CAPITAL = 4;
/** Every letter of the token is upper case in the original text. */
export const TOK_ALL_CAPS = 8;

/**
 * scanText counts the letters that tell Spanish from Portuguese (see language.ts) in this many
 * code units at the start of the text.
 */
export const LANGUAGE_SAMPLE = 4000;

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
  /** {@link wordHash} of each token's folded text. */
  readonly tokHash: Int32Array;
  /** Each token's number in the vocabulary of all WordSets (0: in none); see {@link WordSet}. */
  readonly tokWord: Int32Array;
  /** The vocabulary version tokWord was computed with. */
  readonly vocabulary: number;
  /** The presence bits ({@link WordSet.occursIn}) of every word of the text, or-ed together. */
  readonly present: number;
  /** ñ ¿ ¡ (Spanish) and ã õ ç (Portuguese), either case, in the first {@link LANGUAGE_SAMPLE} code units. */
  readonly spanishMarks: number;
  readonly portugueseMarks: number;
  /** Folded token texts, sliced on first use and kept: detectors look at the same words. */
  readonly words: (string | undefined)[];
}

/** FNV-1a's offset basis (as a signed 32-bit integer) and prime; literals in scanText's loop. */
const HASH_SEED = 0x811c9dc5 | 0;
const HASH_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units; scanText computes the same for every token as it goes. */
export function wordHash(word: string): number {
  let h = HASH_SEED;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), HASH_PRIME);
  return h;
}

/**
 * Open addressing on {@link wordHash} over distinct words; a hit is confirmed code unit by code
 * unit, so the answer is exactly that of a Set of the same words. Slots and words live in typed
 * arrays (a slot's hash next to its word number, the words' code units end to end): scanText
 * probes this for most words of every text, and a probe then touches no string objects.
 */
class WordTable {
  readonly words: readonly string[];
  /** Per slot, two entries: the word's hash, then its index into `words` (-1 when empty). */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Word k's code units are chars[charStart[k], charStart[k + 1]). */
  private readonly chars: Uint16Array;
  private readonly charStart: Int32Array;
  /** Bit k set when some word has k code units (31 stands for 31 or more). */
  private readonly lengths: number;

  constructor(words: readonly string[]) {
    this.words = words;
    // A quarter full at most: most questions are about words not in the table, and with linear
    // probing a miss costs more the fuller the table is.
    let cap = 16;
    while (cap < words.length * 4) cap *= 2;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap * 2);
    for (let i = 0; i < cap; i++) this.slots[2 * i + 1] = -1;
    this.charStart = new Int32Array(words.length + 1);
    let total = 0;
    for (let k = 0; k < words.length; k++) {
      this.charStart[k] = total;
      total += (words[k] as string).length;
    }
    this.charStart[words.length] = total;
    this.chars = new Uint16Array(total);
    let lengths = 0;
    for (let k = 0; k < words.length; k++) {
      const w = words[k] as string;
      for (let j = 0; j < w.length; j++) this.chars[(this.charStart[k] as number) + j] = w.charCodeAt(j);
      const h = wordHash(w);
      lengths |= 1 << Math.min(w.length, 31);
      let i = slotOf(h) & this.mask;
      while (this.slots[2 * i + 1] !== -1) i = (i + 1) & this.mask;
      this.slots[2 * i] = h;
      this.slots[2 * i + 1] = k;
    }
    this.lengths = lengths;
  }

  indexOf(word: string): number {
    if (((this.lengths >>> Math.min(word.length, 31)) & 1) === 0) return -1;
    const h = wordHash(word);
    for (let i = slotOf(h) & this.mask; ; i = (i + 1) & this.mask) {
      const k = this.slots[2 * i + 1] as number;
      if (k < 0) return -1;
      if (this.slots[2 * i] === h && this.words[k] === word) return k;
    }
  }

  /** indexOf the `len` code units of `codes` at `start`, whose wordHash is `h`. */
  indexOfCodes(codes: Uint16Array, start: number, len: number, h: number): number {
    if (((this.lengths >>> Math.min(len, 31)) & 1) === 0) return -1;
    const mask = this.mask;
    const slots = this.slots;
    const chars = this.chars;
    const charStart = this.charStart;
    for (let i = slotOf(h) & mask; ; i = (i + 1) & mask) {
      const k = slots[2 * i + 1] as number;
      if (k < 0) return -1;
      if (slots[2 * i] !== h) continue;
      const from = charStart[k] as number;
      if ((charStart[k + 1] as number) - from !== len) continue;
      let j = 0;
      while (j < len && chars[from + j] === codes[start + j]) j++;
      if (j === len) return k;
    }
  }
}

/** FNV's low bits alone spread short words poorly over a small table. */
function slotOf(h: number): number {
  return h ^ (h >>> 16);
}

/**
 * The words of every WordSet, numbered from 1 (0 is "no word"). scanText looks each token up
 * here once; a WordSet then answers hasToken with one array read. Detectors ask up to eight sets
 * about nearly every word, and one hash probe per set per word was most of their cost.
 *
 * Only fixed word lists (cue words, the name gazetteer, month names) are ever added, never text
 * being scanned, and WordSets are module-level constants: the vocabulary is built at start-up.
 */
const vocabulary = {
  numbers: new Map<string, number>(),
  words: [''] as string[],
  sets: [] as WordSet[],
  /** Bumped whenever a WordSet is created; scans carry the version they were made with. */
  version: 0,
  /** The version `table`, `presence` and the sets' positions were last built for. */
  built: -1,
  table: new WordTable(['']),
  /** Per word number: the presence bits of the sets that hold the word. */
  presence: new Int32Array(1),
  /** Whether some word is made of digits only: otherwise digit tokens are not looked up. */
  digitWords: false,
  presenceBitsUsed: 0,
};

function wordNumber(word: string): number {
  let k = vocabulary.numbers.get(word);
  if (k === undefined) {
    k = vocabulary.words.length;
    vocabulary.words.push(word);
    vocabulary.numbers.set(word, k);
  }
  return k;
}

/** Rebuilds the lookup table and every set's positions after WordSets were created. */
function buildVocabulary(): void {
  const words = vocabulary.words;
  vocabulary.table = new WordTable(words);
  vocabulary.presence = new Int32Array(words.length);
  vocabulary.digitWords = words.some((w) => w.length > 0 && [...w].every((c) => c >= '0' && c <= '9'));
  for (const set of vocabulary.sets) set.placeInVocabulary(words.length, vocabulary.presence);
  vocabulary.built = vocabulary.version;
}

export interface WordSetOptions {
  /**
   * Give the set a presence bit, so {@link WordSet.occursIn} answers without walking the tokens:
   * for sets whose words most texts lack (month names), asked about before a walk over every token.
   */
  presence?: boolean;
}

/** At most this many sets get a presence bit (ScanText.present is one 32-bit integer). */
const MAX_PRESENCE_BITS = 31;

/**
 * A set of folded words that can be asked about a token of a scan without slicing the token out
 * of the text. Every set's words are also in the shared vocabulary (see above), so for a scan
 * made with the current vocabulary hasToken is one array read; for a scan made before this set
 * existed it probes the set's own table. Either way the answer is exactly that of a Set of the
 * same words, asked about the token's folded text.
 */
export class WordSet {
  readonly size: number;
  // Plain (not #private) fields: this is the hottest lookup in detect(), and V8 loads these faster.
  private readonly table: WordTable;
  /** This set's words by vocabulary number. */
  private readonly numbers: readonly number[];
  /** Per vocabulary number: the word's index among this set's words, or -1. */
  private position: Int32Array;
  /** The presence bit, or 0. */
  private readonly bit: number;

  constructor(words: Iterable<string>, options: WordSetOptions = {}) {
    const distinct = [...new Set(words)];
    this.table = new WordTable(distinct);
    this.size = distinct.length;
    // The empty string is never a token: it stays out of the vocabulary (0 means "no word").
    this.numbers = distinct.map((w) => (w.length === 0 ? 0 : wordNumber(w)));
    this.position = new Int32Array(1).fill(-1);
    if (options.presence === true) {
      if (vocabulary.presenceBitsUsed >= MAX_PRESENCE_BITS) throw new RangeError('WordSet: no presence bit left');
      this.bit = 1 << vocabulary.presenceBitsUsed++;
    } else this.bit = 0;
    vocabulary.sets.push(this);
    vocabulary.version++;
  }

  /** Called by buildVocabulary: sizes `position` for `count` word numbers, adds the presence bit. */
  placeInVocabulary(count: number, presence: Int32Array): void {
    const position = new Int32Array(count).fill(-1);
    for (let k = 0; k < this.numbers.length; k++) {
      const n = this.numbers[k] as number;
      if (n === 0) continue;
      position[n] = k;
      presence[n] = (presence[n] as number) | this.bit;
    }
    this.position = position;
  }

  has(word: string): boolean {
    return this.table.indexOf(word) >= 0;
  }

  /** Whether token t of `s` (its folded text) is in the set; the same as has(tokenText(s, t)). */
  hasToken(s: ScanText, t: number): boolean {
    return this.tokenIndex(s, t) >= 0;
  }

  /** Position of token t's folded text among the words given (duplicates dropped), or -1. */
  tokenIndex(s: ScanText, t: number): number {
    if (s.vocabulary === vocabulary.version) return this.position[s.tokWord[t] as number] as number;
    return this.table.indexOfCodes(s.codes, s.tokStart[t] as number, (s.tokEnd[t] as number) - (s.tokStart[t] as number), s.tokHash[t] as number);
  }

  /** Whether some token of `s` is in the set (false at once when its presence bit says so). */
  occursIn(s: ScanText): boolean {
    if (this.bit !== 0 && s.vocabulary === vocabulary.version && (s.present & this.bit) === 0) return false;
    for (let t = 0; t < s.tokenCount; t++) if (this.tokenIndex(s, t) >= 0) return true;
    return false;
  }
}

/**
 * Texts up to this many code units are scanned into buffers kept between calls. A typed array
 * costs a backing-store allocation (about a microsecond, plus its finaliser in the next GC),
 * which for a chat message is more than the scan itself; longer texts get fresh arrays, so a
 * one-off huge input does not pin its memory.
 */
const POOLED_MAX = 1 << 16;
let poolCodes = new Uint16Array(1024);
/** poolCodes' bytes as a Buffer, made once per pool rather than once per scan. */
let poolBytes = Buffer.from(poolCodes.buffer);
let poolStart = new Int32Array(513);
let poolEnd = new Int32Array(513);
let poolFlags = new Uint8Array(513);
let poolHash = new Int32Array(513);
let poolWord = new Int32Array(513);

/**
 * Zeroes what a pooled scan kept of its text (code units, word hashes, vocabulary numbers): a
 * message must not stay readable in a module-level buffer until the next call (detect() calls
 * this when it is done with a scan).
 */
export function releaseScan(s: ScanText): void {
  if (s.codes.buffer === poolCodes.buffer) s.codes.fill(0);
  if (s.tokHash.buffer === poolHash.buffer) {
    s.tokHash.fill(0);
    s.tokWord.fill(0);
  }
}

/**
 * What one code unit adds to scanText's count of language marks: 1 for a Spanish one, 1 << 16
 * for a Portuguese one. Both counts fit: only texts of at most LANGUAGE_SAMPLE code units keep
 * the count made while scanning.
 */
function markCount(cls: number): number {
  return (cls & CLS_MARKS) === 0 ? 0 : cls & CLS_SPANISH ? 1 : 0x10000;
}

/**
 * Scans `text` once (see the module comment). For texts up to {@link POOLED_MAX} code units the
 * arrays of the result are views of buffers that the next call reuses: a ScanText is only valid
 * until scanText is called again. detect() holds one at a time and none outlives the call.
 */
export function scanText(text: string): ScanText {
  if (vocabulary.built !== vocabulary.version) buildVocabulary();
  const n = text.length;
  // A token takes at least one code unit and is followed by a separator: at most ceil(n / 2).
  const maxTokens = (n + 1) >>> 1;
  let codesBuf: Uint16Array;
  let startBuf: Int32Array;
  let endBuf: Int32Array;
  let flagsBuf: Uint8Array;
  let hashBuf: Int32Array;
  let wordBuf: Int32Array;
  if (n <= POOLED_MAX) {
    if (poolCodes.length < n) {
      poolCodes = new Uint16Array(Math.min(POOLED_MAX, Math.max(n, poolCodes.length * 2)));
      poolBytes = Buffer.from(poolCodes.buffer);
    }
    if (poolStart.length < maxTokens + 1) {
      const cap = Math.min((POOLED_MAX >>> 1) + 1, Math.max(maxTokens + 1, poolStart.length * 2));
      poolStart = new Int32Array(cap);
      poolEnd = new Int32Array(cap);
      poolFlags = new Uint8Array(cap);
      poolHash = new Int32Array(cap);
      poolWord = new Int32Array(cap);
    }
    codesBuf = poolCodes;
    startBuf = poolStart;
    endBuf = poolEnd;
    flagsBuf = poolFlags;
    hashBuf = poolHash;
    wordBuf = poolWord;
  } else {
    codesBuf = new Uint16Array(n);
    startBuf = new Int32Array(maxTokens + 1);
    endBuf = new Int32Array(maxTokens + 1);
    flagsBuf = new Uint8Array(maxTokens + 1);
    hashBuf = new Int32Array(maxTokens + 1);
    wordBuf = new Int32Array(maxTokens + 1);
  }
  const table = vocabulary.table;
  const presence = vocabulary.presence;
  const fold = FOLD;
  const classOf = CLS;
  // Tokens made of digits only are in no set unless the vocabulary has such a word.
  const lookUpMask = vocabulary.digitWords ? TOK_DIGIT | TOK_LETTER : TOK_LETTER;
  let present = 0;
  // Spanish marks in the low 16 bits, Portuguese ones above (see markCount).
  let marks = 0;
  let count = 0;
  // The token being read: 0 between tokens, else the or of its code units' classes and 256.
  let acc = 0;
  let first = 0;
  let start = 0;
  let hash = 0;
  // One flat loop, whose only branch inside a token is "letter or digit?"; position n reads as a
  // separator, so the last token ends like any other. The class bits, token flags and FNV
  // constants are literals: a module-level constant here is a load and a hole check per code unit
  // (tsc does not inline const enums under isolatedModules). With the loop it replaced (an inner
  // loop per token, a branch per class bit) and with named constants, scanText took 10.0 ns a code
  // unit over the evaluation corpus; now 8.0. Cls: 1 digit, 2 letter, 8 upper, 16 Spanish mark,
  // 32 Portuguese mark, 64 lower-case letter. Tok: 1 digit, 2 letter, 4 capital, 8 all caps.
  for (let i = 0; i <= n; i++) {
    let cls = 0;
    let f = 0;
    // Tested, not read out of bounds: V8's charCodeAt past the end takes a slow path that made
    // the whole loop two to three times slower.
    if (i < n) {
      const c = text.charCodeAt(i);
      f = fold[c] as number;
      codesBuf[i] = f;
      cls = classOf[c] as number;
      // markCount without its branches: 1 per Spanish mark, 1 << 16 per Portuguese one.
      marks += ((cls & 16) >>> 4) + ((cls & 32) << 11);
    }
    if ((cls & 3) !== 0) {
      if (acc === 0) {
        start = i;
        first = cls;
        hash = -2128831035;
      }
      acc |= cls | 256;
      hash = Math.imul(hash ^ f, 16777619);
    } else if (acc !== 0) {
      const flags = (acc & 3) | (first & 8 ? 4 : 0) | ((acc & 66) === 2 ? 8 : 0);
      startBuf[count] = start;
      endBuf[count] = i;
      flagsBuf[count] = flags;
      hashBuf[count] = hash;
      const k = flags & lookUpMask ? table.indexOfCodes(codesBuf, start, i - start, hash) : -1;
      if (k > 0) {
        wordBuf[count] = k;
        present |= presence[k] as number;
      } else wordBuf[count] = 0;
      count++;
      acc = 0;
    }
  }
  if (n > LANGUAGE_SAMPLE) {
    // Counted over the whole text above (one test fewer per code unit); only the sample counts.
    marks = 0;
    for (let j = 0; j < LANGUAGE_SAMPLE; j++) marks += markCount(CLS[text.charCodeAt(j)] as number);
  }
  const spanishMarks = marks & 0xffff;
  const portugueseMarks = marks >>> 16;
  // The slot after the last token reads as zero, as it did when every scan had fresh arrays.
  startBuf[count] = 0;
  endBuf[count] = 0;
  flagsBuf[count] = 0;
  hashBuf[count] = 0;
  wordBuf[count] = 0;
  const codes = codesBuf.length === n ? codesBuf : codesBuf.subarray(0, n);
  // Buffer's UTF-16 decoding costs half of TextDecoder's; it keeps a lone surrogate as it is
  // where TextDecoder wrote U+FFFD, and no detector reads either (they are not letters, digits,
  // spaces or separators).
  const bytes = codesBuf === poolCodes ? poolBytes : Buffer.from(codes.buffer, codes.byteOffset, n * 2);
  const folded = n === 0 ? '' : bytes.toString('utf16le', 0, n * 2);
  return {
    text,
    folded,
    codes,
    tokenCount: count,
    tokStart: startBuf.subarray(0, count + 1),
    tokEnd: endBuf.subarray(0, count + 1),
    tokFlags: flagsBuf.subarray(0, count + 1),
    tokHash: hashBuf.subarray(0, count + 1),
    tokWord: wordBuf.subarray(0, count + 1),
    vocabulary: vocabulary.version,
    present,
    spanishMarks,
    portugueseMarks,
    words: new Array<string | undefined>(count),
  };
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

/** Whether the folded text of token t is `word`; the same as tokenText(s, t) === word. */
export function tokenIs(s: ScanText, t: number, word: string): boolean {
  return textIs(s, s.tokStart[t] as number, s.tokEnd[t] as number, word);
}

/** Whether the folded text between tokens t and t + 1 is `gap`, without slicing it out. */
export function gapIs(s: ScanText, t: number, gap: string): boolean {
  return textIs(s, s.tokEnd[t] as number, s.tokStart[t + 1] as number, gap);
}

function textIs(s: ScanText, from: number, to: number, str: string): boolean {
  if (to - from !== str.length) return false;
  for (let i = 0; i < str.length; i++) if (s.codes[from + i] !== str.charCodeAt(i)) return false;
  return true;
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
export function cueBefore(s: ScanText, pos: number, cues: WordSet, maxTokens = 6, maxChars = 80): boolean {
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
    if (cues.hasToken(s, t)) return true;
    right = s.tokStart[t] as number;
  }
  return false;
}

/** Like {@link cueBefore}, looking at the tokens that start at or after `pos`. */
export function cueAfter(s: ScanText, pos: number, cues: WordSet, maxTokens = 3, maxChars = 40): boolean {
  let t = tokenAtOrAfter(s, pos);
  const limit = pos + maxChars;
  let left = pos;
  for (let k = 0; k < maxTokens && t < s.tokenCount; k++, t++) {
    if ((s.tokStart[t] as number) > limit) return false;
    if (sentenceBreak(s, t - 1, left, s.tokStart[t] as number)) return false;
    if (cues.hasToken(s, t)) return true;
    left = s.tokEnd[t] as number;
  }
  return false;
}
