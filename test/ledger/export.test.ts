/**
 * Exporting the ledger to a SIEM, and the access report of one customer.
 *
 * Syslog is tested against a real receiver started here (node:net, or node:tls with a certificate
 * made by openssl), which parses RFC 6587 octet-counted frames strictly: a wrong length fails the
 * test. It can also misbehave as receivers do: reset the connection after reading part of a
 * batch, never close, or not listen at all. The at-least-once promise is checked end to end:
 * after a receiver failure mid-export, resuming from the cursor file loses nothing and resends at
 * most one batch. The access report is checked for tenant isolation (the same customer id in
 * another tenant stays out), CSV formula injection and HTML escaping, over the library, the API
 * and the real `custodia` binary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { LedgerEntryInput } from '../../src/ledger/index.js';
import { merkle } from '../../src/ledger/index.js';
import { ACCESS_REPORT_CSP, accessReportCsv, accessReportHtml, buildAccessReport, csvCell } from '../../src/ledger/access-report.js';
import {
  cefExtensionValue,
  cefHeaderValue,
  type ExportSink,
  exportLedger,
  fileSink,
  octetFrame,
  parseSyslogUrl,
  readCursorFile,
  syslogSink,
  writeCursorFile,
} from '../../src/ledger/export.js';
import { newId } from '../../src/platform/ids.js';
import { issuePlatformToken } from '../../src/tenants/index.js';
import { createContext } from '../../src/server/context.js';
import { createLogger } from '../../src/platform/logger.js';
import { killChildren, makeTempDir, removeTempDirs, runCli } from '../helpers/cli.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { backend, createEmptyPostgresDatabase } from '../helpers/database.js';
import { bearer } from '../helpers/http.js';
import { createTenant, newRootKey, rejectionOf } from '../helpers/vault.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

afterEach(async () => {
  await killChildren();
  for (const r of receivers.splice(0)) await r.close();
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

// ---------------------------------------------------------------------------------------------
// A syslog receiver

type Behaviour = 'accept' | 'hang' | { resetAfterFrames: number };

interface Frame {
  readonly connection: number;
  readonly message: string;
}

/** Parses `MSG-LEN SP SYSLOG-MSG` frames (RFC 6587 §3.4.1) from a connection, strictly. */
class Receiver {
  readonly frames: Frame[] = [];
  readonly problems: string[] = [];
  connections = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(behaviour: (connection: number) => Behaviour = () => 'accept', tls?: { key: Buffer; cert: Buffer }) {
    const handle = (socket: Socket): void => {
      const connection = ++this.connections;
      const mode = behaviour(connection);
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffer = Buffer.alloc(0);
      let seen = 0;
      let stopped = false;
      socket.on('data', (chunk: Buffer) => {
        if (stopped) return;
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const space = buffer.indexOf(0x20);
          if (space === -1) {
            if (buffer.length > 10) this.problems.push(`no MSG-LEN in ${buffer.subarray(0, 20).toString('latin1')}`);
            return;
          }
          const digits = buffer.subarray(0, space).toString('latin1');
          if (!/^[1-9][0-9]{0,8}$/.test(digits)) {
            this.problems.push(`bad MSG-LEN ${JSON.stringify(digits)}`);
            stopped = true;
            return;
          }
          const length = Number(digits);
          if (buffer.length < space + 1 + length) return;
          const message = buffer.subarray(space + 1, space + 1 + length).toString('utf8');
          buffer = buffer.subarray(space + 1 + length);
          if (typeof mode === 'object' && seen === mode.resetAfterFrames) {
            // It stops here, as a receiver that crashes does: the rest of the batch is lost.
            stopped = true;
            socket.resetAndDestroy();
            return;
          }
          seen += 1;
          this.frames.push({ connection, message });
        }
      });
      socket.on('end', () => {
        if (buffer.length > 0 && !stopped) this.problems.push(`${buffer.length} trailing bytes`);
      });
    };
    // allowHalfOpen: a hanging receiver keeps its side open after our FIN; the others end theirs
    // right after reading ours (what rsyslog and syslog-ng do), which is the acknowledgement.
    this.#server =
      tls === undefined
        ? createNetServer({ allowHalfOpen: behaviour(0) === 'hang' }, handle)
        : createTlsServer({ key: tls.key, cert: tls.cert, allowHalfOpen: false }, handle);
    receivers.push(this);
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as { port: number }).port;
  }

  messages(): string[] {
    return this.frames.map((f) => f.message);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const receivers: Receiver[] = [];

/** RFC 5424 §6: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP MSG`. */
function parseSyslog(message: string): { pri: number; version: string; timestamp: string; hostname: string; appName: string; procId: string; msgId: string; sd: string; msg: string } {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) (.*)$/s.exec(message);
  if (m === null) throw new Error(`not an RFC 5424 message: ${message.slice(0, 80)}`);
  const [, pri, version, timestamp, hostname, appName, procId, msgId, sd, msg] = m as unknown as string[];
  return { pri: Number(pri), version: version ?? '', timestamp: timestamp ?? '', hostname: hostname ?? '', appName: appName ?? '', procId: procId ?? '', msgId: msgId ?? '', sd: sd ?? '', msg: msg ?? '' };
}

/** A CEF record read back the way the CEF document describes, independently of the writer. */
function parseCef(text: string): { header: string[]; ext: Record<string, string> } {
  const header: string[] = [];
  let i = 0;
  let field = '';
  while (header.length < 7) {
    const c = text[i];
    if (c === undefined) throw new Error('short CEF header');
    if (c === '\\' && (text[i + 1] === '|' || text[i + 1] === '\\')) {
      field += text[i + 1];
      i += 2;
    } else if (c === '|') {
      header.push(field);
      field = '';
      i += 1;
    } else {
      field += c;
      i += 1;
    }
  }
  const rest = text.slice(i);
  // Keys are the words just before an unescaped `=` (one preceded by an even number of `\`).
  const equals: number[] = [];
  for (let j = 0; j < rest.length; j++) {
    if (rest[j] !== '=') continue;
    let backslashes = 0;
    for (let k = j - 1; k >= 0 && rest[k] === '\\'; k--) backslashes++;
    if (backslashes % 2 === 0) equals.push(j);
  }
  const ext: Record<string, string> = {};
  const keyStart = (eq: number): number => rest.lastIndexOf(' ', eq) + 1;
  equals.forEach((eq, n) => {
    const key = rest.slice(keyStart(eq), eq);
    const next = equals[n + 1];
    const end = next === undefined ? rest.length : keyStart(next) - 1;
    ext[key] = rest.slice(eq + 1, end).replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch));
  });
  return { header, ext };
}

// ---------------------------------------------------------------------------------------------
// Entries

const reveal = (customer: string, field: string, agent = 'a1', extra: Partial<LedgerEntryInput> = {}): LedgerEntryInput => ({
  actor: { type: 'agent', id: agent },
  action: 'customer.field.reveal',
  targets: { customer, field },
  purpose: 'billing_dispute',
  details: { masked: 'j***@e******.com' },
  ...extra,
});

async function record(tenant: string, entries: readonly LedgerEntryInput[]): Promise<void> {
  await t.ctx.db.withTenant(tenant, async (tx) => {
    for (const e of entries) await t.ctx.ledger.record(tx, tenant, e);
  });
  await t.ctx.ledger.sequenceAll(tenant);
}

async function storedEntries(tenant: string): Promise<{ seq: number; entry: string }[]> {
  return t.ctx.db.withTenant(tenant, (tx) => tx.selectFrom('ledger_entries').select(['seq', 'entry']).orderBy('seq').execute());
}

function seqOf(message: string): number {
  return Number(parseCef(parseSyslog(message).msg).ext.externalId);
}

const HOSTNAME = 'exporter.test';

// ---------------------------------------------------------------------------------------------

describe(`CEF over syslog (RFC 5424, RFC 6587 octet counting) on ${backend}`, () => {
  it('frames each entry as one octet-counted RFC 5424 message carrying a correctly escaped CEF record', async () => {
    const tenant = await createTenant(t.ctx.db, 'export-cef');
    const customer = newId();
    const reason = 'caller said a|b=c\\d\nsecond line café';
    await record(tenant, [
      reveal(customer, 'email', 'a1', { requestId: 'req-1' }),
      { actor: { type: 'agent', id: 'sup-7' }, action: 'access.break_glass', targets: { customer }, purpose: 'fraud_check', reason, details: {} },
      { actor: { type: 'system', id: 'scheduler' }, action: 'tenant.settings.update', details: { count: 3 } },
    ]);
    const receiver = new Receiver();
    const port = await receiver.listen();
    const result = await exportLedger({ db: t.ctx.db, tenantId: tenant, from: 0, format: 'cef', sink: syslogSink(parseSyslogUrl(`tcp://127.0.0.1:${port}`), { hostname: HOSTNAME }), batchSize: 2 });
    expect(result).toMatchObject({ from: 0, next: 3, exported: 3, batches: 2, treeSize: 3 });
    expect(receiver.problems).toEqual([]);
    expect(receiver.connections).toBe(2); // one connection per batch
    const stored = await storedEntries(tenant);
    const messages = receiver.messages();
    expect(messages).toHaveLength(3);

    const parsed = messages.map(parseSyslog);
    for (const [i, p] of parsed.entries()) {
      // HEADER (§6.2): version 1, the entry's time, our host, app, no PROCID, MSGID, no SD.
      expect(p).toMatchObject({ version: '1', timestamp: '2026-11-23T09:00:00.000Z', hostname: HOSTNAME, appName: 'custodia', procId: '-', msgId: 'ledger', sd: '-' });
      expect(p.msg.startsWith('CEF:0|Custodia|Custodia|')).toBe(true);
      // One message, one line: CEF escapes line breaks in the extension.
      expect(messages[i]).not.toMatch(/[\r\n]/);
    }
    // PRI = facility 13 (log audit) * 8 + severity: notice 5 for a reveal, warning 4 for
    // break-glass, informational 6 otherwise (RFC 5424 §6.2.1).
    expect(parsed.map((p) => p.pri)).toEqual([13 * 8 + 5, 13 * 8 + 4, 13 * 8 + 6]);

    const [first, breakGlass, system] = parsed.map((p) => parseCef(p.msg));
    expect(first?.header).toEqual(['CEF:0', 'Custodia', 'Custodia', expect.stringMatching(/^\d+\.\d+\.\d+/), 'customer.field.reveal', 'customer field reveal', '5']);
    expect(first?.ext).toEqual({
      rt: String(Date.parse('2026-11-23T09:00:00.000Z')),
      externalId: '0',
      suid: 'a1',
      suser: 'agent:a1',
      act: 'customer.field.reveal',
      cs1Label: 'purpose',
      cs1: 'billing_dispute',
      cs2Label: 'customerId',
      cs2: customer,
      cs3Label: 'field',
      cs3: 'email',
      cs4Label: 'requestId',
      cs4: 'req-1',
      cs5Label: 'leafHash',
      cs5: merkle.leafHash(Buffer.from(stored[0]?.entry ?? '', 'utf8')).toString('hex'),
      cs6Label: 'tenantId',
      cs6: tenant,
      flexString1Label: 'targets',
      flexString1: `{"customer":"${customer}","field":"email"}`,
      flexString2Label: 'details',
      flexString2: '{"masked":"j***@e******.com"}',
    });
    // The reason with `|`, `=`, `\` and a line break: escaped on the wire, intact when read back.
    expect(breakGlass?.header[6]).toBe('8');
    expect(breakGlass?.ext.msg).toBe(reason);
    expect(parsed[1]?.msg).toContain(' msg=caller said a|b\\=c\\\\d\\nsecond line café');
    expect(system?.ext).toMatchObject({ externalId: '2', suser: 'system:scheduler', flexString2: '{"count":3}' });
    expect(system?.ext.cs2).toBeUndefined();
    // MSG-LEN counts octets, not characters (the é is two): the strict parser above checked it.
    expect(octetFrame('café').toString('utf8')).toBe('5 café');
  });

  it('escapes header fields and extension values as the CEF document says', () => {
    // Header: `\` and `|` escaped, `=` left alone, line breaks not allowed (made spaces).
    expect(cefHeaderValue('a|b\\c=d\ne\rf')).toBe('a\\|b\\\\c=d e f');
    // Extension: `\` and `=` escaped, `|` left alone, line breaks written as \n and \r.
    expect(cefExtensionValue('a|b\\c=d\r\ne\nf\rg')).toBe('a|b\\\\c\\=d\\ne\\nf\\rg');
  });

  it('advances the cursor file batch by batch, and after the receiver drops the connection mid-export resumes losing nothing, resending at most one batch', async () => {
    const tenant = await createTenant(t.ctx.db, 'export-resume');
    await record(
      tenant,
      Array.from({ length: 23 }, (_, i) => reveal(newId(), `f${i}`)),
    );
    const dir = makeTempDir();
    const cursorFile = path.join(dir, 'cursor.json');
    // The third connection (third batch) is reset after two of its five messages were read.
    const receiver = new Receiver((n) => (n === 3 ? { resetAfterFrames: 2 } : 'accept'));
    const port = await receiver.listen();
    const sink = syslogSink(parseSyslogUrl(`tcp://127.0.0.1:${port}`), { hostname: HOSTNAME });
    const cursors: number[] = [];
    const run = (from: number) =>
      exportLedger({
        db: t.ctx.db,
        tenantId: tenant,
        from,
        format: 'cef',
        sink,
        batchSize: 5,
        onBatch: async (p) => {
          await writeCursorFile(cursorFile, tenant, p.next);
          cursors.push((await readCursorFile(cursorFile, tenant)) ?? -1);
        },
      });

    const failure = (await rejectionOf(run((await readCursorFile(cursorFile, tenant)) ?? 0))) as { code: string; detail: string; details: { next: number } };
    expect(failure.code).toBe('ledger.export_failed');
    expect(failure.detail).toBe(`The syslog receiver at tcp://127.0.0.1:${port} reset the connection before accepting the batch. Entries before 10 were delivered; resume from 10.`);
    expect(failure.details.next).toBe(10);
    expect(cursors).toEqual([5, 10]);
    expect(JSON.parse(readFileSync(cursorFile, 'utf8'))).toMatchObject({ v: 1, tenant, next: 10 });

    const resumed = await run((await readCursorFile(cursorFile, tenant)) ?? 0);
    expect(resumed).toMatchObject({ from: 10, next: 23, exported: 13, batches: 3 });
    expect(cursors).toEqual([5, 10, 15, 20, 23]);
    expect(receiver.problems).toEqual([]);

    const seqs = receiver.messages().map(seqOf);
    expect(new Set(seqs)).toEqual(new Set(Array.from({ length: 23 }, (_, i) => i))); // nothing lost
    const duplicates = seqs.length - new Set(seqs).size;
    expect(duplicates).toBe(2); // the two read before the reset, resent with their batch
    expect(duplicates).toBeLessThanOrEqual(5);
    // Each connection delivered its part in order.
    for (let c = 1; c <= receiver.connections; c++) {
      const own = receiver.frames.filter((f) => f.connection === c).map((f) => seqOf(f.message));
      expect(own).toEqual([...own].sort((a, b) => a - b));
    }

    // Nothing new: a third run sends nothing and keeps the cursor.
    const again = await run((await readCursorFile(cursorFile, tenant)) ?? 0);
    expect(again).toMatchObject({ from: 23, next: 23, exported: 0, batches: 0 });
  });

  it('fails with ledger.export_failed, naming the receiver, on a refused connection, an unknown host and a receiver that never closes; the cursor does not move', async () => {
    const tenant = await createTenant(t.ctx.db, 'export-refused');
    await record(tenant, [reveal(newId(), 'email')]);
    const dir = makeTempDir();
    const cursorFile = path.join(dir, 'cursor.json');
    // A port nobody listens on: bound, then released.
    const closed = new Receiver();
    const closedPort = await closed.listen();
    await closed.close();
    receivers.splice(receivers.indexOf(closed), 1);
    const hanging = new Receiver(() => 'hang');
    const hangingPort = await hanging.listen();

    const attempt = async (url: string) => {
      const error = (await rejectionOf(
        exportLedger({
          db: t.ctx.db,
          tenantId: tenant,
          from: 0,
          format: 'cef',
          sink: syslogSink(parseSyslogUrl(url), { timeoutMs: 500 }),
          onBatch: (p) => writeCursorFile(cursorFile, tenant, p.next),
        }),
      )) as { code: string; detail: string };
      expect(error.code, url).toBe('ledger.export_failed');
      return error.detail;
    };
    expect(await attempt(`tcp://127.0.0.1:${closedPort}`)).toBe(`The syslog receiver at tcp://127.0.0.1:${closedPort} refused the connection. Entries before 0 were delivered; resume from 0.`);
    // .invalid never resolves (RFC 6761 §6.4).
    expect(await attempt('tcp://siem.invalid:514')).toMatch(/^Cannot resolve the syslog host siem\.invalid \((ENOTFOUND|EAI_AGAIN)\)\./);
    expect(await attempt(`tcp://127.0.0.1:${hangingPort}`)).toMatch(/did not answer in time/);
    expect(hanging.frames).toHaveLength(1); // it read the batch but never acknowledged it
    expect(existsSync(cursorFile)).toBe(false);
  });

  it('rejects syslog addresses that are not tcp:// or tls:// host:port', () => {
    expect(parseSyslogUrl('tcp://[::1]:6514')).toEqual({ protocol: 'tcp', host: '::1', port: 6514 });
    expect(parseSyslogUrl('tls://siem.example:6514')).toEqual({ protocol: 'tls', host: 'siem.example', port: 6514 });
    for (const bad of ['udp://siem:514', 'tcp://siem', 'siem:514', 'tcp://user:pw@siem:514', 'tcp://siem:514/x', 'nonsense']) expect(() => parseSyslogUrl(bad), bad).toThrow(TypeError);
  });

  const openssl = spawnSync('openssl', ['version']).status === 0;
  it.skipIf(!openssl)('sends over TLS to a receiver whose certificate the given CA vouches for, and refuses one it does not', async () => {
    const dir = makeTempDir();
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    const key = readFileSync(path.join(dir, 'key.pem'));
    const cert = readFileSync(path.join(dir, 'cert.pem'));
    const tenant = await createTenant(t.ctx.db, 'export-tls');
    await record(tenant, [reveal(newId(), 'email'), reveal(newId(), 'phone')]);
    const receiver = new Receiver(() => 'accept', { key, cert });
    const port = await receiver.listen();

    const ok = await exportLedger({ db: t.ctx.db, tenantId: tenant, from: 0, format: 'jsonl', sink: syslogSink(parseSyslogUrl(`tls://127.0.0.1:${port}`), { ca: cert, hostname: HOSTNAME }) });
    expect(ok.exported).toBe(2);
    expect(receiver.problems).toEqual([]);
    // JSON lines can travel over syslog too: the MSG is the JSON object.
    expect(receiver.messages().map((m) => (JSON.parse(parseSyslog(m).msg) as { seq: number }).seq)).toEqual([0, 1]);

    const untrusted = (await rejectionOf(exportLedger({ db: t.ctx.db, tenantId: tenant, from: 0, format: 'cef', sink: syslogSink(parseSyslogUrl(`tls://127.0.0.1:${port}`)) }))) as { code: string; detail: string };
    expect(untrusted.code).toBe('ledger.export_failed');
    expect(untrusted.detail).toMatch(/^TLS with the syslog receiver at tls:\/\/127\.0\.0\.1:\d+ failed: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
    expect(receiver.frames).toHaveLength(2);
  });
});

describe(`JSON lines to a file on ${backend}`, () => {
  it('writes every entry once, in order, with its leaf hash; a resumed export appends only the new ones', async () => {
    const tenant = await createTenant(t.ctx.db, 'export-jsonl');
    const customer = newId();
    await record(tenant, Array.from({ length: 7 }, (_, i) => reveal(customer, `f${i}`, `agent${i % 3}`, i === 3 ? { reason: 'line one\nline "two"' } : {})));
    const dir = makeTempDir();
    const out = path.join(dir, 'ledger.jsonl');
    const cursorFile = path.join(dir, 'cursor.json');
    const runToFile = async () => {
      const sink: ExportSink = await fileSink(out);
      try {
        return await exportLedger({
          db: t.ctx.db,
          tenantId: tenant,
          from: (await readCursorFile(cursorFile, tenant)) ?? 0,
          format: 'jsonl',
          sink,
          batchSize: 3,
          onBatch: (p) => writeCursorFile(cursorFile, tenant, p.next),
        });
      } finally {
        await sink.close();
      }
    };
    expect(await runToFile()).toMatchObject({ from: 0, next: 7, exported: 7, batches: 3 });

    await record(tenant, [reveal(customer, 'late1'), reveal(customer, 'late2')]);
    expect(await runToFile()).toMatchObject({ from: 7, next: 9, exported: 2, batches: 1 });

    const stored = await storedEntries(tenant);
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(9);
    lines.forEach((line, i) => {
      const object = JSON.parse(line) as Record<string, unknown>;
      const entry = JSON.parse(stored[i]?.entry ?? '') as Record<string, unknown>;
      expect(Object.keys(object)).toEqual(['seq', 'time', 'tenant', 'actor', 'action', 'targets', 'purpose', 'reason', 'requestId', 'details', 'leafHash']);
      expect(object).toEqual({
        seq: i,
        time: entry.at,
        tenant,
        actor: entry.actor,
        action: 'customer.field.reveal',
        targets: entry.targets,
        purpose: 'billing_dispute',
        reason: entry.reason ?? null,
        requestId: null,
        details: entry.details,
        leafHash: merkle.leafHash(Buffer.from(stored[i]?.entry ?? '', 'utf8')).toString('hex'),
      });
    });
    expect((JSON.parse(lines[3] ?? '') as { reason: string }).reason).toBe('line one\nline "two"');
    expect(JSON.parse(readFileSync(cursorFile, 'utf8'))).toMatchObject({ v: 1, tenant, next: 9 });
  });

  it('refuses a cursor of another tenant, a malformed one, and one past the end of the ledger (ledger.cursor_invalid)', async () => {
    const tenant = await createTenant(t.ctx.db, 'export-cursor');
    await record(tenant, [reveal(newId(), 'email')]);
    const dir = makeTempDir();
    const file = path.join(dir, 'cursor.json');
    await writeCursorFile(file, newId(), 0);
    expect(((await rejectionOf(readCursorFile(file, tenant))) as { code: string }).code).toBe('ledger.cursor_invalid');
    writeFileSync(file, '{"v":1,"tenant":"x","next":-1}');
    expect(((await rejectionOf(readCursorFile(file, tenant))) as { code: string }).code).toBe('ledger.cursor_invalid');
    writeFileSync(file, 'not json');
    expect(((await rejectionOf(readCursorFile(file, tenant))) as { code: string }).code).toBe('ledger.cursor_invalid');
    expect(await readCursorFile(path.join(dir, 'absent.json'), tenant)).toBeUndefined();
    const sink = await fileSink(path.join(dir, 'out.jsonl'));
    const past = (await rejectionOf(exportLedger({ db: t.ctx.db, tenantId: tenant, from: 2, format: 'jsonl', sink }))) as { code: string; detail: string };
    await sink.close();
    expect(past).toMatchObject({ code: 'ledger.cursor_invalid', detail: 'The cursor (2) is past the end of the ledger (1 entries): it was made for another ledger' });
  });
});

// ---------------------------------------------------------------------------------------------
// Access report

/** RFC 4180 records, read back independently of the writer. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field).toBe('');
  expect(record).toEqual([]);
  return records;
}

describe(`access report on ${backend}`, () => {
  let tenant: string;
  let other: string;
  let customer: string;
  const evilReason = '=HYPERLINK("http://evil.example","click"), then <script>alert(1)</script> & more';

  beforeAll(async () => {
    tenant = await createTenant(t.ctx.db, 'report-a');
    other = await createTenant(t.ctx.db, 'report-b');
    customer = newId();
    const someoneElse = newId();
    await record(tenant, [
      reveal(customer, 'email', 'ana'),
      reveal(someoneElse, 'not_this_customer', 'ana'),
      reveal(customer, 'phone', 'ben', { purpose: 'identity_check' }),
      { actor: { type: 'agent', id: '-cmd' }, action: 'access.break_glass', targets: { customer, field: 'address' }, purpose: 'fraud_check', reason: evilReason, details: {} },
      { actor: { type: 'service', id: 'payments' }, action: 'card.detokenize', targets: { customer, cardToken: newId() }, purpose: 'payment', details: { last4: '4242' } },
      { actor: { type: 'system', id: 'sync' }, action: 'customer.profile.sync', targets: { customer }, details: {} },
    ]);
    await t.ctx.ledger.checkpointNow(tenant);
    t.clock.advance(30_000); // under the 60 s checkpoint interval: the checkpoint stays at 6
    await record(tenant, [reveal(customer, 'iban', 'cy', { reason: '@SUM(1+1)' })]);
    // The same customer id in another tenant: never in tenant A's report.
    await record(other, [reveal(customer, 'other_tenant_field', 'mallory')]);
  });

  it('lists who did what to which field, when and why, newest first, anchored at the tree size and the latest checkpoint', async () => {
    const report = await buildAccessReport({ db: t.ctx.db, ledger: t.ctx.ledger, clock: t.ctx.clock }, tenant, customer);
    const checkpoint = await t.ctx.db.withTenant(tenant, (tx) => t.ctx.ledger.checkpoints(tx));
    expect(checkpoint.map((c) => c.size)).toEqual([6]);
    expect(report).toMatchObject({ tenant, customer, order: 'newest', treeSize: 7, truncated: false, checkpoint: { size: 6, root: checkpoint[0]?.root.toString('base64'), keyId: checkpoint[0]?.keyId } });
    expect(report.rows.map((r) => [r.seq, r.actor.type, r.actor.id, r.action, r.description, r.field, r.purpose, r.reason])).toEqual([
      [6, 'agent', 'cy', 'customer.field.reveal', 'viewed', 'iban', 'billing_dispute', '@SUM(1+1)'],
      [5, 'system', 'sync', 'customer.profile.sync', 'recorded action "customer.profile.sync"', null, null, null],
      [4, 'service', 'payments', 'card.detokenize', 'used your stored card number', null, 'payment', null],
      [3, 'agent', '-cmd', 'access.break_glass', 'used emergency access', 'address', 'fraud_check', evilReason],
      [2, 'agent', 'ben', 'customer.field.reveal', 'viewed', 'phone', 'identity_check', null],
      [0, 'agent', 'ana', 'customer.field.reveal', 'viewed', 'email', 'billing_dispute', null],
    ]);
    expect(report.rows[0]?.time).toBe('2026-11-23T09:00:30.000Z');
    const oldest = await buildAccessReport({ db: t.ctx.db, ledger: t.ctx.ledger, clock: t.ctx.clock }, tenant, customer, { order: 'oldest', limit: 2 });
    expect(oldest.rows.map((r) => r.seq)).toEqual([0, 2]);
    expect(oldest.truncated).toBe(true);
    // The other tenant sees only its own entry for the same customer id.
    const theirs = await buildAccessReport({ db: t.ctx.db, ledger: t.ctx.ledger, clock: t.ctx.clock }, other, customer);
    expect(theirs.rows.map((r) => [r.actor.id, r.field])).toEqual([['mallory', 'other_tenant_field']]);
    expect(theirs.treeSize).toBe(1);
  });

  it('CSV: RFC 4180 quoting, the anchor first, and no cell a spreadsheet would run as a formula', async () => {
    const report = await buildAccessReport({ db: t.ctx.db, ledger: t.ctx.ledger, clock: t.ctx.clock }, tenant, customer);
    const csv = accessReportCsv(report);
    expect(csv.endsWith('\r\n')).toBe(true);
    const records = parseCsv(csv);
    expect(records.every((r) => r.length === 9)).toBe(true);
    expect(records[0]?.[0]).toContain(`Covers the sequenced ledger entries up to tree size 7 (entries 0 to 6); latest signed checkpoint: size 6, root ${report.checkpoint?.root}`);
    expect(records[1]).toEqual(['time', 'actor_type', 'actor_id', 'action', 'description', 'field', 'purpose', 'reason', 'seq']);
    expect(records.slice(2).map((r) => r[8])).toEqual(['6', '5', '4', '3', '2', '0']);
    const breakGlass = records.find((r) => r[8] === '3');
    expect(breakGlass?.[2]).toBe("'-cmd");
    expect(breakGlass?.[7]).toBe(`'${evilReason}`);
    expect(records.find((r) => r[8] === '6')?.[7]).toBe("'@SUM(1+1)");
    for (const cell of records.flat()) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csv).not.toContain('not_this_customer');
    expect(csv).not.toContain('mallory');
  });

  it('HTML: a self-contained page in plain language, everything escaped, no script allowed or present', async () => {
    const report = await buildAccessReport({ db: t.ctx.db, ledger: t.ctx.ledger, clock: t.ctx.clock }, tenant, customer);
    const html = accessReportHtml(report, { organisation: 'Acme <BPO> & "Sons"' });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain(evilReason);
    expect(html).toContain('=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;), then &lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(html).toContain('Acme &lt;BPO&gt; &amp; &quot;Sons&quot;');
    expect(html).toMatch(/<td>2026-11-23 09:00 UTC<\/td><td>Agent cy<\/td><td>viewed<\/td><td>iban<\/td><td>billing dispute<\/td>/);
    expect(html).toContain('<td>Automated service payments</td><td>used your stored card number</td>');
    expect(html).toContain('<dt>viewed</dt>');
    expect(html).toContain('<code>customer.field.reveal</code>');
    expect(html).toContain(`up to tree size 7`);
    expect(html).toContain(`root ${report.checkpoint?.root}`);
    expect(html).not.toContain('not_this_customer');
    expect(html).not.toContain('mallory');
    // Nothing external: no src, no href, no url().
    expect(html).not.toMatch(/\ssrc=|\shref=|url\(/i);
    // The page's own policy allows only its inline style, by hash.
    const hash = /style-src '(sha256-[A-Za-z0-9+/=]+)'/.exec(html)?.[1];
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const { createHash } = await import('node:crypto');
    expect(hash).toBe(`sha256-${createHash('sha256').update(style).digest('base64')}`);
    expect(ACCESS_REPORT_CSP).toContain(`style-src '${hash}'`);
    expect(ACCESS_REPORT_CSP.startsWith("default-src 'none'")).toBe(true);
  });

  it('over the API: JSON, CSV and HTML for a platform token; 401 without; 404 for an unknown tenant; 400 for a bad id', async () => {
    const token = (await issuePlatformToken(t.ctx.db, { name: 'report-tests', now: t.clock.now() })).token;
    const url = (format: string, tenantId = tenant, customerId = customer) => `/v1/platform/tenants/${tenantId}/customers/${customerId}/access-report?format=${format}`;
    const json = await t.app.inject({ url: url('json'), headers: bearer(token) });
    expect(json.statusCode, json.body).toBe(200);
    const body = json.json<{ treeSize: number; rows: { seq: number }[] }>();
    expect(body.treeSize).toBe(7);
    expect(body.rows.map((r) => r.seq)).toEqual([6, 5, 4, 3, 2, 0]);

    const csv = await t.app.inject({ url: url('csv'), headers: bearer(token) });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="access-report-${customer}.csv"`);
    expect(parseCsv(csv.body).slice(2).map((r) => r[8])).toEqual(['6', '5', '4', '3', '2', '0']);

    const html = await t.app.inject({ url: url('html'), headers: bearer(token) });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.headers['content-security-policy']).toBe(ACCESS_REPORT_CSP);
    expect(html.body).toContain('someone at report-a used your information');

    const theirs = await t.app.inject({ url: url('json', other), headers: bearer(token) });
    expect(theirs.json<{ rows: { actor: { id: string } }[] }>().rows.map((r) => r.actor.id)).toEqual(['mallory']);

    expect((await t.app.inject({ url: url('json') })).statusCode).toBe(401);
    const unknown = await t.app.inject({ url: url('json', newId()), headers: bearer(token) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ code: string }>().code).toBe('tenants.not_found');
    expect((await t.app.inject({ url: url('json', tenant, 'not-a-uuid'), headers: bearer(token) })).statusCode).toBe(400);
    expect((await t.app.inject({ url: url('pdf'), headers: bearer(token) })).statusCode).toBe(400);
  });
});

// ---------------------------------------------------------------------------------------------

describe(`custodia ledger export / access-report (the real binary) on ${backend}`, () => {
  it('exports CEF to a syslog receiver with a cursor file, resumes with nothing new, reports a customer as CSV; bad options and a refused connection fail with their codes', async () => {
    const dir = makeTempDir();
    const keys = { CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEYS: newRootKey().env };
    const env: Record<string, string> = { ...keys, CUSTODIA_DATA_DIR: path.join(dir, 'data') };
    let drop: (() => Promise<void>) | undefined;
    if (backend === 'postgres') {
      const fresh = await createEmptyPostgresDatabase();
      env.DATABASE_URL = fresh.url;
      drop = fresh.drop;
    }
    try {
      const init = await runCli(['init', '--slug', 'acme', '--name', 'Acme', '--admin-email', 'a@b.test', '--json'], env);
      expect(init.code, init.stderr).toBe(0);
      const tenantId = (JSON.parse(init.stdout) as { tenant: { id: string } }).tenant.id;

      // Entries recorded and sequenced in this process, with the CLI stopped (embedded database).
      const customer = newId();
      const ctx = await createContext(loadConfig({ env: { NODE_ENV: 'test', ...env } }), { logger: createLogger('silent') });
      try {
        await ctx.db.withTenant(tenantId, async (tx) => {
          for (const [i, agent] of ['ana', 'ben', 'cy', 'ana', 'ben'].entries()) await ctx.ledger.record(tx, tenantId, reveal(i === 4 ? newId() : customer, `f${i}`, agent, i === 2 ? { reason: '=1+1 | a=b' } : {}));
        });
        await ctx.ledger.sequenceAll(tenantId);
      } finally {
        await ctx.close();
      }

      const receiver = new Receiver();
      const port = await receiver.listen();
      const cursorFile = path.join(dir, 'cursor.json');
      const args = ['ledger', 'export', '--tenant', 'acme', '--format', 'cef', '--syslog', `tcp://127.0.0.1:${port}`, '--cursor-file', cursorFile, '--batch', '2', '--hostname', HOSTNAME, '--json'];
      const first = await runCli(args, env);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toEqual({ tenant: 'acme', format: 'cef', destination: `tcp://127.0.0.1:${port}`, from: 0, next: 5, exported: 5, batches: 3, treeSize: 5 });
      expect(receiver.connections).toBe(3);
      expect(receiver.messages().map(seqOf)).toEqual([0, 1, 2, 3, 4]);
      expect(parseCef(parseSyslog(receiver.messages()[2] ?? '').msg).ext.msg).toBe('=1+1 | a=b');
      expect(JSON.parse(readFileSync(cursorFile, 'utf8'))).toMatchObject({ tenant: tenantId, next: 5 });

      const second = await runCli(args.filter((a) => a !== '--json'), env);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toBe('Nothing to export: the ledger has 5 entries and the cursor is at 5.\n');
      expect(receiver.frames).toHaveLength(5);

      const report = await runCli(['ledger', 'access-report', '--tenant', 'acme', '--customer', customer, '--format', 'csv', '--order', 'oldest'], env);
      expect(report.code, report.stderr).toBe(0);
      const records = parseCsv(report.stdout);
      expect(records[0]?.[0]).toContain('up to tree size 5');
      expect(records.slice(2).map((r) => [r[2], r[5], r[7], r[8]])).toEqual([
        ['ana', 'f0', '', '0'],
        ['ben', 'f1', '', '1'],
        ['cy', 'f2', "'=1+1 | a=b", '2'],
        ['ana', 'f3', '', '3'],
      ]);

      // JSON lines to standard output: the entries alone there, the summary on standard error.
      const stdout = await runCli(['ledger', 'export', '--tenant', 'acme', '--from', '3'], env);
      expect(stdout.code, stdout.stderr).toBe(0);
      expect(stdout.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([3, 4]);
      expect(stdout.stderr).toBe('Exported 2 entries (seq 3..4) to standard output in 1 batch. Next cursor: 5.\n');

      const help = await runCli(['ledger', 'export', '--help']);
      expect(help.code).toBe(0);
      for (const option of ['--format <format>', '--out <file>', '--syslog <url>', '--from <seq>', '--cursor-file <file>', '--batch <n>', '--facility <n>', 'at least once', 'stop the server first']) expect(help.stdout).toContain(option);

      const refused = await runCli(['ledger', 'export', '--tenant', 'acme', '--syslog', 'tcp://127.0.0.1:1', '--from', '0', '--json'], env);
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stderr)).toMatchObject({ error: { code: 'ledger.export_failed', detail: expect.stringContaining('refused the connection') } });
      const bad = await runCli(['ledger', 'export', '--tenant', 'acme', '--syslog', 'udp://127.0.0.1:514', '--json'], env);
      expect(bad.code).toBe(2);
      expect(JSON.parse(bad.stderr)).toMatchObject({ error: { code: 'request.invalid', detail: '--syslog: the scheme must be tcp:// or tls://' } });
      const both = await runCli(['ledger', 'export', '--tenant', 'acme', '--out', path.join(dir, 'x'), '--syslog', `tcp://127.0.0.1:${port}`], env);
      expect(both.code).toBe(2);
      expect(both.stderr).toContain('Give --out or --syslog, not both (request.invalid)');
    } finally {
      await drop?.();
    }
    // A hang guard with room, not a measurement: the real binary, started a dozen times, on a busy
    // 2-core machine (as ledger-cli.test.ts).
  }, 480_000);
});
