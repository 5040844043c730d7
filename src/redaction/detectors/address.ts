/**
 * Street addresses: a street-type word (es: calle, C/, avenida, av., paseo, plaza, carrera...;
 * pt: rua, R., avenida, travessa, alameda, praça...) followed by a capitalised street name and a
 * house number, or (en) a house number, a capitalised name and a street suffix (Street, St., Ave,
 * Road...). A unit after a comma (piso 3, 3º B, apto 52, Apt 4B, Suite 200) is included. City and
 * postcode are not: on their own they do not identify a person.
 */
import { isDigitCode, type ScanText, TOK_CAPITAL, TOK_DIGIT, TOK_LETTER, tokenAtOrAfter, tokenText, WordSet } from '../text.js';
import { type DetectContext, emit } from './chunks.js';

const STREET_TYPES = new WordSet([
  'calle', 'avenida', 'av', 'avda', 'paseo', 'plaza', 'pza', 'carrera', 'cra', 'kr', 'diagonal', 'transversal', 'camino', 'carretera', 'ronda', 'travesia', 'jiron', 'jr', 'pasaje', 'psje', 'glorieta', 'rambla', 'calzada', 'bulevar',
  'rua', 'travessa', 'alameda', 'praca', 'estrada', 'rodovia', 'largo', 'avenida', 'beco', 'ladeira',
]);
/** Single-letter abbreviations that need their punctuation: "C/ Mayor", "R. Augusta". */
const SHORT_TYPES: Readonly<Record<string, number>> = { c: 47, r: 46 };
const EN_SUFFIXES = new Set(['street', 'st', 'avenue', 'ave', 'road', 'rd', 'boulevard', 'blvd', 'lane', 'ln', 'drive', 'dr', 'way', 'court', 'ct', 'place', 'pl', 'terrace', 'circle', 'parkway', 'pkwy', 'highway', 'hwy']);
const NAME_PARTICLES = new Set(['de', 'del', 'la', 'las', 'los', 'da', 'das', 'do', 'dos', 'y', 'e', 'of', 'the', 'san', 'santa', 'sao']);
const NUMBER_WORDS = new Set(['n', 'no', 'num', 'numero', 'nro']);
const UNIT_WORDS = new Set(['piso', 'planta', 'puerta', 'pta', 'apto', 'apartamento', 'apt', 'apartment', 'depto', 'dpto', 'departamento', 'bloco', 'bloque', 'casa', 'andar', 'sala', 'escalera', 'esc', 'suite', 'unit', 'interior', 'int', 'torre', 'lote', 'conjunto']);

function gap(s: ScanText, t: number): string {
  return s.folded.slice(s.tokEnd[t], s.tokStart[t + 1]);
}

function isNumberTok(s: ScanText, t: number, maxDigits = 5): boolean {
  if (t >= s.tokenCount) return false;
  const w = tokenText(s, t);
  let k = 0;
  while (k < w.length && isDigitCode(w.charCodeAt(k))) k++;
  return k >= 1 && k <= maxDigits && w.length - k <= 1;
}

function nameTok(s: ScanText, t: number): boolean {
  const f = s.tokFlags[t] as number;
  if (f & TOK_LETTER && !(f & TOK_DIGIT) && f & TOK_CAPITAL) return true;
  return NAME_PARTICLES.has(tokenText(s, t));
}

function tokLen(s: ScanText, t: number): number {
  return (s.tokEnd[t] as number) - (s.tokStart[t] as number);
}

/**
 * Extends past a unit after the house number (or after an English street suffix): ", piso 3",
 * ", 3º B", ", 3º andar", " apto 52", ", bloco B", ", Apt 4B", " #3". Returns the last token.
 */
function unitEnd(s: ScanText, t: number): number {
  if (t + 1 >= s.tokenCount) return t;
  let g = gap(s, t);
  // After an abbreviated suffix ("Dr., Apt 4B") the dot belongs to the abbreviation.
  if (g.startsWith('.') && !((s.tokFlags[t] as number) & TOK_DIGIT)) g = g.slice(1);
  if ((g === ' #' || g === ', #' || g === '#' || g === ' # ') && isNumberTok(s, t + 1, 4)) return t + 1;
  if (!(g === ', ' || g === ' ' || g === ',' || g === ' - ')) return t;
  const next = tokenText(s, t + 1);
  if (UNIT_WORDS.has(next) && t + 2 < s.tokenCount && /^[ .º#]{1,3}$/.test(gap(s, t + 1)) && tokLen(s, t + 2) <= 4) return t + 2;
  if (isNumberTok(s, t + 1, 2) && t + 2 < s.tokenCount) {
    const g2 = gap(s, t + 1);
    const f2 = s.tokFlags[t + 2] as number;
    if ((g2 === 'º' || g2 === 'ª' || g2 === 'º ' || g2 === 'ª ' || g2 === '° ') && tokLen(s, t + 2) <= 5 && !(f2 & TOK_DIGIT)) return t + 2;
  }
  return t;
}

/** English suffixes written as abbreviations; their dot is part of the address. */
const EN_ABBREVIATIONS = new Set(['st', 'ave', 'rd', 'blvd', 'ln', 'dr', 'ct', 'pl', 'pkwy', 'hwy']);

export function detectAddresses(ctx: DetectContext): void {
  const s = ctx.s;
  for (let t = 0; t < s.tokenCount; t++) {
    const f = s.tokFlags[t] as number;
    const len = (s.tokEnd[t] as number) - (s.tokStart[t] as number);
    if (f & TOK_DIGIT) {
      if (f & TOK_LETTER || len > 5 || t + 2 >= s.tokenCount) continue;
      const end = englishFrom(s, t);
      if (end > 0) {
        emit(ctx, 'ADDRESS', s.tokStart[t] as number, end, 0.85, 'address:number-suffix');
        t = tokenAtOrAfter(s, end) - 1;
      }
      continue;
    }
    if (len > 12) continue;
    let isType = STREET_TYPES.hasToken(s, t);
    if (!isType && len === 1) {
      const w = tokenText(s, t);
      if (SHORT_TYPES[w] !== undefined && f & TOK_CAPITAL) isType = s.codes[s.tokEnd[t] as number] === SHORT_TYPES[w];
    }
    if (isType && !(f & TOK_DIGIT)) {
      const end = streetFrom(s, t);
      if (end > t) {
        emit(ctx, 'ADDRESS', s.tokStart[t] as number, s.tokEnd[end] as number, 0.85, 'address:street-type');
        t = end;
        continue;
      }
    }
  }
}

/** es/pt: TYPE Name [Name...] [,] [nº] NUMBER [unit]; Colombian "Carrera 7 # 45-12". */
function streetFrom(s: ScanText, t: number): number {
  let u = t + 1;
  let names = 0;
  let sawCapital = false;
  while (u < s.tokenCount && names < 6) {
    const g = gap(s, u - 1);
    if (g.length > 3 || g.includes('\n')) return t;
    if (isNumberTok(s, u)) {
      // Numbered streets (Calle 45 # 12-30, Carrera 7 nº 45): the number is the street's name.
      if (!sawCapital && names === 0) {
        let v = -1;
        const g2 = gap(s, u).trim();
        if (g2 === '#' && isNumberTok(s, u + 1)) v = u + 1;
        else if (g2 === '' && u + 2 < s.tokenCount && NUMBER_WORDS.has(tokenText(s, u + 1)) && isNumberTok(s, u + 2)) v = u + 2;
        if (v < 0) return t;
        let end = v;
        if (s.codes[s.tokEnd[v] as number] === 45 && isNumberTok(s, v + 1) && (s.tokStart[v + 1] as number) === (s.tokEnd[v] as number) + 1) end = v + 1;
        return unitEnd(s, end);
      }
      if (names === 0) return t;
      let end = u;
      // "1500-A", "45-12"
      if (s.codes[s.tokEnd[u] as number] === 45 && isNumberTok(s, u + 1) && (s.tokStart[u + 1] as number) === (s.tokEnd[u] as number) + 1) end = u + 1;
      return unitEnd(s, end);
    }
    const w = tokenText(s, u);
    if (NUMBER_WORDS.has(w) && names > 0) {
      u++;
      continue;
    }
    if (!nameTok(s, u)) return t;
    if (!NAME_PARTICLES.has(w)) sawCapital = true;
    names++;
    u++;
  }
  return t;
}

/** en: NUMBER Name [Name...] SUFFIX[.] [, unit]. Returns the end offset, or -1. */
function englishFrom(s: ScanText, t: number): number {
  if (!((s.tokFlags[t + 1] as number) & TOK_CAPITAL) || (s.tokStart[t + 1] as number) - (s.tokEnd[t] as number) !== 1 || gap(s, t) !== ' ') return -1;
  let u = t + 1;
  let names = 0;
  while (u < s.tokenCount && names < 5) {
    const w = tokenText(s, u);
    const f = s.tokFlags[u] as number;
    if (names > 0 && EN_SUFFIXES.has(w) && f & TOK_CAPITAL) {
      const endTok = unitEnd(s, u);
      let end = s.tokEnd[endTok] as number;
      if (endTok === u && EN_ABBREVIATIONS.has(w) && s.codes[end] === 46) end++;
      return end;
    }
    if (!(f & TOK_CAPITAL) || f & TOK_DIGIT) return -1;
    if (gap(s, u) !== ' ' && u + 1 < s.tokenCount) return -1;
    names++;
    u++;
  }
  return -1;
}
