/**
 * src/redaction/text.ts answers two questions from its one scan that used to be asked separately
 * of the text: whether a word is in a WordSet (through the shared vocabulary the scan looks every
 * word up in) and how many ñ ¿ ¡ / ã õ ç the text opens with (for language detection, once a
 * regular expression over the first 4,000 characters). Both are cross-checked here against the
 * plain definitions on generated texts, so a change to the scan that alters an answer fails here.
 */
import { describe, expect, it } from 'vitest';
import { generateCorpus } from '../../src/redaction/eval/corpus.js';
import { CLS, CLS_DIGIT, CLS_LETTER, CLS_UPPER, FOLD, LANGUAGE_SAMPLE, releaseScan, scanText, TOK_ALL_CAPS, TOK_CAPITAL, TOK_DIGIT, TOK_LETTER, tokenText, wordHash, WordSet } from '../../src/redaction/text.js';
import { seededRandom } from '../../src/platform/seeded-random.js';

const random = seededRandom(20261124);

/** Texts of the evaluation corpus, and random strings of letters, marks, digits and separators. */
function texts(): string[] {
  const out = generateCorpus({ seed: 7, perLanguage: 40, split: 'dev' }).map((s) => s.text);
  const alphabet = ['a', 'b', 'D', 'É', 'ñ', 'Ñ', 'ã', 'Õ', 'ç', '¿', '¡', '\u0081', '\u009f', '1', '９', ' ', '.', '-', '\ud800', 'ß', 'uno', 'de', 'the', 'Maria'];
  for (let i = 0; i < 200; i++) {
    const parts: string[] = [];
    const length = i % 10 === 0 ? 5_000 : 1 + Math.floor(random() * 60);
    for (let k = 0; k < length; k++) parts.push(alphabet[Math.floor(random() * alphabet.length)] as string);
    out.push(parts.join(''));
  }
  return out;
}

const SETS: readonly string[][] = [
  ['de', 'the', 'uno', 'maria', 'enero'],
  ['a', 'b', 'ab', 'é', 'n', 'ss', 'ß', '1', '19', '11'],
  ['cvv2', 'x', ''],
];

describe('WordSet through the shared vocabulary', () => {
  it('answers hasToken, tokenIndex and occursIn as a Set of the same words does', () => {
    const sets = SETS.map((words) => ({ words, set: new WordSet(words), plain: new Set(words.filter((w) => w !== '')) }));
    for (const text of texts()) {
      const s = scanText(text);
      for (const { words, set, plain } of sets) {
        const distinct = [...new Set(words)];
        let any = false;
        for (let t = 0; t < s.tokenCount; t++) {
          const word = tokenText(s, t);
          expect(set.hasToken(s, t), word).toBe(plain.has(word));
          expect(set.tokenIndex(s, t), word).toBe(plain.has(word) ? distinct.indexOf(word) : -1);
          any ||= plain.has(word);
        }
        expect(set.occursIn(s)).toBe(any);
      }
      releaseScan(s);
    }
  });

  it('answers for a scan made before the set existed (it then probes its own table)', () => {
    const s = scanText('Hola, me llamo Zacarías Quintanilla');
    const late = new WordSet(['zacarias', 'quintanilla'], { presence: true });
    expect([...Array(s.tokenCount).keys()].map((t) => late.hasToken(s, t))).toEqual([false, false, false, true, true]);
    expect(late.occursIn(s)).toBe(true);
    releaseScan(s);
    const next = scanText('quintanilla');
    expect(late.hasToken(next, 0)).toBe(true);
    releaseScan(next);
  });

  it('keeps no word numbers or hashes of a released scan in the pooled buffers', () => {
    const s = scanText('Me llamo María de la Cruz');
    expect(s.tokWord.some((k) => k !== 0)).toBe(true);
    releaseScan(s);
    expect(s.tokWord.every((k) => k === 0)).toBe(true);
    expect(s.tokHash.every((h) => h === 0)).toBe(true);
  });
});

describe('language marks counted by the scan', () => {
  const SPANISH = /[\u00f1\u00d1\u00bf\u009f\u00a1\u0081]/g;
  const PORTUGUESE = /[\u00e3\u00c3\u00f5\u00d5\u00e7\u00c7]/g;

  it('equal the marks a regular expression finds in the first LANGUAGE_SAMPLE code units', () => {
    for (const text of texts()) {
      const sample = text.slice(0, LANGUAGE_SAMPLE);
      const s = scanText(text);
      expect(s.spanishMarks).toBe(sample.match(SPANISH)?.length ?? 0);
      expect(s.portugueseMarks).toBe(sample.match(PORTUGUESE)?.length ?? 0);
      releaseScan(s);
    }
  });
});

describe('tokens of the scan', () => {
  /** The plain definition: maximal runs of letters and digits by CLS, their flags and hashes. */
  function plainTokens(text: string) {
    const out: { start: number; end: number; flags: number; hash: number }[] = [];
    const isWord = (c: number) => ((CLS[c] as number) & (CLS_DIGIT | CLS_LETTER)) !== 0;
    let i = 0;
    while (i < text.length) {
      if (!isWord(text.charCodeAt(i))) {
        i++;
        continue;
      }
      const start = i;
      while (i < text.length && isWord(text.charCodeAt(i))) i++;
      const units = [...Array(i - start).keys()].map((k) => text.charCodeAt(start + k));
      const letters = units.filter((c) => ((CLS[c] as number) & CLS_LETTER) !== 0);
      let flags = 0;
      if (units.some((c) => ((CLS[c] as number) & CLS_DIGIT) !== 0)) flags |= TOK_DIGIT;
      if (letters.length > 0) flags |= TOK_LETTER;
      if (((CLS[units[0] as number] as number) & CLS_UPPER) !== 0) flags |= TOK_CAPITAL;
      if (letters.length > 0 && letters.every((c) => ((CLS[c] as number) & CLS_UPPER) !== 0)) flags |= TOK_ALL_CAPS;
      const folded = String.fromCharCode(...units.map((c) => FOLD[c] as number));
      out.push({ start, end: i, flags, hash: wordHash(folded) });
    }
    return out;
  }

  it('are the maximal runs of letters and digits, with the flags and hashes of their definitions', () => {
    for (const text of [...texts(), 'ÁRBOL Árbol árBol 12ab AB12 9', 'x', 'A', '', ' Z']) {
      const s = scanText(text);
      const got = [...Array(s.tokenCount).keys()].map((t) => ({ start: s.tokStart[t], end: s.tokEnd[t], flags: s.tokFlags[t], hash: s.tokHash[t] }));
      expect(got, text.slice(0, 60)).toEqual(plainTokens(text));
      for (let i = 0; i < text.length; i++) expect(s.codes[i]).toBe(FOLD[text.charCodeAt(i)]);
      releaseScan(s);
    }
  });
});
