/**
 * Reading import files: RFC 4180 CSV with the line each record starts on, recovery after a
 * malformed record without losing the good rows after it, JSON lines, long lines, bad UTF-8.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvRecords, jsonRecords, MAX_LINE_BYTES, parseCsvRecord, readLines, type SourceRecord } from '../../src/customers/import-source.js';
import { makeTempDir, removeTempDirs } from '../helpers/cli.js';

afterAll(() => removeTempDirs());

const dir = makeTempDir('custodia-import-source-');
let n = 0;
function file(content: string | Buffer): string {
  const name = path.join(dir, `f${n++}`);
  writeFileSync(name, content);
  return name;
}

async function all<T>(records: AsyncIterable<SourceRecord<T>>): Promise<SourceRecord<T>[]> {
  const out: SourceRecord<T>[] = [];
  for await (const r of records) out.push(r);
  return out;
}

describe('parseCsvRecord', () => {
  it.each<[string, ReturnType<typeof parseCsvRecord>]>([
    ['a,b,c', { kind: 'record', cells: ['a', 'b', 'c'] }],
    ['a,,', { kind: 'record', cells: ['a', '', ''] }],
    ['"a,b","say ""hi""",c', { kind: 'record', cells: ['a,b', 'say "hi"', 'c'] }],
    ['"multi\nline",x', { kind: 'record', cells: ['multi\nline', 'x'] }],
    ['"open\nstill', { kind: 'open' }],
    ['"closed"x,y', { kind: 'malformed' }],
    ['a"b,c', { kind: 'malformed' }],
    ['""', { kind: 'record', cells: [''] }],
  ])('%j', (text, expected) => {
    expect(parseCsvRecord(text)).toEqual(expected);
  });
});

describe('CSV records', () => {
  it('carry the line they start on, across CRLF, LF, blank lines, quoted line breaks and a BOM', async () => {
    const records = await all(csvRecords(readLines(file('\uFEFFcustomer_number,note\r\nC1,"two\r\nlines"\r\n\r\nC2,plain\nC3,"x"\n'))));
    expect(records).toEqual([
      { line: 1, value: ['customer_number', 'note'] },
      { line: 2, value: ['C1', 'two\nlines'] },
      { line: 5, value: ['C2', 'plain'] },
      { line: 6, value: ['C3', 'x'] },
    ]);
  });

  it('report a stray quote at its line and go on with the next line', async () => {
    const records = await all(csvRecords(readLines(file('h1,h2\nA,"bad"x\nB,ok\nC,"fine"\n'))));
    expect(records).toEqual([{ line: 1, value: ['h1', 'h2'] }, { line: 2, problem: 'csv_quotes' }, { line: 3, value: ['B', 'ok'] }, { line: 4, value: ['C', 'fine'] }]);
  });

  it('report an unclosed quote at its line and read every later line again', async () => {
    const records = await all(csvRecords(readLines(file('h1,h2\nA,"never closed\nB,ok\nC,ok\n'))));
    expect(records).toEqual([{ line: 1, value: ['h1', 'h2'] }, { line: 2, problem: 'csv_quotes' }, { line: 3, value: ['B', 'ok'] }, { line: 4, value: ['C', 'ok'] }]);
  });

  it('refuse a line over 1 MiB without keeping it, and bad UTF-8, each at its own line', async () => {
    const long = 'x'.repeat(MAX_LINE_BYTES + 10);
    const bytes = Buffer.concat([Buffer.from(`h\n${long}\nok\n`), Buffer.from([0xc3, 0x28, 0x0a]), Buffer.from('last')]);
    expect(await all(csvRecords(readLines(file(bytes))))).toEqual([
      { line: 1, value: ['h'] },
      { line: 2, problem: 'too_long' },
      { line: 3, value: ['ok'] },
      { line: 4, problem: 'encoding' },
      { line: 5, value: ['last'] },
    ]);
  });
});

describe('JSON lines', () => {
  it('are objects, one per line; other lines are reported by reason', async () => {
    const records = await all(jsonRecords(readLines(file('{"a":1}\n\n[1]\n{broken\n"text"\n{"b":2}'))));
    expect(records).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 3, problem: 'not_an_object' },
      { line: 4, problem: 'json' },
      { line: 5, problem: 'not_an_object' },
      { line: 6, value: { b: 2 } },
    ]);
  });
});
