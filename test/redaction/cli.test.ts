/**
 * `custodia redact` as CI jobs and operators run it: the built bin/custodia.js in a child process,
 * on files and standard input, in its three formats, with policies, --explain and the exit codes
 * (0 nothing found, 1 found and redacted, 2 usage or input error). No database is involved.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv, CLI, makeTempDir, removeTempDirs } from '../helpers/cli.js';

afterAll(() => {
  removeTempDirs();
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function redact(args: readonly string[], input?: string): Run {
  const res = spawnSync(process.execPath, [CLI, 'redact', ...args], { env: childEnv(), input: input ?? '', encoding: 'utf8', timeout: 90_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const dir = makeTempDir('custodia-redact-');
function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

const CARD = '4111 1111 1111 1111';
const DNI = '12345678Z';
const EMAIL = 'ana.perez@correo.example';
const CHAT = `Hola, mi tarjeta es ${CARD} y mi DNI ${DNI}.\nEl pedido 12345 llega el martes.\n`;

function noValues(text: string): void {
  expect(text).not.toContain(CARD);
  expect(text).not.toContain('4111111111111111');
  expect(text).not.toContain(DNI);
  expect(text).not.toContain(EMAIL);
}

describe('custodia redact', { timeout: 300_000 }, () => {
  it('text: redacted to stdout, exit 1 when something was found, 0 (and the text unchanged) when nothing was', () => {
    const found = redact([file('chat.txt', CHAT)]);
    expect(found.code, found.stderr).toBe(1);
    expect(found.stdout).toBe('Hola, mi tarjeta es <CARD_NUMBER> y mi DNI <DNI>.\nEl pedido 12345 llega el martes.\n');
    const clean = 'El pedido 12345 llega el martes a las 10:30.\n';
    const none = redact([], clean);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe(clean);
    expect(none.stderr).toBe('');
  });

  it('standard input in pieces: a card number split between two writes is still caught', async () => {
    const child = spawn(process.execPath, [CLI, 'redact', '--language', 'en'], { env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    child.stdin.write('my card is 4111 1111 ');
    await new Promise((r) => setTimeout(r, 300));
    child.stdin.end('1111 1111 thanks\n');
    expect(await exited).toBe(1);
    expect(stdout).toBe('my card is <CARD_NUMBER> thanks\n');
  });

  it('--explain: what fired on stderr (line, type, offsets, rule, confidence), never a value', () => {
    const res = redact(['--explain', file('explain.txt', CHAT)]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/line 1: CARD_NUMBER at 20-39, rule \S+, confidence 0\.\d\d, tag/);
    expect(res.stderr).toMatch(/line 1: DNI at \d+-\d+, rule \S+/);
    expect(res.stderr).toContain('redact: found CARD_NUMBER 1, DNI 1');
    noValues(res.stderr);
    noValues(res.stdout);
  });

  it('JSON lines: only the --field paths (nested, array items, numbers), other fields and lines untouched; a bad line is exit 2 with its number', () => {
    const lines = [
      { id: 1, message: { text: `card ${CARD}`, meta: { ref: '4111111111111111' } } },
      { id: 2, message: { parts: ['hello', `write to ${EMAIL}`] } },
      { id: 3, message: { text: 4111111111111111 } },
      { id: 4, other: `untouched ${DNI}` },
    ];
    const input = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
    const res = redact(['--format', 'jsonl', '--field', 'message.text', '--field', 'message.parts', '--language', 'en'], input);
    expect(res.code, res.stderr).toBe(1);
    const out = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toEqual([
      { id: 1, message: { text: 'card <CARD_NUMBER>', meta: { ref: '4111111111111111' } } },
      { id: 2, message: { parts: ['hello', 'write to <EMAIL>'] } },
      { id: 3, message: { text: '<CARD_NUMBER>' } },
      { id: 4, other: `untouched ${DNI}` },
    ]);
    const bad = redact(['--field', 'message.text', file('bad.jsonl', `${JSON.stringify(lines[0])}\n{"id": 2,\n`)]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('line 2: not valid JSON');
    noValues(bad.stderr);
  });

  it('CSV: only the --column cells, quoting kept valid; an unknown column is exit 2', () => {
    const csv = `id,notes,email\n1,"Cliente: ""tarjeta ${CARD}"", llamar",${EMAIL}\n2,"línea uno\nDNI ${DNI}",x@y.example\n3,sin datos,z\n`;
    const res = redact(['--column', 'notes', '--language', 'es', file('calls.csv', csv)]);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stdout).toBe(`id,notes,email\n1,"Cliente: ""tarjeta <CARD_NUMBER>"", llamar",${EMAIL}\n2,"línea uno\nDNI <DNI>",x@y.example\n3,sin datos,z\n`);
    const unknown = redact(['--column', 'nope', file('calls2.csv', csv)]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--column nope: not in the header');
    expect(unknown.stdout).toBe('');
  });

  it('--policy: mask and hash (with --hmac-key-file, stable between runs); encrypt, tokenize, hash without a key and invalid policies are exit 2', () => {
    const masked = redact(['--policy', file('mask.json', JSON.stringify({ operators: { CARD_NUMBER: { kind: 'mask', keepLast: 4 } }, defaultOperator: { kind: 'redact' } })), '--language', 'en'], `card ${CARD}, mail ${EMAIL}.`);
    expect(masked.code).toBe(1);
    expect(masked.stdout).toBe('card **** **** **** 1111, mail .');

    const hashPolicy = file('hash.json', JSON.stringify({ operators: {}, defaultOperator: { kind: 'hash' } }));
    const key = file('hmac.key', 'a'.repeat(32));
    const one = redact(['--policy', hashPolicy, '--hmac-key-file', key], `mail ${EMAIL}`);
    const two = redact(['--policy', hashPolicy, '--hmac-key-file', key], `mail ${EMAIL.toUpperCase()}`);
    expect(one.code).toBe(1);
    expect(one.stdout).toMatch(/^mail <EMAIL:hmac:[0-9a-f]{32}>$/);
    expect(two.stdout).toBe(one.stdout);
    const otherKey = redact(['--policy', hashPolicy, '--hmac-key-file', file('hmac2.key', 'b'.repeat(32))], `mail ${EMAIL}`);
    expect(otherKey.stdout).not.toBe(one.stdout);

    const noKey = redact(['--policy', hashPolicy], 'x');
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--hmac-key-file');
    const shortKey = redact(['--policy', hashPolicy, '--hmac-key-file', file('short.key', 'abc\n')], 'x');
    expect(shortKey.code).toBe(2);
    for (const kind of ['encrypt', 'tokenize']) {
      const vault = redact(['--policy', file(`${kind}.json`, JSON.stringify({ operators: { CARD_NUMBER: { kind } }, defaultOperator: { kind: 'tag' } }))], 'x');
      expect(vault.code).toBe(2);
      expect(vault.stderr).toContain('need the vault of a running server');
    }
    const invalid = redact(['--policy', file('invalid.json', JSON.stringify({ operators: { EMAIL: { kind: 'tokenize' } }, defaultOperator: { kind: 'tag' } }))], 'x');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('operators.EMAIL');
    const notJson = redact(['--policy', file('broken.json', '{')], 'x');
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('not a JSON document');
  });

  it('--output: written there (0600), nothing on stdout', () => {
    const target = path.join(dir, 'out.txt');
    const res = redact(['--output', target, file('o.txt', CHAT)]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(readFileSync(target, 'utf8')).toContain('<CARD_NUMBER>');
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it('usage errors are exit 2: unknown language, missing file, options of another format, missing --field/--column', () => {
    for (const args of [['--language', 'fr'], [path.join(dir, 'missing.txt')], ['--field', 'a'], ['--format', 'csv'], ['--format', 'jsonl'], ['--format', 'xml'], ['--column', 'a', '--format', 'jsonl', '--field', 'b']]) {
      const res = redact(args, 'x');
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      expect(res.stderr.length).toBeGreaterThan(0);
    }
  });

  it('--help documents the formats, operators and exit codes', () => {
    const res = redact(['--help']);
    expect(res.code).toBe(0);
    for (const text of ['--field <path>', '--column <name>', '--explain', '--hmac-key-file', 'Exit codes: 0 nothing found, 1 something found', 'POST /v1/redact']) expect(res.stdout).toContain(text);
  });
});
