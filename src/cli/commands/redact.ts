/**
 * `custodia redact`: redacts personal data in a file or standard input, without a database or a
 * server: plain text (as a stream, so a value split across read buffers is still caught), JSON
 * lines (`--field`, a dotted path), or CSV (`--column`). Exit codes for CI-style use:
 * 0 nothing found, 1 something found (and redacted), 2 bad usage or input.
 */
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { csvRecords, jsonRecords, MAX_LINE_BYTES, type PhysicalLine, readLines } from '../../customers/import-source.js';
import { AppError, RequestErrors } from '../../platform/errors.js';
import {
  createHmacBackend,
  createStreamRedactor,
  DEFAULT_REDACTION_POLICY,
  type EntityType,
  type Language,
  LANGUAGES,
  type OperatorBackend,
  parseRedactionPolicy,
  policyUses,
  type RedactionPolicy,
  redactSync,
  type Replacement,
} from '../../redaction/index.js';

/** Exit code when something was found and redacted (0: nothing found; 2: usage or input error). */
export const EXIT_FOUND = 1;

const FORMATS = ['text', 'jsonl', 'csv'] as const;
type Format = (typeof FORMATS)[number];
/** Below this, a progress bar would only flicker. */
const PROGRESS_MIN_BYTES = 1_048_576;

interface RedactOptions {
  format?: string;
  field: string[];
  column: string[];
  language?: string;
  policy?: string;
  hmacKeyFile?: string;
  explain?: boolean;
  output?: string;
}

function usage(detail: string): AppError {
  return new AppError(RequestErrors.invalid, { detail });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function formatOf(file: string | undefined, given: string | undefined): Format {
  if (given !== undefined) {
    if (!(FORMATS as readonly string[]).includes(given)) throw usage('--format: text, jsonl or csv');
    return given as Format;
  }
  const ext = file === undefined ? '' : path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  return 'text';
}

function loadPolicy(file: string | undefined): RedactionPolicy {
  if (file === undefined) return DEFAULT_REDACTION_POLICY;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw usage(`--policy: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not a JSON document'}: ${file}`);
  }
  try {
    return parseRedactionPolicy(json);
  } catch (error) {
    if (error instanceof AppError) {
      const problems = ((error.details?.errors ?? []) as { path: string; message: string }[]).map((e) => `  ${e.path || '(document)'}: ${e.message}`);
      throw new AppError(RequestErrors.invalid, { detail: `--policy ${file} is not a valid redaction policy:\n${problems.join('\n')}` });
    }
    throw error;
  }
}

function loadBackend(policy: RedactionPolicy, keyFile: string | undefined): OperatorBackend | undefined {
  if (policyUses(policy, 'encrypt') || policyUses(policy, 'tokenize')) {
    throw usage('the encrypt and tokenize operators need the vault of a running server: use POST /v1/redact, or give these types tag, mask, redact or hash');
  }
  if (!policyUses(policy, 'hash')) return undefined;
  if (keyFile === undefined) throw usage('the policy uses hash: give the HMAC key with --hmac-key-file FILE (at least 16 bytes; 32 random bytes recommended)');
  let key: Buffer;
  try {
    key = readFileSync(keyFile);
  } catch {
    throw usage(`--hmac-key-file: cannot read ${keyFile}`);
  }
  // A key written with `echo` ends with a newline that is not part of it.
  if (key.at(-1) === 0x0a) key = key.subarray(0, key.length - 1);
  if (key.length < 16) throw usage('--hmac-key-file: the key must have at least 16 bytes');
  return createHmacBackend(key);
}

/** Progress on standard error, only on a terminal and for a file large enough to wait for. */
function progress(totalBytes: number | undefined): { update: (bytes: number) => void; done: () => void } {
  const on = process.stderr.isTTY === true && totalBytes !== undefined && totalBytes >= PROGRESS_MIN_BYTES;
  let last = -1;
  return {
    update(bytes) {
      if (!on || totalBytes === undefined) return;
      const percent = Math.min(100, Math.floor((bytes / totalBytes) * 100));
      if (percent === last) return;
      last = percent;
      const filled = Math.round(percent / 5);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${String(percent).padStart(3)}%  redacting\u001b[K`);
    },
    done() {
      if (on && last >= 0) process.stderr.write('\n');
    },
  };
}

/** Counts and, with --explain, one line per replacement: where, what, which rule; never the value. */
class Findings {
  readonly counts: Partial<Record<EntityType, number>> = {};
  constructor(private readonly explain: boolean) {}

  add(where: string, replacements: readonly Replacement[]): void {
    for (const r of replacements) {
      this.counts[r.type] = (this.counts[r.type] ?? 0) + 1;
      if (this.explain) process.stderr.write(`${where}: ${r.type} at ${r.start}-${r.end}, rule ${r.rule}, confidence ${r.confidence.toFixed(2)}, ${r.operator}\n`);
    }
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, n) => a + (n ?? 0), 0);
  }

  summary(): void {
    if (!this.explain) return;
    const parts = Object.entries(this.counts).map(([type, n]) => `${type} ${n}`);
    process.stderr.write(`redact: ${this.total === 0 ? 'nothing found' : `found ${parts.join(', ')}`}\n`);
  }
}

interface Output {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

function openOutput(file: string | undefined): Output {
  const stream: NodeJS.WritableStream = file === undefined ? process.stdout : createWriteStream(file, { mode: 0o600 });
  return {
    write(text) {
      if (text.length === 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const ok = stream.write(text, (error) => (error ? reject(error) : undefined));
        if (ok) resolve();
        else stream.once('drain', () => resolve());
      });
    },
    close() {
      if (file === undefined) return Promise.resolve();
      return new Promise((resolve, reject) => (stream as WriteStream).end((error?: Error | null) => (error ? reject(error) : resolve())));
    },
  };
}

/** Line numbers of stream offsets, for --explain on plain text. */
function lineOf(newlines: readonly number[], offset: number): number {
  let lo = 0;
  let hi = newlines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((newlines[mid] as number) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

async function redactText(input: string | undefined, out: Output, args: { policy: RedactionPolicy; backend: OperatorBackend | undefined; language: Language | undefined; findings: Findings; explain: boolean; bar: ReturnType<typeof progress> }): Promise<void> {
  const stream = createStreamRedactor({ policy: args.policy, ...(args.backend === undefined ? {} : { backend: args.backend }), ...(args.language === undefined ? {} : { language: args.language }) });
  const source = input === undefined ? process.stdin : createReadStream(input);
  source.setEncoding('utf8');
  const newlines: number[] = [];
  let offset = 0;
  let bytes = 0;
  for await (const chunk of source as AsyncIterable<string>) {
    if (args.explain) for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) newlines.push(offset + i);
    offset += chunk.length;
    bytes += Buffer.byteLength(chunk, 'utf8');
    args.bar.update(bytes);
    await out.write(await stream.push(chunk));
  }
  await out.write(await stream.end());
  const byLine = new Map<number, Replacement[]>();
  for (const r of stream.replacements) {
    const line = lineOf(newlines, r.start);
    byLine.set(line, [...(byLine.get(line) ?? []), r]);
  }
  for (const [line, reps] of byLine) args.findings.add(`line ${line}`, reps);
}

/** The parts of a dotted path (`a.b.0.c`). */
function pathParts(field: string): string[] {
  const parts = field.split('.');
  if (parts.some((p) => p.length === 0)) throw usage(`--field ${field}: a dotted path such as message.text`);
  return parts;
}

/** Redacts every string (and number) under `value`; returns the new value and whether it changed. */
function redactValue(value: unknown, redactOne: (text: string) => string | undefined): { value: unknown; changed: boolean } {
  if (typeof value === 'string') {
    const out = redactOne(value);
    return out === undefined ? { value, changed: false } : { value: out, changed: true };
  }
  // A card number written as a JSON number is still a card number.
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    const out = redactOne(String(value));
    return out === undefined ? { value, changed: false } : { value: out, changed: true };
  }
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((v) => {
      const r = redactValue(v, redactOne);
      changed ||= r.changed;
      return r.value;
    });
    return { value: items, changed };
  }
  if (typeof value === 'object' && value !== null) {
    let changed = false;
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = redactValue(v, redactOne);
      changed ||= r.changed;
      copy[k] = r.value;
    }
    return { value: copy, changed };
  }
  return { value, changed: false };
}

function redactAtPath(holder: unknown, parts: readonly string[], redactOne: (text: string) => string | undefined): boolean {
  if (typeof holder !== 'object' || holder === null) return false;
  const [head, ...rest] = parts as [string, ...string[]];
  const container = holder as Record<string, unknown>;
  if (!Object.hasOwn(container, head)) return false;
  if (rest.length > 0) return redactAtPath(container[head], rest, redactOne);
  const r = redactValue(container[head], redactOne);
  if (r.changed) container[head] = r.value;
  return r.changed;
}

/**
 * Standard input as the numbered lines readLines gives for a file (readLines opens a path, and
 * /dev/stdin cannot be opened when standard input is a socket).
 */
async function* stdinLines(): AsyncGenerator<PhysicalLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let number = 0;
  let parts: Buffer[] = [];
  let length = 0;
  let tooLong = false;
  const add = (piece: Buffer): void => {
    length += piece.length;
    // Bounded memory: a line past the limit is refused when it ends; its bytes are not kept.
    if (length > MAX_LINE_BYTES) {
      tooLong = true;
      parts = [];
    } else parts.push(piece);
  };
  const finish = (): PhysicalLine => {
    number += 1;
    let raw = Buffer.concat(parts);
    const long = tooLong;
    parts = [];
    length = 0;
    tooLong = false;
    if (long) return { number, text: '', problem: 'too_long' };
    if (raw.at(-1) === 0x0d) raw = raw.subarray(0, raw.length - 1);
    try {
      return { number, text: decoder.decode(raw) };
    } catch {
      return { number, text: '', problem: 'encoding' };
    }
  };
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
      add(chunk.subarray(start, i));
      yield finish();
      start = i + 1;
    }
    if (start < chunk.length) add(chunk.subarray(start));
  }
  if (length > 0 || tooLong) yield finish();
}

function csvCell(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

export function redactCommand(program: Command): void {
  program
    .command('redact')
    .description('Redact personal data (cards, ids, phones, emails, names...) in a file or standard input. No database or server needed.')
    .argument('[file]', 'the input file (default: standard input)')
    .option('--format <format>', 'text, jsonl or csv (default: from the file name; text for standard input)')
    .option('--field <path>', 'jsonl: the dotted path of a field to redact (repeatable); every string under it is redacted', collect, [])
    .option('--column <name>', 'csv: a column to redact, by its header name (repeatable)', collect, [])
    .option('--language <language>', 'es, pt or en (default: detected)')
    .option('--policy <file>', 'a JSON redaction policy ({"operators": {...}, "defaultOperator": {...}}); default: every value becomes its type tag')
    .option('--hmac-key-file <file>', 'the key for the hash operator (at least 16 bytes)')
    .option('--explain', 'print what fired to standard error (type, offsets, rule, confidence; never the values)')
    .option('--output <file>', 'write here (created 0600) instead of standard output')
    .addHelpText(
      'after',
      `
Formats:
  text   the whole input as one stream (a value split across read buffers is still found)
  jsonl  one JSON object per line; --field names what to redact (message.text, a.b.0.c)
  csv    RFC 4180 with a header row; --column names the columns to redact

Operators in --policy: redact, mask, tag, hash (needs --hmac-key-file). encrypt and tokenize
need a server's vault: use POST /v1/redact for them.

Exit codes: 0 nothing found, 1 something found (and redacted), 2 bad usage or input
(unknown option, unreadable file, malformed JSON line or CSV record, invalid policy).
A progress bar is drawn on standard error for files over 1 MiB when it is a terminal.

Examples:
  custodia redact chat.txt > chat.redacted.txt
  custodia redact --field message.text --explain events.jsonl --output clean.jsonl
  cat export.csv | custodia redact --format csv --column notes --column email`,
    )
    .action(async (file: string | undefined, options: RedactOptions) => {
      const input = file === undefined || file === '-' ? undefined : file;
      if (input !== undefined && (!existsSync(input) || !statSync(input).isFile())) throw usage(`no such file: ${input}`);
      const format = formatOf(input, options.format);
      if (options.language !== undefined && !(LANGUAGES as readonly string[]).includes(options.language)) throw usage('--language: es, pt or en');
      const language = options.language as Language | undefined;
      if (format === 'jsonl' && options.field.length === 0) throw usage('jsonl: name the field(s) to redact with --field path.to.field');
      if (format === 'csv' && options.column.length === 0) throw usage('csv: name the column(s) to redact with --column NAME');
      if (format !== 'jsonl' && options.field.length > 0) throw usage('--field is for --format jsonl');
      if (format !== 'csv' && options.column.length > 0) throw usage('--column is for --format csv');
      const paths = options.field.map(pathParts);
      const policy = loadPolicy(options.policy);
      const backend = loadBackend(policy, options.hmacKeyFile);
      const explain = options.explain === true;
      const findings = new Findings(explain);
      const bar = progress(input === undefined ? undefined : statSync(input).size);
      const out = openOutput(options.output);
      const redactOne = (where: string) => (text: string): string | undefined => {
        const r = redactSync(text, { policy, ...(backend === undefined ? {} : { backend }), ...(language === undefined ? {} : { language }) });
        if (r.replacements.length === 0) return undefined;
        findings.add(where, r.replacements);
        return r.text;
      };
      try {
        if (format === 'text') {
          await redactText(input, out, { policy, backend, language, findings, explain, bar });
        } else if (format === 'jsonl') {
          for await (const record of jsonRecords(input === undefined ? stdinLines() : readLines(input, bar.update))) {
            if (record.problem !== undefined) throw usage(`line ${record.line}: ${record.problem === 'json' ? 'not valid JSON' : record.problem === 'not_an_object' ? 'not a JSON object' : 'unreadable (too long, or not UTF-8)'}`);
            for (const [i, parts] of paths.entries()) redactAtPath(record.value, parts, redactOne(`line ${record.line} ${options.field[i] ?? ''}`));
            await out.write(`${JSON.stringify(record.value)}\n`);
          }
        } else {
          let columns: number[] | undefined;
          let names: string[] = [];
          for await (const record of csvRecords(input === undefined ? stdinLines() : readLines(input, bar.update))) {
            if (record.problem !== undefined) throw usage(`line ${record.line}: ${record.problem === 'csv_quotes' ? 'malformed CSV record (quotes)' : 'unreadable (too long, or not UTF-8)'}`);
            if (columns === undefined) {
              names = record.value.map((h) => h.trim());
              columns = options.column.map((name) => {
                const at = names.indexOf(name);
                if (at === -1) throw usage(`--column ${name}: not in the header (${names.length} columns)`);
                return at;
              });
              await out.write(`${record.value.map(csvCell).join(',')}\n`);
              continue;
            }
            const cells = [...record.value];
            for (const at of columns) {
              const cell = cells[at];
              if (cell === undefined) continue;
              const redacted = redactOne(`line ${record.line} ${names[at] ?? ''}`)(cell);
              if (redacted !== undefined) cells[at] = redacted;
            }
            await out.write(`${cells.map(csvCell).join(',')}\n`);
          }
          if (columns === undefined && options.column.length > 0) throw usage('csv: the input has no header row');
        }
      } finally {
        bar.done();
        await out.close();
      }
      findings.summary();
      if (findings.total > 0) process.exitCode = EXIT_FOUND;
    });
}
