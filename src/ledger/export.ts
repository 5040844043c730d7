/**
 * Exporting a tenant's ledger to a SIEM: sequenced entries, read in order from a cursor (a
 * sequence number) in batches, written as JSON lines or as CEF, to a file, a stream or a syslog
 * receiver over TCP or TLS.
 *
 *     exportLedger()  [from, tree size) in batches -> render (jsonl | cef) -> sink.deliver(batch)
 *                     -> onBatch(next): the caller persists the cursor (writeCursorFile)
 *
 * Delivery is at least once. The cursor moves only after the sink has accepted a whole batch (a
 * file: written and fsync'ed; syslog: the receiver read the batch and closed the connection in
 * answer to ours, see {@link syslogSink}), so an export that stops anywhere (crash, receiver
 * gone) resumes at the first entry of the batch that was not acknowledged: nothing is skipped,
 * and at most that one batch is sent twice. Receivers deduplicate on the sequence number
 * (`seq` in JSON, `externalId` in CEF), which is unique per tenant and never reused.
 *
 * Formats:
 * - JSON lines: one object per entry, the entry's own members (from its canonical text) plus
 *   `leafHash`, the RFC 9162 leaf hash in hex, so a SIEM can check an entry against a proof.
 * - CEF (ArcSight Common Event Format, "Implementing ArcSight CEF" rev. 25, header and
 *   extension escaping as that document's "Character Encoding" section specifies; see
 *   {@link cefMessage}).
 * - Over syslog, each rendered entry is the MSG of one RFC 5424 message, framed by octet
 *   counting (RFC 6587 §3.4.1, which RFC 5425 §4.3 also uses for TLS).
 */
import { constants as fsConstants } from 'node:fs';
import { access, open, rename, rm } from 'node:fs/promises';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Database } from '../db/index.js';
import { AppError } from '../platform/errors.js';
import { VERSION } from '../version.js';
import { canonicalJson, decodeEntry } from './entry.js';
import { LedgerErrors } from './errors.js';
import { leafHashOfText } from './merkle.js';

export const exportFormats = ['jsonl', 'cef'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** One entry as exported: its canonical members, plus the leaf hash that proofs are about. */
export interface ExportedEntry {
  readonly seq: number;
  /** When the change was recorded (ISO 8601 UTC with milliseconds). */
  readonly time: string;
  readonly tenant: string;
  readonly actor: { readonly type: string; readonly id: string };
  readonly action: string;
  readonly targets: Readonly<Record<string, string>>;
  readonly purpose: string | null;
  readonly reason: string | null;
  readonly requestId: string | null;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  /** SHA-256(0x00 || canonical text), hex (RFC 9162 §2.1.1). */
  readonly leafHash: string;
}

/**
 * Parses a stored entry (canonical text) into its exported form, checking that it is the entry
 * the row says it is: an export never passes on something the verifier would reject.
 */
export function toExportedEntry(text: string, expected: { tenant: string; seq: number }): ExportedEntry {
  const decoded = decodeEntry(text);
  if ('error' in decoded) throw new AppError(LedgerErrors.corrupt, { detail: `Entry ${expected.seq} cannot be read: ${decoded.error}` });
  const e = decoded.entry;
  if (e.seq !== expected.seq || e.tenant !== expected.tenant) throw new AppError(LedgerErrors.corrupt, { detail: `Entry ${expected.seq} does not carry its own sequence number and tenant` });
  return {
    seq: e.seq,
    time: e.at,
    tenant: e.tenant,
    actor: { type: e.actor.type, id: e.actor.id },
    action: e.action,
    targets: e.targets,
    purpose: e.purpose ?? null,
    reason: e.reason ?? null,
    requestId: e.requestId ?? null,
    details: e.details,
    leafHash: leafHashOfText(text).toString('hex'),
  };
}

/** The JSON line of an entry (without the line feed). Members in a fixed order. */
export function jsonLine(e: ExportedEntry): string {
  return JSON.stringify({
    seq: e.seq,
    time: e.time,
    tenant: e.tenant,
    actor: e.actor,
    action: e.action,
    targets: e.targets,
    purpose: e.purpose,
    reason: e.reason,
    requestId: e.requestId,
    details: e.details,
    leafHash: e.leafHash,
  });
}

// ---------------------------------------------------------------------------------------------
// CEF

/**
 * Severity of an action, in syslog's scale (RFC 5424 §6.2.1, table 2: 4 warning, 5 notice,
 * 6 informational) and CEF's (0–10; 0–3 low, 4–6 medium, 7–8 high, 9–10 very high):
 *
 * - emergency access (`break_glass` anywhere in the action): warning / 8;
 * - refusals and failures (a segment `denied`, `refused`, `failed`, `locked`): warning / 7;
 * - reading or destroying protected data (`reveal`, `detokenize`, `export`, `erase`, `shred`,
 *   `delete`, `purge`) and key changes (`rotate`, `retire`): notice / 5;
 * - anything else: informational / 3.
 */
export function severityOf(action: string): { syslog: number; cef: number } {
  const segments = action.split('.');
  if (segments.some((s) => s.includes('break_glass'))) return { syslog: 4, cef: 8 };
  if (segments.some((s) => ['denied', 'refused', 'failed', 'locked'].includes(s))) return { syslog: 4, cef: 7 };
  if (segments.some((s) => ['reveal', 'detokenize', 'export', 'erase', 'shred', 'delete', 'purge', 'rotate', 'retire'].includes(s))) return { syslog: 5, cef: 5 };
  return { syslog: 6, cef: 3 };
}

/**
 * A CEF header field: backslash and pipe are escaped with a backslash ("Implementing ArcSight
 * CEF", Character Encoding: "If a pipe (|) is used in the header, it has to be escaped with a
 * backslash"; "If a backslash is used in the header or the extension, it has to be escaped with
 * another backslash"). `=` needs no escaping in the header. Line breaks are not allowed in the
 * header ("multiple lines are only allowed in the value part of the extensions"): each CR or LF
 * becomes a space.
 */
export function cefHeaderValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]/g, ' ');
}

/**
 * A CEF extension value: backslash and equals sign are escaped with a backslash, and line breaks
 * are written as the two characters `\n` or `\r` (same section of the CEF document). Pipes need
 * no escaping in the extension.
 */
export function cefExtensionValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r\n|\n/g, '\\n').replace(/\r/g, '\\r');
}

/** A readable name for the CEF header's Name field: `customer.field.reveal` -> `customer field reveal`. */
export function actionName(action: string): string {
  return action.replace(/[._]/g, ' ');
}

/**
 * The CEF record of an entry:
 *
 *     CEF:0|Custodia|Custodia|<version>|<action>|<readable action>|<severity>|<extension>
 *
 * Extension keys (the CEF dictionary's names): `rt` the time in milliseconds since the epoch,
 * `externalId` the sequence number, `suid` the actor's id and `suser` its kind and id
 * (`agent:a1`), `act` the action, `msg` the reason, and labelled custom strings: `cs1` purpose,
 * `cs2` customer id, `cs3` field, `cs4` request id, `cs5` leaf hash, `cs6` tenant id;
 * `flexString1` the targets and `flexString2` the details, each as canonical JSON. Members the
 * entry does not have are left out.
 */
export function cefMessage(e: ExportedEntry, version = VERSION): string {
  const ext: [string, string][] = [
    ['rt', String(Date.parse(e.time))],
    ['externalId', String(e.seq)],
    ['suid', e.actor.id],
    ['suser', `${e.actor.type}:${e.actor.id}`],
    ['act', e.action],
  ];
  const labelled = (n: number, label: string, value: string | null | undefined): void => {
    if (value === null || value === undefined) return;
    ext.push([`cs${n}Label`, label], [`cs${n}`, value]);
  };
  labelled(1, 'purpose', e.purpose);
  labelled(2, 'customerId', e.targets.customer);
  labelled(3, 'field', e.targets.field);
  labelled(4, 'requestId', e.requestId);
  labelled(5, 'leafHash', e.leafHash);
  labelled(6, 'tenantId', e.tenant);
  if (e.reason !== null) ext.push(['msg', e.reason]);
  if (Object.keys(e.targets).length > 0) ext.push(['flexString1Label', 'targets'], ['flexString1', canonicalJson(e.targets)]);
  if (Object.keys(e.details).length > 0) ext.push(['flexString2Label', 'details'], ['flexString2', canonicalJson(e.details)]);
  const header = ['CEF:0', 'Custodia', 'Custodia', version, e.action, actionName(e.action), String(severityOf(e.action).cef)].map((v, i) => (i === 0 ? v : cefHeaderValue(v)));
  return `${header.join('|')}|${ext.map(([k, v]) => `${k}=${cefExtensionValue(v)}`).join(' ')}`;
}

/** Renders an entry in the chosen format (one line, no line feed). */
export function renderEntry(e: ExportedEntry, format: ExportFormat): string {
  return format === 'jsonl' ? jsonLine(e) : cefMessage(e);
}

// ---------------------------------------------------------------------------------------------
// Syslog (RFC 5424) and octet-counting framing (RFC 6587)

/** Facility 13, "log audit" (RFC 5424 §6.2.1, table 1): the default for ledger entries. */
export const DEFAULT_SYSLOG_FACILITY = 13;
export const SYSLOG_APP_NAME = 'custodia';
/** MSGID of every exported entry: they are all of one type, a ledger entry. */
export const SYSLOG_MSGID = 'ledger';

/** RFC 5424 §6 header fields are PRINTUSASCII (33–126), or the NILVALUE `-` when empty. */
function printUsAscii(value: string, max: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return cleaned === '' ? '-' : cleaned;
}

export interface SyslogHeader {
  /** 0–23 (RFC 5424 §6.2.1). */
  readonly facility: number;
  /** 0–7. */
  readonly severity: number;
  /** RFC 3339 time; the entry's own time, so the SIEM files it when it happened. */
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName?: string;
  readonly msgId?: string;
}

/**
 * An RFC 5424 message (§6): `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`, with PRI =
 * facility × 8 + severity (§6.2.1), no PROCID and no structured data (both the NILVALUE `-`:
 * everything is in MSG, and an SD-ID of our own would need an IANA enterprise number, §7.2.2).
 * MSG carries no BOM, so it is MSG-ANY (§6.4); its content is UTF-8 as CEF requires.
 */
export function syslogMessage(msg: string, h: SyslogHeader): string {
  if (!Number.isInteger(h.facility) || h.facility < 0 || h.facility > 23) throw new TypeError('syslog facility is 0-23');
  if (!Number.isInteger(h.severity) || h.severity < 0 || h.severity > 7) throw new TypeError('syslog severity is 0-7');
  const pri = h.facility * 8 + h.severity;
  return `<${pri}>1 ${h.timestamp} ${printUsAscii(h.hostname, 255)} ${printUsAscii(h.appName ?? SYSLOG_APP_NAME, 48)} - ${printUsAscii(h.msgId ?? SYSLOG_MSGID, 32)} - ${msg}`;
}

/** RFC 6587 §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN counting UTF-8 octets. */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

// ---------------------------------------------------------------------------------------------
// Sinks

/** One rendered entry, with the entry it came from (the syslog sink needs its time and action). */
export interface ExportRecord {
  readonly entry: ExportedEntry;
  readonly text: string;
}

/** Where an export goes. `deliver` resolves only once the batch is safely accepted. */
export interface ExportSink {
  /** For messages: `file /path`, `tcp://host:port`... */
  readonly description: string;
  deliver(batch: readonly ExportRecord[]): Promise<void>;
  close(): Promise<void>;
}

function exportFailed(detail: string, cause?: unknown): AppError {
  return new AppError(LedgerErrors.export_failed, { detail, cause });
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Appends one line per entry to a file (created 0600), and fsyncs it after every batch: a batch
 * counts as delivered once it is on disk. A new file's directory entry is synced too.
 */
export async function fileSink(file: string): Promise<ExportSink> {
  const existed = await access(file, fsConstants.F_OK).then(
    () => true,
    () => false,
  );
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'a', 0o600);
    if (!existed) await fsyncDirectory(path.dirname(path.resolve(file)));
  } catch (cause) {
    throw exportFailed(`Cannot open ${file} for appending: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, cause);
  }
  return {
    description: `file ${file}`,
    async deliver(batch) {
      if (batch.length === 0) return;
      try {
        await handle.write(batch.map((r) => `${r.text}\n`).join(''));
        await handle.sync();
      } catch (cause) {
        throw exportFailed(`Cannot write to ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, cause);
      }
    },
    async close() {
      await handle.close();
    },
  };
}

/**
 * Writes one line per entry to a stream (standard output). A batch counts as delivered once the
 * stream took it; what the reader does with it after that is its own affair.
 */
export function streamSink(stream: Writable, description = 'standard output'): ExportSink {
  return {
    description,
    deliver(batch) {
      if (batch.length === 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        stream.write(batch.map((r) => `${r.text}\n`).join(''), (error) => (error ? reject(exportFailed(`Cannot write to ${description}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, error)) : resolve()));
      });
    },
    async close() {},
  };
}

export interface SyslogTarget {
  readonly protocol: 'tcp' | 'tls';
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `tcp://host:port` or `tls://host:port` (IPv6 in brackets). No default port: 514 and
 * 6514 are both common for TCP, so the operator says which. Throws TypeError on anything else.
 */
export function parseSyslogUrl(value: string): SyslogTarget {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('give tcp://host:port or tls://host:port');
  }
  const protocol = url.protocol === 'tcp:' ? 'tcp' : url.protocol === 'tls:' ? 'tls' : undefined;
  if (protocol === undefined) throw new TypeError('the scheme must be tcp:// or tls://');
  if (url.hostname === '' || url.port === '') throw new TypeError('give a host and a port, e.g. tcp://siem.example:514');
  if (url.username !== '' || url.password !== '' || (url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') throw new TypeError('give only scheme, host and port');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { protocol, host, port: Number(url.port) };
}

export interface SyslogSinkOptions {
  /** Default 13, log audit. */
  readonly facility?: number;
  /** HOSTNAME of the messages; default this machine's name. */
  readonly hostname?: string;
  /** How long a batch may take (connect, send, the receiver's close), in ms; default 30 s. */
  readonly timeoutMs?: number;
  /** TLS: CA certificates to trust instead of Node's default list (PEM). */
  readonly ca?: string | Buffer;
  /** TLS: the name to check the certificate against; default the host (when it is a name). */
  readonly servername?: string;
}

/** Why a socket failed, for the operator: which host, and what happened (never any content). */
function describeSocketError(target: SyslogTarget, error: NodeJS.ErrnoException): string {
  const where = `${target.protocol}://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  switch (error.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return `Cannot resolve the syslog host ${target.host} (${error.code})`;
    case 'ECONNREFUSED':
      return `The syslog receiver at ${where} refused the connection`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `The syslog receiver at ${where} reset the connection before accepting the batch`;
    case 'ETIMEDOUT':
      return `The syslog receiver at ${where} did not answer in time`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `The syslog receiver at ${where} cannot be reached (${error.code})`;
    default:
      return (typeof error.code === 'string' && error.code.startsWith('ERR_TLS')) || /certificate|ssl|tls/i.test(error.message)
        ? `TLS with the syslog receiver at ${where} failed: ${error.code ?? error.message}`
        : `Sending to the syslog receiver at ${where} failed: ${error.code ?? error.message}`;
  }
}

/**
 * Sends each batch over its own connection: connect, write every message (octet-counted), close
 * our side, and wait for the receiver to close its side. RFC 6587 syslog has no acknowledgements,
 * so that orderly close is the acknowledgement: a receiver that closes after reading our FIN has
 * read every byte before it; one that stops early, with bytes unread, resets the connection
 * (TCP sends RST when a socket is closed with unread data), and so does one that has gone away.
 * A reset, a refusal, a close before the batch was sent, a TLS failure or the timeout fail the
 * batch with `ledger.export_failed`, and the cursor stays at its first entry.
 *
 * What this cannot see: a receiver that reads bytes and then loses them (crashes before storing
 * them). Give the receiver a disk-assisted queue if that matters.
 */
export function syslogSink(target: SyslogTarget, options: SyslogSinkOptions = {}): ExportSink {
  const facility = options.facility ?? DEFAULT_SYSLOG_FACILITY;
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) throw new TypeError('syslog facility is 0-23');
  const hostname = options.hostname ?? osHostname();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const description = `${target.protocol}://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;

  function send(payload: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      let socket: Socket;
      if (target.protocol === 'tls') {
        const tlsOptions: ConnectionOptions = {
          host: target.host,
          port: target.port,
          rejectUnauthorized: true,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          ...(options.servername !== undefined ? { servername: options.servername } : isIP(target.host) === 0 ? { servername: target.host } : {}),
        };
        socket = tlsConnect(tlsOptions);
      } else {
        socket = tcpConnect({ host: target.host, port: target.port });
      }
      let failure: NodeJS.ErrnoException | undefined;
      let flushed = false;
      let peerClosed = false;
      socket.setTimeout(timeoutMs, () => {
        failure ??= Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' });
        socket.destroy();
      });
      // Receivers send nothing; whatever comes is read and dropped, so that their FIN is seen.
      socket.on('data', () => undefined);
      socket.on('end', () => {
        peerClosed = true;
        // A close before our last byte was handed over can only mean the batch was not read.
        if (!flushed) failure ??= Object.assign(new Error('closed early'), { code: 'ECONNRESET' });
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        failure ??= error;
      });
      socket.on('close', () => {
        if (failure !== undefined) reject(exportFailed(describeSocketError(target, failure), failure));
        else if (!peerClosed) reject(exportFailed(describeSocketError(target, Object.assign(new Error('closed'), { code: 'ECONNRESET' }))));
        else resolve();
      });
      socket.once(target.protocol === 'tls' ? 'secureConnect' : 'connect', () => {
        socket.end(payload, () => {
          flushed = true;
        });
      });
    });
  }

  return {
    description,
    async deliver(batch) {
      if (batch.length === 0) return;
      const frames = batch.map((r) => {
        const sev = severityOf(r.entry.action).syslog;
        return octetFrame(syslogMessage(r.text, { facility, severity: sev, timestamp: r.entry.time, hostname }));
      });
      await send(Buffer.concat(frames));
    },
    async close() {},
  };
}

// ---------------------------------------------------------------------------------------------
// Cursor files

/**
 * A cursor file: `{"v":1,"tenant":"<uuid>","next":<seq>}` plus when it was written. `next` is the
 * first sequence number not yet delivered.
 */
export async function readCursorFile(file: string, tenantId: string): Promise<number | undefined> {
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError(LedgerErrors.cursor_invalid, { detail: `Cannot read the cursor file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError(LedgerErrors.cursor_invalid, { detail: `The cursor file ${file} is not JSON` });
  }
  const c = parsed as { v?: unknown; tenant?: unknown; next?: unknown };
  if (typeof parsed !== 'object' || parsed === null || c.v !== 1 || typeof c.tenant !== 'string' || typeof c.next !== 'number' || !Number.isSafeInteger(c.next) || c.next < 0) {
    throw new AppError(LedgerErrors.cursor_invalid, { detail: `The cursor file ${file} is not an export cursor` });
  }
  if (c.tenant !== tenantId) throw new AppError(LedgerErrors.cursor_invalid, { detail: `The cursor file ${file} belongs to another tenant` });
  return c.next;
}

/**
 * Replaces the cursor file atomically (a temporary file, fsync, rename, fsync of the directory):
 * after a crash it holds the old cursor or the new one, never a torn one.
 */
export async function writeCursorFile(file: string, tenantId: string, next: number, now: Date = new Date()): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify({ v: 1, tenant: tenantId, next, updatedAt: now.toISOString() })}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await fsyncDirectory(path.dirname(path.resolve(file)));
}

// ---------------------------------------------------------------------------------------------
// The export

export interface ExportProgress {
  /** First sequence number not yet delivered: the cursor to resume from. */
  readonly next: number;
  readonly exported: number;
  readonly batches: number;
}

export interface ExportOptions {
  readonly db: Database;
  readonly tenantId: string;
  /** First sequence number to export. */
  readonly from: number;
  readonly format: ExportFormat;
  readonly sink: ExportSink;
  /** Entries per batch (one read, one delivery, one cursor update); default 500. */
  readonly batchSize?: number;
  /** Called after each batch the sink accepted: persist `next` here (see {@link writeCursorFile}). */
  readonly onBatch?: (progress: ExportProgress) => Promise<void>;
}

export interface ExportResult extends ExportProgress {
  readonly from: number;
  /** The tree size when the export started: it exported `[from, treeSize)`. */
  readonly treeSize: number;
}

/**
 * Exports the sequenced entries `[from, tree size at the start)` of a tenant, batch by batch.
 * Entries sequenced during the export wait for the next run (whose cursor starts there).
 * Throws `ledger.cursor_invalid` when `from` is past the end of the tree, and
 * `ledger.export_failed` (naming where to resume) when the sink refuses a batch.
 */
export async function exportLedger(options: ExportOptions): Promise<ExportResult> {
  const { db, tenantId, from, format, sink } = options;
  const batchSize = options.batchSize ?? 500;
  if (!Number.isSafeInteger(from) || from < 0) throw new TypeError('from is a sequence number (an integer >= 0)');
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new TypeError('batchSize is a positive integer');
  const treeSize = await db.withTenant(tenantId, async (tx) => Number((await tx.selectFrom('ledger_heads').select('size').where('tenant_id', '=', tenantId).executeTakeFirst())?.size ?? 0));
  if (from > treeSize) throw new AppError(LedgerErrors.cursor_invalid, { detail: `The cursor (${from}) is past the end of the ledger (${treeSize} entries): it was made for another ledger` });

  let next = from;
  let exported = 0;
  let batches = 0;
  while (next < treeSize) {
    const start = next;
    const rows = await db.withTenant(tenantId, (tx) =>
      tx
        .selectFrom('ledger_entries')
        .select(['seq', 'entry'])
        .where('tenant_id', '=', tenantId)
        .where('seq', '>=', start)
        .where('seq', '<', treeSize)
        .orderBy('seq')
        .limit(batchSize)
        .execute(),
    );
    rows.forEach((row, i) => {
      if (Number(row.seq) !== start + i) throw new AppError(LedgerErrors.corrupt, { detail: `Entry ${start + i} is missing` });
    });
    if (rows.length === 0) throw new AppError(LedgerErrors.corrupt, { detail: `Entry ${start} is missing` });
    const batch = rows.map((row) => {
      const entry = toExportedEntry(row.entry, { tenant: tenantId, seq: Number(row.seq) });
      return { entry, text: renderEntry(entry, format) };
    });
    try {
      await sink.deliver(batch);
    } catch (error) {
      if (error instanceof AppError && error.code === LedgerErrors.export_failed.code) {
        throw new AppError(LedgerErrors.export_failed, {
          detail: `${error.detail}. Entries before ${start} were delivered; resume from ${start}.`,
          details: { next: start, exported, batches },
          cause: error,
        });
      }
      throw error;
    }
    next = start + rows.length;
    exported += rows.length;
    batches += 1;
    await options.onBatch?.({ next, exported, batches });
  }
  return { from, next, exported, batches, treeSize };
}
