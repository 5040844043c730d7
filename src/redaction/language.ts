/**
 * Which of es, pt, en a text is written in, from function words and letters peculiar to each
 * (ñ, ¿, ¡ for Spanish; ã, õ, ç and "não", "você" for Portuguese). Looks at the first 4,000
 * characters at most, so the cost does not grow with the input. Ties and texts with no evidence
 * (digits only) fall back to `fallback` (English by default).
 */
import { LANGUAGE_SAMPLE, releaseScan, type ScanText, scanText, WordSet } from './text.js';
import type { Language } from './types.js';

const SAMPLE = LANGUAGE_SAMPLE;

const WEIGHTS: Readonly<Record<string, readonly [number, number, number]>> = {
  // weights for [es, pt, en]
  el: [2, 0, 0], los: [2, 0, 0], las: [2, 0, 0], del: [2, 0, 0], y: [2, 0, 0], es: [1, 0, 0], mi: [2, 0, 0], su: [1, 0, 0],
  usted: [3, 0, 0], gracias: [3, 0, 0], hola: [3, 0, 0], tarjeta: [3, 0, 0], numero: [1, 1, 0], pero: [2, 0, 0], muy: [2, 0, 0],
  buenos: [2, 0, 0], dias: [1, 1, 0], senor: [2, 0, 0], llamo: [3, 0, 0], tengo: [2, 1, 0], esta: [1, 1, 0], con: [1, 0, 0], por: [1, 1, 0], favor: [1, 1, 0],
  que: [1, 1, 0], de: [1, 1, 0], en: [1, 0, 0], un: [1, 0, 0], una: [1, 0, 0], lo: [1, 0, 0], le: [1, 0, 0], se: [1, 1, 0], no: [1, 0, 1], para: [1, 1, 0],
  o: [0, 1, 0], os: [0, 2, 0], as: [0, 1, 1], do: [0, 2, 1], da: [0, 2, 0], dos: [0, 1, 0], das: [0, 2, 0], e: [0, 2, 0], em: [0, 2, 0], um: [0, 2, 0], uma: [0, 2, 0],
  nao: [0, 3, 0], voce: [0, 3, 0], obrigado: [0, 3, 0], obrigada: [0, 3, 0], ola: [0, 2, 0], cartao: [0, 3, 0], meu: [0, 3, 0], minha: [0, 3, 0], sim: [0, 2, 0],
  bom: [0, 2, 0], com: [0, 2, 0], ao: [0, 2, 0], na: [0, 2, 0], senhor: [0, 3, 0], senhora: [0, 3, 0], chamo: [0, 3, 0], tenho: [0, 2, 0], esse: [0, 1, 0], isso: [0, 2, 0],
  the: [0, 0, 3], and: [0, 0, 2], of: [0, 0, 2], to: [0, 0, 2], is: [0, 0, 2], my: [0, 0, 3], your: [0, 0, 3], you: [0, 0, 2], i: [0, 0, 2], it: [0, 0, 2], this: [0, 0, 2],
  that: [0, 0, 2], for: [0, 0, 1], with: [0, 0, 2], hello: [0, 0, 3], thanks: [0, 0, 3], thank: [0, 0, 3], card: [0, 0, 3], number: [0, 0, 2], please: [0, 0, 3], can: [0, 0, 2], have: [0, 0, 2], what: [0, 0, 2],
};
const WORDS = new WordSet(Object.keys(WEIGHTS));
/** Weights in the order of WORDS's words (the keys, which are distinct). */
const WORD_WEIGHTS: readonly (readonly [number, number, number])[] = Object.values(WEIGHTS);

export function detectLanguage(text: string, fallback: Language = 'en'): Language {
  const s = scanText(text.length > SAMPLE ? text.slice(0, SAMPLE) : text);
  try {
    return detectLanguageFromScan(s, fallback);
  } finally {
    releaseScan(s);
  }
}

/** {@link detectLanguage} on a text already scanned (detect() scans once for everything). */
export function detectLanguageFromScan(s: ScanText, fallback: Language = 'en'): Language {
  const n = Math.min(s.text.length, SAMPLE);
  // Evidence from letters, counted by the scan: 3 per ñ ¿ ¡ and 3 per ã õ ç.
  let es = 3 * s.spanishMarks;
  let pt = 3 * s.portugueseMarks;
  let en = 0;
  for (let t = 0; t < s.tokenCount && (s.tokStart[t] as number) < n; t++) {
    const k = WORDS.tokenIndex(s, t);
    if (k < 0) continue;
    const w = WORD_WEIGHTS[k] as readonly [number, number, number];
    es += w[0];
    pt += w[1];
    en += w[2];
  }
  if (es === 0 && pt === 0 && en === 0) return fallback;
  if (es > pt && es >= en) return 'es';
  if (pt > es && pt >= en) return 'pt';
  if (en > es && en > pt) return 'en';
  return fallback;
}
