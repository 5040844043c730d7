/**
 * Runs every detector over one shared scan of the text and resolves overlaps.
 *
 * Overlap resolution: candidates are ranked by confidence (higher first), then length (longer
 * first), then entity type in {@link ENTITY_TYPES} order (payment data first), then position; each
 * is kept if it overlaps none of those kept before it. The result is sorted by start offset and
 * never overlaps. So a Luhn-valid card inside a longer phone-shaped chunk wins over the phone (0.99
 * against 0.8-0.95), and a context-only cédula (0.85) loses to a checksum-confirmed RUT (0.97).
 */
import { scanChunks, type DetectContext } from './detectors/chunks.js';
import { detectAddresses } from './detectors/address.js';
import { detectCardExtras, detectCards } from './detectors/cards.js';
import { detectEmails, detectIpAddresses, detectSpokenEmails } from './detectors/contact.js';
import { detectDatesOfBirth } from './detectors/dates.js';
import { detectCedulas, detectNumericIds } from './detectors/ids.js';
import { detectLetterIds } from './detectors/letters.js';
import { detectNames } from './detectors/names.js';
import { detectPhones } from './detectors/phone.js';
import { detectSpokenDigits } from './detectors/spoken.js';
import { detectLanguageFromScan } from './language.js';
import { releaseScan, scanText } from './text.js';
import { ENTITY_TYPES, type EntityType, type Language, type Span } from './types.js';

export interface DetectOptions {
  /** The text's language; detected from the text when absent. */
  language?: Language;
  /** Only report these types (all by default). */
  types?: readonly EntityType[];
  /** Drop detections below this confidence (default {@link DEFAULT_MIN_CONFIDENCE}). */
  minConfidence?: number;
}

/**
 * Detections below this are not reported by default: a given name alone at the start of a
 * sentence (0.5) is the only rule under it today.
 */
export const DEFAULT_MIN_CONFIDENCE = 0.6;

const TYPE_RANK: Readonly<Record<EntityType, number>> = Object.fromEntries(ENTITY_TYPES.map((t, i) => [t, i])) as Record<EntityType, number>;

type Detector = (ctx: DetectContext) => void;

const DETECTORS: readonly { types: readonly EntityType[]; run: Detector }[] = [
  { types: ['CARD_NUMBER'], run: detectCards },
  { types: ['CARD_CVV', 'CARD_EXPIRY'], run: detectCardExtras },
  { types: ['CPF', 'CNPJ', 'DNI', 'RUT', 'CUIT', 'NIT', 'SSN'], run: detectNumericIds },
  { types: ['CEDULA'], run: detectCedulas },
  { types: ['IBAN', 'SWIFT_BIC', 'NIE', 'CURP', 'PASSPORT'], run: detectLetterIds },
  { types: ['PHONE'], run: detectPhones },
  { types: ['EMAIL'], run: detectEmails },
  { types: ['IP_ADDRESS'], run: detectIpAddresses },
  { types: ['DATE_OF_BIRTH'], run: detectDatesOfBirth },
  { types: ['ADDRESS'], run: detectAddresses },
  { types: ['PERSON_NAME'], run: detectNames },
  { types: ['CARD_NUMBER', 'CPF', 'CNPJ', 'SSN', 'PHONE'], run: detectSpokenDigits },
  { types: ['EMAIL'], run: detectSpokenEmails },
];

/**
 * Finds personal data in `text`. Offsets are UTF-16 code units of `text`.
 *
 * @example
 * ```ts
 * detect('Mi tarjeta es 4111 1111 1111 1111', { language: 'es' });
 * // [{ type: 'CARD_NUMBER', start: 14, end: 33, confidence: 0.99, rule: 'card:iin+luhn' }]
 * ```
 */
export function detect(text: string, options: DetectOptions = {}): Span[] {
  return detectWithLanguage(text, options).spans;
}

/** {@link detect}, also returning the language used (detected when not given). */
export function detectWithLanguage(text: string, options: DetectOptions = {}): { spans: Span[]; language: Language } {
  if (typeof text !== 'string') throw new TypeError('detect: text must be a string');
  const min = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const wanted = options.types === undefined ? null : new Set(options.types);
  if (text.length === 0) return { spans: [], language: options.language ?? 'en' };
  const s = scanText(text);
  let lang: Language;
  let candidates: Span[];
  try {
    lang = options.language ?? detectLanguageFromScan(s);
    const ctx: DetectContext = { s, lang, chunks: scanChunks(s), out: [] };
    for (const d of DETECTORS) {
      if (wanted !== null && !d.types.some((t) => wanted.has(t))) continue;
      d.run(ctx);
    }
    candidates = ctx.out;
  } finally {
    releaseScan(s);
  }
  if (wanted !== null || min > 0) candidates = candidates.filter((c) => (wanted === null || wanted.has(c.type)) && c.confidence >= min);
  return { spans: resolveOverlaps(candidates), language: lang };
}

function rankOrder(a: Span, b: Span): number {
  return b.confidence - a.confidence || b.end - b.start - (a.end - a.start) || TYPE_RANK[a.type] - TYPE_RANK[b.type] || a.start - b.start;
}

/**
 * See the module comment. Candidates are first split into clusters of transitively overlapping
 * spans (one sweep in start order); the ranking runs inside each cluster, which is small, so the
 * whole costs O(n log n) in the number of candidates.
 */
export function resolveOverlaps(candidates: readonly Span[]): Span[] {
  const byStart = candidates.filter((c) => c.end > c.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  let i = 0;
  while (i < byStart.length) {
    let j = i + 1;
    let reach = (byStart[i] as Span).end;
    while (j < byStart.length && (byStart[j] as Span).start < reach) {
      reach = Math.max(reach, (byStart[j] as Span).end);
      j++;
    }
    if (j - i === 1) out.push(byStart[i] as Span);
    else {
      const kept: Span[] = [];
      for (const c of byStart.slice(i, j).sort(rankOrder)) {
        if (kept.every((k) => k.end <= c.start || k.start >= c.end)) kept.push(c);
      }
      kept.sort((a, b) => a.start - b.start);
      out.push(...kept);
    }
    i = j;
  }
  return out;
}
