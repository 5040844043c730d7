/**
 * Person names. Two sources of evidence, combined:
 *  - context cues right before a run of capitalised words: "me llamo", "mi nombre es", "meu nome
 *    é", "me chamo", "my name is", "I'm", titles (Sr., Sra., Dña., Mr., Mrs., Senhor...), "a nombre
 *    de", "titular";
 *  - a gazetteer of common given names and surnames (src/redaction/data/names.json): a capitalised
 *    given name followed by a capitalised word is a name even without a cue.
 * The trade-off (docs/redaction.md): the gazetteer finds names nobody introduced, but only the
 * names it lists, and some of them are also words (Rosa, Luz, Paz, Victoria): those count only
 * with a surname or a cue. Lower-case names in transcripts are only found after a cue.
 */
import gazetteer from '../data/names.json' with { type: 'json' };
import { NAME_CUES } from '../cues.js';
import { gapIs, type ScanText, TOK_ALL_CAPS, TOK_CAPITAL, TOK_DIGIT, TOK_LETTER, tokenIs, tokenText, WordSet } from '../text.js';
import { type DetectContext, emit } from './chunks.js';

const FIRST = new WordSet(gazetteer.first);
const LAST = new WordSet(gazetteer.last);
const AMBIGUOUS = new WordSet(gazetteer.ambiguous);
const PARTICLES = new WordSet(['de', 'del', 'la', 'las', 'los', 'da', 'das', 'do', 'dos', 'van', 'von', 'di', 'y', 'e']);
/** Titles, written with or without their dot: "Sr. Pérez", "Mrs. O'Brien". */
const TITLES = new WordSet(['sr', 'sra', 'srta', 'dr', 'dra', 'mr', 'mrs', 'ms', 'd', 'dna', 'prof']);
/** Capitalised words that open no name: units, street words, speaker labels, months, days. */
const NOT_NAMES = new WordSet([
  'unit', 'apt', 'suite', 'apto', 'piso', 'bloco', 'calle', 'rua', 'avenida', 'street', 'road', 'avenue',
  'agente', 'cliente', 'agent', 'customer', 'atendente', 'asunto', 'assunto', 'subject',
  'enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre',
  'janeiro', 'fevereiro', 'marco', 'maio', 'junho', 'julho', 'setembro', 'outubro', 'novembro', 'dezembro',
  'january', 'february', 'march', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'lunes', 'martes', 'miercoles', 'jueves', 'viernes', 'sabado', 'domingo', 'segunda', 'terca', 'quarta', 'quinta', 'sexta',
  'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'the', 'my', 'your', 'this', 'that',
]);

/** Words between a cue and the name: "mi nombre es Juan", "my name is", "sou a Ana". */
const FILLERS = new WordSet(['es', 'e', 'is', 'o', 'a', 'el', 'la', 'the', 'de', 'of']);
const MAX_NAME_TOKENS = 5;

function capitalised(s: ScanText, t: number): boolean {
  const f = s.tokFlags[t] as number;
  if (!(f & TOK_CAPITAL) || f & TOK_DIGIT || !(f & TOK_LETTER)) return false;
  const len = (s.tokEnd[t] as number) - (s.tokStart[t] as number);
  if (len === 1) return elided(s, t);
  return !(f & TOK_ALL_CAPS) || elided(s, t - 1);
}

/** "O'Brien", "D'Angelo": a capital letter, an apostrophe, a capitalised word. */
function elided(s: ScanText, t: number): boolean {
  if (t < 0 || t + 1 >= s.tokenCount) return false;
  const a = s.tokEnd[t] as number;
  if ((s.tokStart[t + 1] as number) - a !== 1) return false;
  const c = s.codes[a];
  return (c === 39 || c === 0x2019) && ((s.tokFlags[t + 1] as number) & TOK_CAPITAL) !== 0 && (s.tokEnd[t] as number) - (s.tokStart[t] as number) <= 2;
}

function isInitial(s: ScanText, t: number): boolean {
  const f = s.tokFlags[t] as number;
  return (s.tokEnd[t] as number) - (s.tokStart[t] as number) === 1 && (f & TOK_CAPITAL) !== 0 && (f & TOK_LETTER) !== 0;
}

/** Tokens t and t+1 separated by exactly one space: names do not cross punctuation. */
function adjacent(s: ScanText, t: number): boolean {
  if (t + 1 >= s.tokenCount) return false;
  const a = s.tokEnd[t] as number;
  return (s.tokStart[t + 1] as number) - a === 1 && (s.codes[a] === 32 || elided(s, t));
}

/** Extends a name from capitalised token t: capitalised words and inner particles. */
function runEnd(s: ScanText, t: number): number {
  let end = t;
  let u = t;
  let count = 1;
  while (count < MAX_NAME_TOKENS && adjacent(s, u)) {
    const next = u + 1;
    if (capitalised(s, next)) {
      end = next;
      u = next;
      count++;
      continue;
    }
    // A middle initial: "Tyler M. Thompson".
    if (isInitial(s, next) && next + 1 < s.tokenCount && gapIs(s, next, '. ') && capitalised(s, next + 1)) {
      end = next + 1;
      u = next + 1;
      count += 2;
      continue;
    }
    // A particle counts only when a capitalised word follows it (José de la Cruz, Maria da Silva).
    if (PARTICLES.hasToken(s, next)) {
      let v = next;
      while (v < s.tokenCount && PARTICLES.hasToken(s, v) && adjacent(s, v)) v++;
      if (v < s.tokenCount && v > next && capitalised(s, v)) {
        end = v;
        u = v;
        count++;
        continue;
      }
    }
    break;
  }
  return end;
}

/** Words after which a comma and a name address someone: "Gracias, Nerea", "Thanks, Priya". */
const VOCATIVE_CUES = new WordSet(['gracias', 'obrigado', 'obrigada', 'thanks', 'hola', 'ola', 'oi', 'hi', 'hello', 'dear', 'estimado', 'estimada', 'prezado', 'prezada', 'querido', 'querida']);
/** E-mail closings: the signature's name follows on the next line. */
const CLOSING_CUES = new WordSet(['saludos', 'atentamente', 'cordialmente', 'atenciosamente', 'cumprimentos', 'abracos', 'regards', 'sincerely', 'cheers', 'best']);

/** The gap after token t is `,? ?\r?\n *` (a closing line, then the signature's line). */
function closingGap(s: ScanText, t: number): boolean {
  const to = s.tokStart[t + 1] as number;
  let i = s.tokEnd[t] as number;
  if (i < to && s.codes[i] === 44) i++;
  if (i < to && s.codes[i] === 32) i++;
  if (i < to && s.codes[i] === 13) i++;
  if (!(i < to && s.codes[i] === 10)) return false;
  i++;
  while (i < to && s.codes[i] === 32) i++;
  return i === to;
}

// Words and gaps are compared in place (hasToken, gapIs): this runs for every capitalised word.
function cueBeforeName(ctx: DetectContext, t: number): boolean {
  const s = ctx.s;
  const cues = NAME_CUES[ctx.lang];
  if (t === 0) return false;
  if (VOCATIVE_CUES.hasToken(s, t - 1) && (gapIs(s, t - 1, ', ') || gapIs(s, t - 1, ' '))) return true;
  if (CLOSING_CUES.hasToken(s, t - 1) && closingGap(s, t - 1)) return true;
  let u = t - 1;
  for (let k = 0; k < 3 && u >= 0; k++, u--) {
    // A cue and its name sit in one clause: "Sr. Pérez", "nombre: Juan", never across ", " or a line.
    if (!(gapIs(s, u, ' ') || gapIs(s, u, ': ') || (TITLES.hasToken(s, u) && gapIs(s, u, '. ')))) return false;
    if (cues.hasToken(s, u)) return true;
    if (ctx.lang === 'en' && (tokenIs(s, u, 'm') || tokenIs(s, u, 'am')) && u > 0 && tokenIs(s, u - 1, 'i')) return true;
    if (ctx.lang === 'en' && tokenIs(s, u, 'is') && u > 0 && tokenIs(s, u - 1, 'this')) return true;
    if (!FILLERS.hasToken(s, u)) return false;
  }
  return false;
}

export function detectNames(ctx: DetectContext): void {
  const s = ctx.s;
  for (let t = 0; t < s.tokenCount; t++) {
    if (!capitalised(s, t)) {
      if (t > 0 && lowerNameStart(s, t)) t = lowercaseAfterCue(ctx, t);
      continue;
    }
    if (NOT_NAMES.hasToken(s, t)) continue;
    const end = runEnd(s, t);
    const start = s.tokStart[t] as number;
    const stop = s.tokEnd[end] as number;
    if (cueBeforeName(ctx, t)) {
      emit(ctx, 'PERSON_NAME', start, stop, 0.9, 'name:cue');
      t = end;
      continue;
    }
    // Part of a longer proper noun ("São Paulo", "Santa Fe"): the word before it is capitalised too.
    const inPhrase = t > 0 && capitalised(s, t - 1) && adjacent(s, t - 1) && !sentenceStart(s, t - 1);
    const given = FIRST.hasToken(s, t);
    if (given && !inPhrase) {
      if (end > t) {
        const known = LAST.hasToken(s, t + 1) || FIRST.hasToken(s, t + 1) || LAST.hasToken(s, end);
        emit(ctx, 'PERSON_NAME', start, stop, known ? 0.9 : 0.75, 'name:gazetteer');
        t = end;
        continue;
      }
      if (!AMBIGUOUS.hasToken(s, t) && !sentenceStart(s, t)) emit(ctx, 'PERSON_NAME', start, stop, 0.7, 'name:gazetteer-given');
      continue;
    }
    if (end > t && !inPhrase && LAST.hasToken(s, end) && !LAST.hasToken(s, t) && !given && !sentenceStart(s, t)) {
      // An unknown given name followed by a known surname ("Yuliana Restrepo").
      emit(ctx, 'PERSON_NAME', start, stop, 0.7, 'name:gazetteer-surname');
      t = end;
    }
  }
}

/** A lower-case word that could open a name: letters only, right after a space. */
function lowerNameStart(s: ScanText, t: number): boolean {
  const f = s.tokFlags[t] as number;
  const len = (s.tokEnd[t] as number) - (s.tokStart[t] as number);
  return (f & (TOK_LETTER | TOK_DIGIT | TOK_CAPITAL)) === TOK_LETTER && len >= 3 && len <= 12 && s.codes[(s.tokStart[t] as number) - 1] === 32;
}

/**
 * Transcripts often come in lower case ("soy camila mendoza pérez"): after a cue, a known given
 * name starts a name that runs over known given names, surnames and particles. Returns the last
 * token consumed (t - 1... t if nothing matched, so the caller's loop goes on from t + 1).
 */
function lowercaseAfterCue(ctx: DetectContext, t: number): number {
  const s = ctx.s;
  if (!FIRST.hasToken(s, t) || !cueBeforeName(ctx, t)) return t;
  let end = t;
  let u = t;
  while (u + 1 < s.tokenCount && end - t < MAX_NAME_TOKENS - 1 && adjacent(s, u)) {
    const w = tokenText(s, u + 1);
    if (LAST.has(w) || FIRST.has(w)) end = u + 1;
    else if (!PARTICLES.has(w)) break;
    u++;
  }
  emit(ctx, 'PERSON_NAME', s.tokStart[t] as number, s.tokEnd[end] as number, 0.8, 'name:cue-lowercase');
  return end;
}

/** The token opens a sentence or a line, where every word is capitalised anyway. */
function sentenceStart(s: ScanText, t: number): boolean {
  if (t === 0) return true;
  let i = (s.tokStart[t] as number) - 1;
  const stop = s.tokEnd[t - 1] as number;
  for (; i >= stop; i--) {
    const c = s.codes[i] as number;
    if (c === 46 || c === 33 || c === 63 || c === 10 || c === 58 || c === 0xbf || c === 0xa1) return true;
  }
  return false;
}
