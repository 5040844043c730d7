/**
 * `npm run eval:redaction [-- --per-language N] [--seed S] [--json-only] [--errors N --split dev|heldout]`:
 * generates the corpus (held-out and dev template banks),
 * runs detect() on every sample (language detected, as in production when none is given), and
 * prints precision, recall and F1 per entity type as a table, then the same as one JSON line.
 */
import { parseArgs } from 'node:util';
import { detect } from '../detect.js';
import { detectLanguage } from '../language.js';
import { DEFAULT_SEED, generateCorpus } from './corpus.js';
import { evaluate, formatTable } from './metrics.js';

const { values } = parseArgs({
  options: {
    'per-language': { type: 'string', default: '600' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    'json-only': { type: 'boolean', default: false },
    errors: { type: 'string', default: '0' },
    split: { type: 'string', default: 'heldout' },
  },
});

function run(split: 'dev' | 'heldout') {
  const samples = generateCorpus({ seed: Number(values.seed), perLanguage: Number(values['per-language']), split });
  const languages = samples.map((s) => detectLanguage(s.text));
  const predictions = samples.map((s, k) => detect(s.text, { language: languages[k] }));
  return { samples, predictions, result: evaluate(samples, predictions, languages) };
}

const dev = run('dev');
const heldout = run('heldout');
if (!values['json-only']) {
  for (const [name, r] of [['held-out templates (headline: never used to tune the detectors)', heldout], ['dev templates (the detectors were tuned on these)', dev]] as const) {
    process.stdout.write(`\nredaction eval, ${name}: ${r.samples.length} samples, ${(r.result.characters / 1e6).toFixed(2)} MB, seed ${values.seed}\n`);
    process.stdout.write(`${formatTable(r.result)}\n`);
  }
}
const { samples, predictions } = values.split === 'dev' ? dev : heldout;
// With --errors N, print up to N misses and false alarms (for the detector's developers).
const maxErrors = Number(values.errors);
if (maxErrors > 0) {
  let shown = 0;
  for (let k = 0; k < samples.length && shown < maxErrors; k++) {
    const s = samples[k]!;
    const pred = predictions[k]!;
    for (const g of s.gold) {
      if (!pred.some((p) => p.type === g.type && p.start === g.start && p.end === g.end)) {
        const near = pred.find((p) => p.start < g.end && g.start < p.end);
        process.stdout.write(`MISS ${g.type} ${JSON.stringify(s.text.slice(g.start, g.end))} in ${JSON.stringify(s.text.slice(Math.max(0, g.start - 40), g.end + 20))}${near ? ` got ${near.type} ${JSON.stringify(s.text.slice(near.start, near.end))}` : ''}\n`);
        shown++;
      }
    }
    for (const p of pred) {
      if (!s.gold.some((g) => p.type === g.type && p.start === g.start && p.end === g.end)) {
        process.stdout.write(`FALSE ${p.type} ${p.rule} ${JSON.stringify(s.text.slice(p.start, p.end))} in ${JSON.stringify(s.text.slice(Math.max(0, p.start - 40), p.end + 20))}\n`);
        shown++;
      }
    }
  }
}
process.stdout.write(`${JSON.stringify({ eval: 'redaction', seed: Number(values.seed), heldout: heldout.result, dev: dev.result })}\n`);
