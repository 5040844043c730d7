/**
 * Applies a policy's operators to the detections in a text. The output keeps, for each
 * replacement, its type, operator, input and output offsets, rule and confidence: never the value.
 */
import { AppError } from '../platform/errors.js';
import { type DetectOptions, detectWithLanguage } from './detect.js';
import { RedactionErrors } from './errors.js';
import { applyAsync, applySync, type OperatorBackend } from './operators.js';
import { DEFAULT_REDACTION_POLICY, isAsyncOperator, type Operator, operatorFor, type RedactionPolicy } from './policy.js';
import type { EntityType, Language, Span } from './types.js';

export interface Replacement {
  type: EntityType;
  operator: Operator['kind'];
  /** Offsets in the input. */
  start: number;
  end: number;
  /** Offsets of the replacement in the output. */
  outputStart: number;
  outputEnd: number;
  rule: string;
  confidence: number;
}

export interface RedactOptions {
  language?: Language;
  policy?: RedactionPolicy;
  backend?: OperatorBackend;
}

export interface RedactResult {
  text: string;
  language: Language;
  replacements: Replacement[];
  counts: Partial<Record<EntityType, number>>;
}

/**
 * Where `type` is in the short list of a text's types, or -1. A loop comparing by identity: the
 * list has a handful of entries, and Array.prototype.indexOf cost assembly 2% of redactSync.
 */
function typeIndex(types: readonly EntityType[], type: EntityType): number {
  for (let k = 0; k < types.length; k++) if (types[k] === type) return k;
  return -1;
}

/** Assembles the output from the spans and their replacement strings. */
export function assemble(text: string, spans: readonly Span[], outputs: readonly string[], policy: RedactionPolicy, inputOffset = 0, outputOffset = 0) {
  // Concatenated rather than joined from an array of parts: V8 builds the result as a rope of the
  // slices, which costs less than join's copy for the few parts a message has.
  let out = '';
  const replacements: Replacement[] = [];
  // The types met so far, in order of first appearance, with their counts and operator kinds
  // (typeIndex: cheaper than a Map or object keyed by the type's name, once most of assembly).
  const seen: EntityType[] = [];
  const seenCount: number[] = [];
  const seenKind: Operator['kind'][] = [];
  let pos = 0;
  let outLen = outputOffset;
  for (let i = 0; i < spans.length; i++) {
    const sp = spans[i] as Span;
    const before = text.slice(pos, sp.start);
    out += before;
    outLen += before.length;
    const rep = outputs[i] as string;
    out += rep;
    let k = typeIndex(seen, sp.type);
    if (k < 0) {
      k = seen.length;
      seen.push(sp.type);
      seenCount.push(0);
      seenKind.push(operatorFor(policy, sp.type).kind);
    }
    seenCount[k] = (seenCount[k] as number) + 1;
    replacements.push({
      type: sp.type,
      operator: seenKind[k] as Operator['kind'],
      start: sp.start + inputOffset,
      end: sp.end + inputOffset,
      outputStart: outLen,
      outputEnd: outLen + rep.length,
      rule: sp.rule,
      confidence: sp.confidence,
    });
    outLen += rep.length;
    pos = sp.end;
  }
  out += text.slice(pos);
  const counts: Partial<Record<EntityType, number>> = {};
  for (let k = 0; k < seen.length; k++) counts[seen[k] as EntityType] = seenCount[k] as number;
  return { text: out, replacements, counts };
}

/** The result with `language` first, as callers have always seen it; spelled out, not spread. */
function withLanguage(language: Language, out: ReturnType<typeof assemble>): RedactResult {
  return { language, text: out.text, replacements: out.replacements, counts: out.counts };
}

function prepare(text: string, options: RedactOptions) {
  if (typeof text !== 'string') throw new TypeError('redact: text must be a string');
  const policy = options.policy ?? DEFAULT_REDACTION_POLICY;
  const detectOptions: DetectOptions = {};
  if (options.language !== undefined) detectOptions.language = options.language;
  if (policy.minConfidence !== undefined) detectOptions.minConfidence = policy.minConfidence;
  const { spans, language } = detectWithLanguage(text, detectOptions);
  return { policy, language, spans };
}

/**
 * Detects and replaces personal data according to `policy` (default: tag everything).
 *
 * @example
 * ```ts
 * const out = await redact('my card is 4111 1111 1111 1111', { language: 'en' });
 * out.text; // 'my card is <CARD_NUMBER>'
 * out.counts; // { CARD_NUMBER: 1 }
 * ```
 */
export async function redact(text: string, options: RedactOptions = {}): Promise<RedactResult> {
  const { policy, language, spans } = prepare(text, options);
  const outputs = await Promise.all(spans.map((sp) => applyAsync(operatorFor(policy, sp.type), sp.type, text.slice(sp.start, sp.end), options.backend)));
  return withLanguage(language, assemble(text, spans, outputs, policy));
}

/** Throws redaction.async_operator if the policy names `encrypt` or `tokenize` anywhere. */
export function assertSyncPolicy(policy: RedactionPolicy): void {
  // The default policy is frozen through and names only `tag`: nothing to check on every call.
  if (policy === DEFAULT_REDACTION_POLICY) return;
  const ops = [policy.defaultOperator, ...Object.values(policy.operators)];
  const bad = ops.find((op) => op !== undefined && isAsyncOperator(op));
  if (bad !== undefined) throw new AppError(RedactionErrors.async_operator, { details: { operator: bad.kind } });
}

/**
 * {@link redact} without a promise, for `redact`, `mask`, `tag` and `hash`. A policy that names
 * `encrypt` or `tokenize` (for any type, whether or not the text holds one) throws
 * `redaction.async_operator`, so the outcome does not depend on the text.
 */
export function redactSync(text: string, options: RedactOptions = {}): RedactResult {
  assertSyncPolicy(options.policy ?? DEFAULT_REDACTION_POLICY);
  const { policy, language, spans } = prepare(text, options);
  // The operator is looked up once per type in the text; `tag` and `redact` do not read the
  // value, so their output is made once per type too, without copying values out of the text.
  const types: EntityType[] = [];
  const ops: Operator[] = [];
  const fixed: (string | null)[] = [];
  const outputs = new Array<string>(spans.length);
  for (let i = 0; i < spans.length; i++) {
    const sp = spans[i] as Span;
    let k = typeIndex(types, sp.type);
    if (k < 0) {
      k = types.length;
      const op = operatorFor(policy, sp.type);
      types.push(sp.type);
      ops.push(op);
      fixed.push(op.kind === 'tag' || op.kind === 'redact' ? applySync(op, sp.type, '', options.backend) : null);
    }
    outputs[i] = fixed[k] ?? applySync(ops[k] as Operator, sp.type, text.slice(sp.start, sp.end), options.backend);
  }
  return withLanguage(language, assemble(text, spans, outputs, policy));
}
