/**
 * Phone numbers: number chunks (see chunks.ts) of 7 to 15 digits validated by libphonenumber-js
 * (full metadata, so the number must match the country's numbering plan, not just its length).
 * International numbers (`+` or `00`) are parsed as such; national ones are tried against the
 * countries of the text's language first (es: ES, MX, CO, AR, CL, PE, US; pt: BR, PT; en: US),
 * then the others, skipping countries whose national numbers never have that many digits. A
 * Peruvian landline (eight digits without its trunk 0, or nine with it) also needs a phone word.
 *
 * The validity answers come from phone-plan.ts, which reproduces the library's checks with its
 * metadata and compiled patterns, and asks the library itself for the inputs it does not model.
 *
 * libphonenumber's own text matcher is not used: its regular expressions cost far more per
 * megabyte than this scanner, and it cannot be told about order or ticket numbers. A number right
 * after a reference word (`pedido`, `order`, `protocolo`...) is not a phone unless it starts with +.
 */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { PHONE_CUES, REFERENCE_CUES } from '../cues.js';
import { internationalValid, nationalValid } from './phone-plan.js';
import { cueBefore } from '../text.js';
import type { Language } from '../types.js';
import type { Span } from '../types.js';
import { type Chunk, type DetectContext, digitCount, emit, hasDigits, joinGroups } from './chunks.js';

const NATIONAL_LENGTHS: Readonly<Record<string, readonly number[]>> = {
  ES: [9],
  PT: [9],
  BR: [10, 11, 12],
  MX: [10],
  CO: [10],
  AR: [10, 11, 12, 13],
  CL: [9],
  PE: [8, 9],
  US: [10, 11],
};

const ORDER: Readonly<Record<Language, readonly CountryCode[]>> = {
  es: ['ES', 'MX', 'CO', 'AR', 'CL', 'PE', 'US', 'BR', 'PT'],
  pt: ['BR', 'PT', 'ES', 'MX', 'CO', 'AR', 'CL', 'PE', 'US'],
  en: ['US', 'ES', 'MX', 'CO', 'AR', 'CL', 'PE', 'BR', 'PT'],
};

/** ORDER with each country's NATIONAL_LENGTHS as a bit mask: isPhoneNumber runs for every candidate. */
const TRIES: Readonly<Record<Language, readonly { country: CountryCode; lengths: number }[]>> = {
  es: tries('es'),
  pt: tries('pt'),
  en: tries('en'),
};

function tries(lang: Language) {
  return ORDER[lang].map((country) => ({ country, lengths: (NATIONAL_LENGTHS[country] as readonly number[]).reduce((m, n) => m | (1 << n), 0) }));
}

/**
 * A cheap first look at a national number (first digits of each plan), so libphonenumber, which
 * costs tens of microseconds a call, only sees numbers that could pass.
 */
function plausible(country: CountryCode, d: string): boolean {
  const a = d.charCodeAt(0) - 48;
  const b = d.charCodeAt(1) - 48;
  switch (country) {
    case 'ES':
      return a >= 6;
    case 'PT':
      return a === 2 || a === 9;
    case 'BR':
      return a !== 0 && b !== 0 && (d.length === 11 ? d[2] === '9' : d.length === 10);
    case 'MX':
      return a >= 2;
    case 'CO':
      return a === 3 || (a === 6 && b === 0);
    case 'AR':
      return d.length === 10 ? a >= 1 && a <= 3 : a === 0;
    case 'CL':
      return a >= 2;
    case 'PE':
      // Nine digits: a mobile (9...), or a landline with its trunk 0 (01 Lima, 04x-08x provinces).
      return d.length === 9 ? a === 9 || (a === 0 && (b === 1 || (b >= 4 && b <= 8))) : a === 1;
    case 'US':
      return d.length === 10 ? a >= 2 && d.charCodeAt(3) >= 50 : a === 1 && b >= 2;
    default:
      return true;
  }
}

/**
 * Whether a national number of `country` needs a phone word before it. Peru's eight-digit national
 * numbers are Lima landlines (area code 1 and seven digits): Peruvians write them with the trunk 0
 * ("01 234 5678") or +51, so eight bare digits starting with 1 are far more often an order, a
 * ticket or half of a longer number, in any language. No other plan the detector tries has
 * numbers that short. The same goes for a landline written with its trunk 0 (nine digits from 01
 * or 04-08): a reference number starting with 0 has that shape as often.
 */
function needsCue(country: CountryCode, digits: string): boolean {
  return country === 'PE' && (digits.length === 8 || digits.charCodeAt(0) === 48);
}

/** Whether isPhoneNumber may read `cued` for these digits: callers look the phone word up only then. */
export function mayNeedPhoneWord(digits: string): boolean {
  return digits.length === 8 || (digits.length === 9 && digits.charCodeAt(0) === 48);
}

/** `cued`: a phone word comes before the number (only read when mayNeedPhoneWord). */
export function isPhoneNumber(digits: string, international: boolean, lang: Language, cued: boolean): boolean {
  if (international || (digits.startsWith('00') && digits.length > 9)) {
    const e164 = international ? digits : digits.slice(2);
    if (e164.length < 8 || e164.length > 15) return false;
    return internationalValid(e164) ?? parsePhoneNumberFromString(`+${e164}`)?.isValid() === true;
  }
  const len = digits.length;
  for (const { country, lengths } of TRIES[lang]) {
    if (((lengths >>> len) & 1) === 0 || !plausible(country, digits)) continue;
    if (!cued && needsCue(country, digits)) continue;
    if (nationalValid(digits, country) ?? parsePhoneNumberFromString(digits, country)?.isValid() === true) return true;
  }
  return false;
}

export function detectPhones(ctx: DetectContext): void {
  // Detections that a phone could not outrank (cards, checksum ids): their digits are not tried.
  // Collected when the first chunk gets this far: most texts have no phone-sized chunk.
  let strong: Span[] | null = null;
  for (const ch of ctx.chunks) {
    if (ch.gluedLeft || ch.end - ch.start < 7 || dateShaped(ch) || versionShaped(ch)) continue;
    if (!hasDigits(ch, 0, 7)) continue;
    strong ??= ctx.out.filter((sp) => sp.confidence >= 0.95).sort((x, y) => x.start - y.start);
    detectInChunk(ctx, ch, strong);
  }
}

function covered(strong: readonly Span[], start: number, end: number): boolean {
  let lo = 0;
  let hi = strong.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((strong[mid] as Span).end <= start) lo = mid + 1;
    else hi = mid;
  }
  // Spans from one detector do not overlap, but two detectors' may: look a few ahead.
  for (let k = lo; k < strong.length && k < lo + 4; k++) {
    const sp = strong[k] as Span;
    if (sp.start < end && start < sp.end) return true;
  }
  return false;
}

/** Dots only, with a group of one or two digits: a version or an address, not a phone (212.555.0123 is). */
function versionShaped(ch: Chunk): boolean {
  if (ch.groups.length < 3) return false;
  for (let g = 1; g < ch.groups.length; g++) if (ch.seps[g] !== '.') return false;
  for (const x of ch.groups) if (x.length <= 2) return true;
  return false;
}

/** d-m-y, d.m.y, y-m-d: dates, whatever libphonenumber would make of the digits. */
function dateShaped(ch: Chunk): boolean {
  if (ch.groups.length !== 3) return false;
  const sep = ch.seps[1];
  if (sep !== ch.seps[2] || !(sep === '.' || sep === '-' || sep === '/')) return false;
  const a = (ch.groups[0] as string).length;
  const b = (ch.groups[1] as string).length;
  const c = (ch.groups[2] as string).length;
  return (a <= 2 && b <= 2 && (c === 4 || c === 2)) || (a === 4 && b <= 2 && c <= 2);
}

function phoneSep(sep: string): boolean {
  // Dates use slashes; phones use spaces, dashes, dots and parentheses.
  return !sep.includes('/');
}

function detectInChunk(ctx: DetectContext, ch: Chunk, strong: readonly Span[]): void {
  const last = ch.groups.length - 1;
  let g = 0;
  while (g <= last) {
    if (g > 0 && !(ch.seps[g] as string).includes(' ')) {
      g++;
      continue;
    }
    const international = g === 0 && ch.plus;
    const maxDigits = international ? 15 : 13;
    let total = 0;
    let far = -1;
    for (let j = g; j <= last; j++) {
      if (j > g && !phoneSep(ch.seps[j] as string)) break;
      total += (ch.groups[j] as string).length;
      if (total > maxDigits) break;
      far = j;
    }
    let found = -1;
    // Whether a phone word comes before group g: looked up once, and only when a window needs it.
    let phoneWord: boolean | undefined;
    for (let j = far; j >= g; j--) {
      if (j === last && ch.gluedRight) continue;
      if (j < last && !(ch.seps[j + 1] as string).includes(' ')) continue;
      if (digitCount(ch, g, j) < 7) break;
      if (covered(strong, ch.groupStart[g] as number, ch.groupEnd[j] as number)) continue;
      const digits = joinGroups(ch, g, j);
      if (mayNeedPhoneWord(digits)) phoneWord ??= cueBefore(ctx.s, ch.groupStart[g] as number, PHONE_CUES[ctx.lang], 6, 60);
      if (isPhoneNumber(digits, international, ctx.lang, phoneWord === true)) {
        found = j;
        break;
      }
    }
    if (found < 0) {
      g++;
      continue;
    }
    const start = g === 0 ? ch.prefixStart : (ch.groupStart[g] as number);
    const first = ch.groupStart[g] as number;
    if (!international && cueBefore(ctx.s, first, REFERENCE_CUES[ctx.lang], 3, 30) && !cueBefore(ctx.s, first, PHONE_CUES[ctx.lang], 3, 30)) {
      g = found + 1;
      continue;
    }
    const cue = international || (phoneWord ??= cueBefore(ctx.s, first, PHONE_CUES[ctx.lang], 6, 60));
    emit(ctx, 'PHONE', start, ch.groupEnd[found] as number, cue ? 0.95 : 0.8, international ? 'phone:e164' : 'phone:national');
    g = found + 1;
  }
}
