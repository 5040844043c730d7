/**
 * Scores detections against the corpus' gold spans.
 *
 * - strict: a detection is a true positive when a gold span has the same type and exactly the
 *   same offsets (the headline figures);
 * - relaxed: same type and any overlap (boundaries of names and addresses are a matter of
 *   convention; relaxed shows how much of the strict loss is only that);
 * - coverage: the share of gold characters that fall inside some detection of any type, which is
 *   what matters for privacy (a CPF reported as a phone is still hidden);
 * - hard-negative hits: detections overlapping a marked hard negative, by detected type.
 */
import { ENTITY_TYPES, type EntityType, type Span } from '../types.js';
import type { Sample } from './corpus.js';

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

export interface TypeScore extends Counts {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  strict: Record<string, TypeScore>;
  relaxed: Record<string, TypeScore>;
  overall: { strict: TypeScore; relaxed: TypeScore };
  coverage: number;
  hardNegatives: { total: number; hit: number; hitsByType: Partial<Record<EntityType, number>>; byKind: Record<string, { total: number; hit: number }> };
  languageAccuracy: number;
  samples: number;
  characters: number;
}

function score(c: Counts): TypeScore {
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { ...c, precision, recall, f1, support: c.tp + c.fn };
}

function emptyCounts(): Record<string, Counts> {
  return Object.fromEntries(ENTITY_TYPES.map((t) => [t, { tp: 0, fp: 0, fn: 0 }]));
}

/** Matches predictions to gold one-to-one; `match` decides whether a pair may match. */
function tally(gold: readonly { type: EntityType; start: number; end: number }[], pred: readonly Span[], counts: Record<string, Counts>, match: (g: { start: number; end: number }, p: Span) => boolean): void {
  const used = new Array<boolean>(pred.length).fill(false);
  for (const g of gold) {
    let found = -1;
    for (let i = 0; i < pred.length; i++) {
      const p = pred[i] as Span;
      if (!used[i] && p.type === g.type && match(g, p)) {
        found = i;
        break;
      }
    }
    const c = counts[g.type] as Counts;
    if (found >= 0) {
      used[found] = true;
      c.tp++;
    } else c.fn++;
  }
  for (let i = 0; i < pred.length; i++) if (!used[i]) (counts[(pred[i] as Span).type] as Counts).fp++;
}

export function evaluate(samples: readonly Sample[], predictions: readonly Span[][], languages?: readonly string[]): Evaluation {
  const strict = emptyCounts();
  const relaxed = emptyCounts();
  let goldChars = 0;
  let coveredChars = 0;
  let chars = 0;
  let langOk = 0;
  const hn = { total: 0, hit: 0, hitsByType: {} as Partial<Record<EntityType, number>>, byKind: {} as Record<string, { total: number; hit: number }> };
  samples.forEach((s, k) => {
    const pred = predictions[k] as Span[];
    chars += s.text.length;
    if (languages !== undefined && languages[k] === s.language) langOk++;
    tally(s.gold, pred, strict, (g, p) => g.start === p.start && g.end === p.end);
    tally(s.gold, pred, relaxed, (g, p) => g.start < p.end && p.start < g.end);
    for (const g of s.gold) {
      goldChars += g.end - g.start;
      for (const p of pred) coveredChars += Math.max(0, Math.min(g.end, p.end) - Math.max(g.start, p.start));
    }
    for (const n of s.negatives) {
      hn.total++;
      const kind = (hn.byKind[n.kind] ??= { total: 0, hit: 0 });
      kind.total++;
      const hits = pred.filter((p) => p.start < n.end && n.start < p.end);
      if (hits.length > 0) {
        hn.hit++;
        kind.hit++;
        for (const h of hits) hn.hitsByType[h.type] = (hn.hitsByType[h.type] ?? 0) + 1;
      }
    }
  });
  const sum = (c: Record<string, Counts>) => Object.values(c).reduce((a, b) => ({ tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn }), { tp: 0, fp: 0, fn: 0 });
  const scored = (c: Record<string, Counts>) => Object.fromEntries(Object.entries(c).filter(([, v]) => v.tp + v.fp + v.fn > 0).map(([k, v]) => [k, score(v)]));
  return {
    strict: scored(strict),
    relaxed: scored(relaxed),
    overall: { strict: score(sum(strict)), relaxed: score(sum(relaxed)) },
    coverage: goldChars === 0 ? 1 : coveredChars / goldChars,
    hardNegatives: hn,
    languageAccuracy: languages === undefined ? NaN : langOk / samples.length,
    samples: samples.length,
    characters: chars,
  };
}

const pct = (x: number) => (x * 100).toFixed(1).padStart(6);

/** A fixed-width table of the strict scores, with the relaxed F1 beside them. */
export function formatTable(e: Evaluation): string {
  const lines = ['type            support     P       R      F1   | relaxed F1'];
  for (const [type, s] of Object.entries(e.strict)) {
    const r = e.relaxed[type] as TypeScore;
    lines.push(`${type.padEnd(15)} ${String(s.support).padStart(7)} ${pct(s.precision)} ${pct(s.recall)} ${pct(s.f1)}   | ${pct(r.f1)}`);
  }
  const o = e.overall.strict;
  lines.push(`${'OVERALL'.padEnd(15)} ${String(o.support).padStart(7)} ${pct(o.precision)} ${pct(o.recall)} ${pct(o.f1)}   | ${pct(e.overall.relaxed.f1)}`);
  lines.push(`character coverage of gold spans (any type): ${pct(e.coverage)}%`);
  lines.push(`hard negatives: ${e.hardNegatives.hit}/${e.hardNegatives.total} touched; by detected type ${JSON.stringify(e.hardNegatives.hitsByType)}`);
  if (!Number.isNaN(e.languageAccuracy)) lines.push(`language detection accuracy: ${pct(e.languageAccuracy)}%`);
  return lines.join('\n');
}
