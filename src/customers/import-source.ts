/**
 * Reading an import file as numbered records: CSV (RFC 4180) or JSON lines. Streaming, with
 * bounded memory: a line longer than {@link MAX_LINE_BYTES} or a quoted CSV field spanning more
 * than {@link MAX_RECORD_LINES} lines is refused, not buffered.
 *
 * Every line of the file is accounted for: it is part of a record that is yielded, blank, or in a
 * record reported as malformed. After a malformed CSV record (a stray or unclosed quote), reading
 * resumes at the line after the one the record started on, so one bad quote cannot swallow the
 * good rows after it. (That recovery is why this is not a general-purpose CSV library: the ones
 * tried either stop at the first malformed record or silently drop the rows that follow it.)
 *
 * Nothing here ever puts a cell's content in an error: errors carry a line number and a reason.
 */
import { createReadStream } from 'node:fs';

export const MAX_LINE_BYTES = 1024 * 1024;
export const MAX_RECORD_LINES = 100;

export interface PhysicalLine {
  /** 1-based. */
  readonly number: number;
  readonly text: string;
  /** Set when the line could not be read: it was too long, or not UTF-8. */
  readonly problem?: 'too_long' | 'encoding';
}

/** Why a record could not be read (`reason` of a `malformed_record` row error). */
export type RecordProblem = 'too_long' | 'encoding' | 'csv_quotes' | 'json' | 'not_an_object';

export type SourceRecord<T> = { readonly line: number; readonly value: T; readonly problem?: undefined } | { readonly line: number; readonly problem: RecordProblem; readonly value?: undefined };

/**
 * The lines of a file, split on LF (a CR before it is dropped), as UTF-8. `onBytes` reports how
 * many bytes of the file the lines yielded so far take (for progress).
 */
export async function* readLines(file: string, onBytes?: (bytes: number) => void): AsyncGenerator<PhysicalLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let number = 0;
  let parts: Buffer[] = [];
  let length = 0;
  let tooLong = false;
  let consumed = 0;
  let lineBytes = 0;
  const finish = (): PhysicalLine => {
    number += 1;
    consumed += lineBytes;
    lineBytes = 0;
    onBytes?.(consumed);
    if (tooLong) return { number, text: '', problem: 'too_long' };
    let raw = Buffer.concat(parts, length);
    if (raw.length > 0 && raw[raw.length - 1] === 0x0d) raw = raw.subarray(0, raw.length - 1);
    try {
      // Each line is decoded on its own, so a leading byte-order mark (of the file) is dropped.
      return { number, text: decoder.decode(raw) };
    } catch {
      return { number, text: '', problem: 'encoding' };
    }
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
      lineBytes += i + 1 - start;
      if (!tooLong) {
        parts.push(chunk.subarray(start, i));
        length += i - start;
        if (length > MAX_LINE_BYTES) tooLong = true;
      }
      yield finish();
      parts = [];
      length = 0;
      tooLong = false;
      start = i + 1;
    }
    if (start < chunk.length) lineBytes += chunk.length - start;
    if (start < chunk.length && !tooLong) {
      parts.push(chunk.subarray(start));
      length += chunk.length - start;
      if (length > MAX_LINE_BYTES) {
        tooLong = true;
        parts = [];
      }
    }
  }
  if (lineBytes > 0) yield finish();
}

type Parsed = { readonly kind: 'record'; readonly cells: string[] } | { readonly kind: 'open' } | { readonly kind: 'malformed' };

/**
 * Parses one CSV record from `text` (which may hold line breaks inside quoted fields). RFC 4180:
 * fields separated by commas; a quoted field starts and ends with `"`, doubling `"` inside; a
 * closing quote is followed by a comma or the end; an unquoted field has no quote. `open`: the
 * text ends inside a quoted field (the record continues on the next line).
 */
export function parseCsvRecord(text: string): Parsed {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let cell = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return { kind: 'open' };
        cell += text.slice(j, q);
        if (text[q + 1] === '"') {
          cell += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      cells.push(cell);
      if (i === text.length) return { kind: 'record', cells };
      if (text[i] !== ',') return { kind: 'malformed' };
      i += 1;
      continue;
    }
    const comma = text.indexOf(',', i);
    const cell = comma === -1 ? text.slice(i) : text.slice(i, comma);
    if (cell.includes('"')) return { kind: 'malformed' };
    cells.push(cell);
    if (comma === -1) return { kind: 'record', cells };
    i = comma + 1;
  }
}

/**
 * CSV records with the line each starts on. Blank lines between records are skipped. A malformed
 * record is reported at its first line, and reading resumes on the line after it.
 */
export async function* csvRecords(lines: AsyncIterable<PhysicalLine>): AsyncGenerator<SourceRecord<string[]>> {
  const iterator = lines[Symbol.asyncIterator]();
  // Lines taken back after a malformed record, to be read again.
  const replay: PhysicalLine[] = [];
  const next = async (): Promise<PhysicalLine | undefined> => {
    const again = replay.shift();
    if (again !== undefined) return again;
    const step = await iterator.next();
    return step.done === true ? undefined : step.value;
  };
  let pending: PhysicalLine[] = [];
  for (;;) {
    const line = await next();
    if (line === undefined) break;
    if (pending.length === 0 && line.problem === undefined && line.text.trim().length === 0) continue;
    if (line.problem !== undefined) {
      if (pending.length === 0) {
        yield { line: line.number, problem: line.problem };
        continue;
      }
      // A record cannot continue over an unreadable line.
      const [first, ...rest] = pending;
      pending = [];
      replay.unshift(...rest, line);
      if (first !== undefined) yield { line: first.number, problem: 'csv_quotes' };
      continue;
    }
    pending.push(line);
    const parsed = parseCsvRecord(pending.map((l) => l.text).join('\n'));
    if (parsed.kind === 'record') {
      yield { line: pending[0]?.number ?? line.number, value: parsed.cells };
      pending = [];
    } else if (parsed.kind === 'malformed' || pending.length >= MAX_RECORD_LINES) {
      const [first, ...rest] = pending;
      pending = [];
      replay.unshift(...rest);
      if (first !== undefined) yield { line: first.number, problem: 'csv_quotes' };
    }
  }
  if (pending.length > 0) {
    // The file ended inside a quoted field: the record is malformed, its other lines are read again.
    const [first, ...rest] = pending;
    if (first !== undefined) yield { line: first.number, problem: 'csv_quotes' };
    for await (const record of csvRecords(arrayLines(rest))) yield record;
  }
}

async function* arrayLines(lines: readonly PhysicalLine[]): AsyncGenerator<PhysicalLine> {
  yield* lines;
}

/** JSON lines: one object per line; blank lines are skipped. */
export async function* jsonRecords(lines: AsyncIterable<PhysicalLine>): AsyncGenerator<SourceRecord<Record<string, unknown>>> {
  for await (const line of lines) {
    if (line.problem !== undefined) {
      yield { line: line.number, problem: line.problem };
      continue;
    }
    if (line.text.trim().length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      yield { line: line.number, problem: 'json' };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line: line.number, problem: 'not_an_object' };
      continue;
    }
    yield { line: line.number, value: value as Record<string, unknown> };
  }
}
