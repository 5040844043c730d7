/**
 * Redaction of live text (chat, transcript segments) that arrives in chunks.
 *
 * Each `push` appends the chunk to a pending buffer and emits the redacted text up to a cut; the
 * rest is held back until more text (or `end()`) arrives, because a value may continue in the
 * next chunk ("4111 1111" + "1111 1111"). Detection runs over the last `CONTEXT_CHARS` characters
 * already emitted plus the pending buffer, so context words before the cut still count.
 *
 * Where the cut goes: before the last {@link HOLD_WORDS} words, and further back over a trailing
 * run of words that could be part of a number (digits, digit groups, spoken digits such as
 * "cuatro", "double"), then before any detection that would straddle it. Never more than
 * `maxHoldBack` characters are held (default 256, at least 64): that is the bound on buffered
 * text, and on latency in characters. The guarantee: a value whose text is at most `maxHoldBack`
 * characters long is found whatever the chunking (a written card number is at most 40, a spoken
 * 19-digit one about 160). A value longer than that, arriving across chunks, may be cut; the part
 * after the cut that is detected is still redacted.
 */
import { detect } from './detect.js';
import { isSpokenNumberWord } from './detectors/spoken.js';
import { detectLanguage } from './language.js';
import { applyAsync, type OperatorBackend } from './operators.js';
import { DEFAULT_REDACTION_POLICY, operatorFor, type RedactionPolicy } from './policy.js';
import { assemble, type Replacement } from './redact.js';
import { CLS, CLS_SPACE, FOLD } from './text.js';
import type { EntityType, Language, Span } from './types.js';

export const DEFAULT_MAX_HOLD_BACK = 256;
export const MIN_MAX_HOLD_BACK = 64;
/** Already emitted text kept as left context for the next detection. */
export const CONTEXT_CHARS = 96;
/** Words always held back (names and addresses span a few words). */
export const HOLD_WORDS = 6;
/** Text needed before the detected language is fixed for the rest of the stream. */
const LANGUAGE_SAMPLE = 200;

export interface StreamRedactorOptions {
  language?: Language;
  policy?: RedactionPolicy;
  backend?: OperatorBackend;
  maxHoldBack?: number;
}

export interface StreamRedactor {
  /** Appends a chunk; resolves to the redacted text that can be released now (possibly ''). */
  push(chunk: string): Promise<string>;
  /** Releases everything still held back. The redactor cannot be used afterwards. */
  end(): Promise<string>;
  /** Replacements made so far, per type. */
  readonly counts: Partial<Record<EntityType, number>>;
  /** Replacements made so far, with offsets in the whole stream (input and output). */
  readonly replacements: readonly Replacement[];
  /** Characters received and not yet released: never more than maxHoldBack after a push. */
  readonly held: number;
  /** The language in use (fixed once enough text has arrived, or given). */
  readonly language: Language | undefined;
}

function isSpace(c: number): boolean {
  return ((CLS[c] as number) & CLS_SPACE) !== 0;
}

/** Whether the word text[from, to) could continue a number: digits and separators, or a number word. */
function numberish(text: string, from: number, to: number): boolean {
  let digits = false;
  let letters = '';
  for (let i = from; i < to; i++) {
    const c = FOLD[text.charCodeAt(i)] as number;
    if (c >= 48 && c <= 57) digits = true;
    else if (c >= 97 && c <= 122) letters += String.fromCharCode(c);
    else if (!(c === 45 || c === 46 || c === 47 || c === 44 || c === 40 || c === 41 || c === 43)) return false;
    if (letters.length > 8) return false;
  }
  if (letters.length === 0) return digits;
  return !digits && isSpokenNumberWord(letters);
}

/** The cut position in `full` (>= floor): see the module comment. */
function cutPosition(full: string, floor: number, maxHoldBack: number, spans: readonly Span[]): number {
  const limit = Math.max(floor, full.length - maxHoldBack);
  let pos = full.length;
  let words = 0;
  while (pos > limit) {
    let p = pos;
    while (p > limit && isSpace(full.charCodeAt(p - 1))) p--;
    let q = p;
    while (q > limit && !isSpace(full.charCodeAt(q - 1))) q--;
    if (q === p) {
      pos = p;
      break;
    }
    if (words >= HOLD_WORDS && !numberish(full, q, p)) break;
    words++;
    pos = q;
  }
  let cut = Math.max(pos, limit);
  // Never cut through a detection: move the cut to its start (if that stays within the bound).
  for (const sp of spans) {
    if (sp.start < cut && sp.end > cut && sp.start >= limit) cut = sp.start;
  }
  return cut;
}

/**
 * @example
 * ```ts
 * const r = createStreamRedactor({ language: 'en' });
 * let out = await r.push('card 4111 1111 ');
 * out += await r.push('1111 1111 thanks');
 * out += await r.end(); // 'card <CARD_NUMBER> thanks'
 * ```
 */
export function createStreamRedactor(options: StreamRedactorOptions = {}): StreamRedactor {
  const policy = options.policy ?? DEFAULT_REDACTION_POLICY;
  const maxHoldBack = options.maxHoldBack ?? DEFAULT_MAX_HOLD_BACK;
  if (!Number.isInteger(maxHoldBack) || maxHoldBack < MIN_MAX_HOLD_BACK || maxHoldBack > 1 << 20) {
    throw new TypeError(`createStreamRedactor: maxHoldBack must be an integer from ${MIN_MAX_HOLD_BACK} to ${1 << 20}`);
  }
  let language = options.language;
  let context = '';
  let pending = '';
  let inputOffset = 0; // stream offset of pending[0]
  let outputOffset = 0;
  let ended = false;
  let busy = false;
  const counts: Partial<Record<EntityType, number>> = {};
  const replacements: Replacement[] = [];

  async function release(final: boolean): Promise<string> {
    const full = context + pending;
    const floor = context.length;
    let lang = language;
    if (lang === undefined) {
      lang = detectLanguage(full);
      if (final || full.length >= LANGUAGE_SAMPLE) language = lang;
    }
    const spans = detect(full, { language: lang, ...(policy.minConfidence === undefined ? {} : { minConfidence: policy.minConfidence }) });
    const cut = final ? full.length : cutPosition(full, floor, maxHoldBack, spans);
    // Detections wholly inside the released part; one that began in already released text (only
    // possible for a value longer than the bound) is redacted from the floor on.
    const chosen: Span[] = [];
    for (const sp of spans) {
      if (sp.end <= floor || sp.start >= cut) continue;
      if (sp.end > cut) continue;
      chosen.push(sp.start < floor ? { ...sp, start: floor } : sp);
    }
    const segment = full.slice(floor, cut);
    const local = chosen.map((sp) => ({ ...sp, start: sp.start - floor, end: sp.end - floor }));
    const outputs = await Promise.all(local.map((sp) => applyAsync(operatorFor(policy, sp.type), sp.type, segment.slice(sp.start, sp.end), options.backend)));
    const out = assemble(segment, local, outputs, policy, inputOffset, outputOffset);
    for (const r of out.replacements) replacements.push(r);
    for (const [type, n] of Object.entries(out.counts) as [EntityType, number][]) counts[type] = (counts[type] ?? 0) + n;
    inputOffset += segment.length;
    outputOffset += out.text.length;
    context = full.slice(Math.max(0, cut - CONTEXT_CHARS), cut);
    pending = full.slice(cut);
    return out.text;
  }

  async function guarded(fn: () => Promise<string>): Promise<string> {
    if (ended) throw new TypeError('stream redactor: already ended');
    // Calls must not interleave: each one reads and replaces the buffer.
    if (busy) throw new TypeError('stream redactor: await the previous push before the next');
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
    }
  }

  return {
    push(chunk: string) {
      if (typeof chunk !== 'string') return Promise.reject(new TypeError('stream redactor: chunk must be a string'));
      return guarded(async () => {
        pending += chunk;
        if (pending.length === 0) return '';
        return release(false);
      });
    },
    end() {
      return guarded(async () => {
        const out = pending.length === 0 ? '' : await release(true);
        ended = true;
        return out;
      });
    },
    get counts() {
      return { ...counts };
    },
    get replacements() {
      return replacements.slice();
    },
    get language() {
      return language;
    },
    get held() {
      return pending.length;
    },
  };
}
