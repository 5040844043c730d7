/**
 * redaction: throughput and accuracy of the redaction engine (issue 8, "Measure"), side by side in
 * the same run with the JavaScript libraries `redact-pii` and `@openredaction/openredaction`.
 *
 * Corpus: the evaluation corpus (src/redaction/eval/corpus.ts), both template banks (held-out and
 * dev), `--per-language` samples per language each, generated deterministically from `--seed`.
 *
 * Throughput: MB of UTF-8 per CPU-second (user + system, process.cpuUsage; wall-clock rates are
 * printed too) on one core (everything runs in this thread), over the whole corpus, one call per
 * sample, `--rounds` rounds in which the engines take turns, one pass each (an engine slower than a
 * second a pass runs in three), after warm-up passes (at least 1.5 s of them, the same for every
 * engine); the median pass. A floor is timed in the same rounds (reading every code unit once): a
 * loaded machine shows as a low floor.
 * Engines: `custodia.detect` (language detected per sample, as in production when none is given),
 * `custodia.redactSync` (detect + tag operator, output assembled), `redact-pii` (SyncRedactor with
 * its built-in redactors; `redact()` returns text only) and `openredaction` (`detect()`, default
 * options). The ratio reported is custodia.redactSync against the faster library (target >= 3).
 *
 * Accuracy, type-agnostic so the three can be compared (their type sets differ): a gold span is
 * found when every letter and digit in it is inside some detection of the engine; a detection is
 * correct when it overlaps a gold span. For redact-pii, detections are recovered by aligning its
 * output with the input (it replaces each match with a marker character, set here with
 * `globalReplaceWith`). Also: recall on card numbers and on CPF/DNI/IBAN, and detections that touch
 * a hard negative (all kinds, and card-shaped ones). Custodia's typed strict scores (the eval's)
 * are printed too.
 *
 * Adversarial: 1 MB single-line inputs built to hurt backtracking or quadratic scanners (long digit
 * runs, digits and separators, '@' runs, colon runs, spoken-digit runs, street words, capitalised
 * words), each timed once through redactSync; MB/s reported (bounded by this benchmark, never
 * asserted in tests).
 *
 * Usage: npm run bench -- redaction [--per-language 400] [--seed 20260524] [--rounds 9]
 *                                    [--skip-libs] [--skip-adversarial]
 */
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { OpenRedaction } from '@openredaction/openredaction';
import { SyncRedactor } from 'redact-pii';
import { detect, redactSync } from '../src/redaction/index.js';
import { DEFAULT_SEED, generateCorpus, type Sample } from '../src/redaction/eval/corpus.js';
import { evaluate } from '../src/redaction/eval/metrics.js';
import { emitter, median, now, progressReporter, round1, round2, round3, round4 } from './lib/stats.js';

const BENCH = 'redaction';
const emit = emitter(BENCH);
const progress = progressReporter(BENCH);

const { values: args } = parseArgs({
  options: {
    'per-language': { type: 'string', default: '400' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    rounds: { type: 'string', default: '9' },
    'skip-libs': { type: 'boolean', default: false },
    'skip-adversarial': { type: 'boolean', default: false },
  },
});

interface Range {
  start: number;
  end: number;
}

interface Engine {
  name: string;
  /** What is timed. */
  run(text: string): unknown;
  /** Detections for the accuracy figures (not timed). */
  spans(text: string): Range[];
}

const MARK = '\u0001';

/** redact-pii gives text only: the spans are where its markers replaced input text. */
function alignMarkers(original: string, output: string): Range[] {
  const parts = output.split(MARK);
  const out: Range[] = [];
  let pos = 0;
  const first = parts[0] as string;
  pos = first.length;
  for (let k = 1; k < parts.length; k++) {
    const seg = parts[k] as string;
    // The replaced text ends where the next verbatim segment starts (searching from one past pos:
    // a match replaces at least one character).
    const at = seg.length === 0 ? (k === parts.length - 1 ? original.length : pos + 1) : original.indexOf(seg, pos + 1);
    const end = at < 0 ? original.length : at;
    out.push({ start: pos, end });
    pos = end + seg.length;
  }
  return out;
}

function isAlnum(c: string): boolean {
  return /[\p{L}\p{N}]/u.test(c);
}

interface Quality {
  goldFound: number;
  gold: number;
  predicted: number;
  predictedCorrect: number;
  cards: number;
  cardsFound: number;
  ids: number;
  idsFound: number;
  negatives: number;
  negativesHit: number;
  cardShapedNegatives: number;
  cardShapedHit: number;
}

function quality(samples: readonly Sample[], spansOf: (s: Sample) => Range[]): Quality {
  const q: Quality = { goldFound: 0, gold: 0, predicted: 0, predictedCorrect: 0, cards: 0, cardsFound: 0, ids: 0, idsFound: 0, negatives: 0, negativesHit: 0, cardShapedNegatives: 0, cardShapedHit: 0 };
  for (const s of samples) {
    const pred = spansOf(s);
    const covered = new Uint8Array(s.text.length);
    for (const p of pred) covered.fill(1, Math.max(0, p.start), Math.min(s.text.length, p.end));
    for (const g of s.gold) {
      let ok = true;
      for (let i = g.start; i < g.end; i++) if (covered[i] === 0 && isAlnum(s.text[i] as string)) ok = false;
      q.gold++;
      if (ok) q.goldFound++;
      if (g.type === 'CARD_NUMBER') {
        q.cards++;
        if (ok) q.cardsFound++;
      }
      if (g.type === 'CPF' || g.type === 'DNI' || g.type === 'IBAN') {
        q.ids++;
        if (ok) q.idsFound++;
      }
    }
    for (const p of pred) {
      if (p.end <= p.start) continue;
      q.predicted++;
      if (s.gold.some((g) => g.start < p.end && p.start < g.end)) q.predictedCorrect++;
    }
    for (const n of s.negatives) {
      const hit = pred.some((p) => p.start < n.end && n.start < p.end);
      q.negatives++;
      if (hit) q.negativesHit++;
      if (n.kind === 'cardlike' || n.kind === 'imei') {
        q.cardShapedNegatives++;
        if (hit) q.cardShapedHit++;
      }
    }
  }
  return q;
}

function summary(q: Quality) {
  const precision = q.predicted === 0 ? 1 : q.predictedCorrect / q.predicted;
  const recall = q.gold === 0 ? 1 : q.goldFound / q.gold;
  return {
    precision: round4(precision),
    recall: round4(recall),
    f1: round4(precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)),
    cardRecall: round4(q.cards === 0 ? 1 : q.cardsFound / q.cards),
    cpfDniIbanRecall: round4(q.ids === 0 ? 1 : q.idsFound / q.ids),
    hardNegativesHit: q.negativesHit,
    hardNegatives: q.negatives,
    cardShapedNegativesHit: q.cardShapedHit,
    cardShapedNegatives: q.cardShapedNegatives,
  };
}

/**
 * Passes run before timing, for at least this long (and at least one): V8 keeps optimising a
 * function over its first calls, and one pass over the corpus left the engine 20-40% short of
 * its steady rate in the first timed passes. Every engine, the libraries included, gets the same.
 */
const WARMUP_MS = 1500;

/** Whole passes over the corpus until WARMUP_MS have gone by; returns the mean milliseconds a pass. */
function warmUp(engine: Engine, texts: readonly string[]): number {
  const start = now();
  let passes = 0;
  do {
    for (const t of texts) engine.run(t);
    passes++;
  } while (now() < start + WARMUP_MS);
  return (now() - start) / passes;
}

interface Passes {
  wall: number[];
  cpu: number[];
}

/** One timed pass: wall seconds and CPU seconds (user + system). */
function timePass(engine: Engine, texts: readonly string[], into: Passes): void {
  const c0 = process.cpuUsage();
  const t0 = now();
  for (const t of texts) engine.run(t);
  into.wall.push((now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  into.cpu.push((c.user + c.system) / 1e6);
}

/**
 * Times every engine, `rounds` rounds of one pass each, the engines taking turns within a round:
 * the speed of a shared core drifts by tens of percent over a minute, and timing the engines one
 * after the other made the ratio between them follow the drift. An engine slower than a second a
 * pass runs in the first three rounds only, to keep the run short.
 */
function timeAll(engines: readonly Engine[], texts: readonly string[], rounds: number): Map<Engine, Passes> {
  const out = new Map<Engine, Passes>();
  const slow = new Set<Engine>();
  for (const engine of engines) {
    progress(`warming up ${engine.name}`);
    if (warmUp(engine, texts) > 1000) slow.add(engine);
    out.set(engine, { wall: [], cpu: [] });
  }
  for (let r = 0; r < rounds; r++) {
    progress(`timing round ${r + 1} of ${rounds}`);
    for (const engine of engines) if (r < 3 || !slow.has(engine)) timePass(engine, texts, out.get(engine) as Passes);
  }
  return out;
}

let sink = 0;

async function main(): Promise<void> {
  const perLanguage = Number(args['per-language']);
  const seed = Number(args.seed);
  const rounds = Number(args.rounds);
  const samples = [...generateCorpus({ seed, perLanguage, split: 'heldout' }), ...generateCorpus({ seed, perLanguage, split: 'dev' })];
  const texts = samples.map((s) => s.text);
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
  const mb = bytes / 1e6;
  emit({ kind: 'setup', samples: samples.length, mb: round3(mb), seed, rounds, node: process.version, cpu: cpus()[0]?.model ?? 'unknown' });

  const engines: Engine[] = [
    // The floor: reading every code unit once. On a shared machine its rate shows how fast this
    // core is right now; the engines' rates are best read as multiples of it.
    {
      name: 'baseline.charScan',
      run: (t) => {
        for (let i = 0; i < t.length; i++) sink += t.charCodeAt(i);
      },
      spans: () => [],
    },
    { name: 'custodia.detect', run: (t) => detect(t), spans: (t) => detect(t) },
    { name: 'custodia.redactSync', run: (t) => redactSync(t), spans: (t) => redactSync(t).replacements },
  ];
  if (!args['skip-libs']) {
    const redactPii = new SyncRedactor({ globalReplaceWith: MARK });
    engines.push({ name: 'redact-pii', run: (t) => redactPii.redact(t), spans: (t) => alignMarkers(t, redactPii.redact(t)) });
    const openRedaction = new OpenRedaction();
    engines.push({
      name: 'openredaction',
      run: (t) => openRedaction.detect(t),
      spans: (t) => openRedaction.detect(t).detections.map((d) => ({ start: d.position[0], end: d.position[1] })),
    });
  }

  const rates: Record<string, number> = {};
  const timed = timeAll(engines, texts, rounds);
  for (const engine of engines) {
    const passes = timed.get(engine) as Passes;
    const seconds = median(passes.cpu);
    rates[engine.name] = mb / seconds;
    if (engine.name.startsWith('baseline')) {
      emit({ kind: 'baseline', engine: engine.name, mbPerCpuSecond: round1(mb / seconds), mbPerWallSecond: round1(mb / median(passes.wall)), sink: sink % 2 });
      continue;
    }
    progress(`accuracy ${engine.name}`);
    const q = summary(quality(samples, (s) => engine.spans(s.text)));
    emit({ kind: 'engine', engine: engine.name, mbPerCpuSecond: round2(mb / seconds), mbPerWallSecond: round2(mb / median(passes.wall)), cpuSeconds: passes.cpu.map(round3), ...q });
  }

  const ours = rates['custodia.redactSync'] as number;
  const libs = Object.entries(rates).filter(([k]) => !k.startsWith('custodia') && !k.startsWith('baseline'));
  if (libs.length > 0) {
    const [fasterName, fasterRate] = libs.sort((a, b) => b[1] - a[1])[0] as [string, number];
    emit({ kind: 'ratio', ours: 'custodia.redactSync', baseline: fasterName, ratio: round2(ours / fasterRate), target: 3 });
  }
  const floor = rates['baseline.charScan'];
  if (floor !== undefined) {
    emit({ kind: 'ratio', ours: 'custodia.redactSync', baseline: 'baseline.charScan', ratio: round4(ours / floor), note: 'share of the one-pass floor on this core now' });
  }

  // Custodia's typed, strict scores, as npm run eval:redaction prints them.
  for (const split of ['heldout', 'dev'] as const) {
    const part = samples.filter((s) => s.id.startsWith(split));
    const e = evaluate(part, part.map((s) => detect(s.text)));
    emit({
      kind: 'typed',
      split,
      overall: { precision: round4(e.overall.strict.precision), recall: round4(e.overall.strict.recall), f1: round4(e.overall.strict.f1) },
      perType: Object.fromEntries(Object.entries(e.strict).map(([k, v]) => [k, { p: round3(v.precision), r: round3(v.recall), f1: round3(v.f1), n: v.support }])),
      hardNegativeHitsByType: e.hardNegatives.hitsByType,
    });
  }

  if (!args['skip-adversarial']) {
    const size = 1 << 20;
    const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
    const inputs: Record<string, string> = {
      digits: fill('4111111111111111'),
      'digit-groups': fill('4111 1111 1111 111'),
      'dots-dashes': fill('1.2-3/4 (5) '),
      'at-signs': fill('a@'),
      'at-dots': fill('a.b@c.'),
      colons: fill('a:b:'),
      'hex-colons': fill('fe80:'),
      'spoken-digits': fill('cuatro uno uno uno '),
      'street-words': fill('Calle Calle de la '),
      'capitalised-words': fill('Juan Pérez '),
      letters: fill('abcdefghijklmnopqrstuvwxyz'),
      'nbsp-fullwidth': fill('４１１１\u00a0'),
      'plus-paren': fill('+(1)'),
    };
    for (const [name, input] of Object.entries(inputs)) {
      const t0 = now();
      const out = redactSync(input, { language: 'es' });
      const seconds = (now() - t0) / 1000;
      emit({ kind: 'adversarial', input: name, mb: round3(Buffer.byteLength(input, 'utf8') / 1e6), seconds: round3(seconds), mbPerSecond: round1(Buffer.byteLength(input, 'utf8') / 1e6 / seconds), replacements: out.replacements.length });
    }
  }
}

await main();
