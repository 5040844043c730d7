/**
 * The ledger archive: one tenant's whole ledger (entries, checkpoints, public keys) in one file
 * that anyone can verify without the database, with `custodia ledger verify --file` or their own
 * verifier (docs/ledger.md, "Archive format"). This is the verifier's format; the SIEM export
 * (export.ts) is another, meant for log pipelines.
 *
 * JSON lines, UTF-8, each ending in `\n`, in this order:
 *
 *     {"type":"header","format":"custodia-ledger-archive/v1","tenant":<uuid>,"size":N,"createdAt":<iso>,"keys":[{"keyId","publicKey"}]}
 *     {"type":"entry","seq":0,"leaf":<base64>,"entry":<canonical entry text>}
 *     ...
 *     {"type":"checkpoint","size":S,"root":<base64>,"time":<iso>,"keyId":<hex>,"signature":<base64>}
 *     ...
 *     {"type":"end","entries":N,"checkpoints":C}
 *
 * A checkpoint line follows the entry line of `seq = size - 1`, so a verifier reading the file
 * once, in order, checks each checkpoint as soon as it has the entries it covers. `leaf` is the
 * leaf hash the database stored when the entry was sequenced (not recomputed from the text), so
 * an edited entry is pinpointed, not only localised between two checkpoints. The end line makes
 * a cut file (a copy interrupted, lines dropped from the end) detectable.
 *
 * The archive is written from one consistent snapshot: the tenant's sequencer lock is held while
 * it is read, so no entry or checkpoint is added half-way.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, link, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { Database, Tx } from '../db/index.js';

export const ARCHIVE_FORMAT = 'custodia-ledger-archive/v1';

/** Entries read (and written) per query. */
const PAGE = 8192;

export interface ArchiveKey {
  readonly keyId: string;
  /** Raw 32-byte Ed25519 public key, base64. */
  readonly publicKey: string;
}

export interface ArchiveHeader {
  readonly type: 'header';
  readonly format: typeof ARCHIVE_FORMAT;
  readonly tenant: string;
  /** Tree size of the ledger head when the archive was made. */
  readonly size: number;
  readonly createdAt: string;
  readonly keys: readonly ArchiveKey[];
}

export interface ArchiveEntryLine {
  readonly type: 'entry';
  readonly seq: number;
  /** Leaf hash stored at sequencing time, base64 (absent when the database had none). */
  readonly leaf?: string;
  readonly entry: string;
}

export interface ArchiveCheckpointLine {
  readonly type: 'checkpoint';
  readonly size: number;
  readonly root: string;
  readonly time: string;
  readonly keyId: string;
  readonly signature: string;
}

export interface ArchiveEndLine {
  readonly type: 'end';
  readonly entries: number;
  readonly checkpoints: number;
}

export type ArchiveLine = ArchiveHeader | ArchiveEntryLine | ArchiveCheckpointLine | ArchiveEndLine;

export interface ArchiveResult {
  readonly file: string;
  readonly tenant: string;
  readonly size: number;
  readonly entries: number;
  readonly checkpoints: number;
  readonly bytes: number;
}

/** The sequencer's per-tenant lock (ledger.ts): held, nothing is appended while we read. */
export async function lockLedger(tx: Tx, tenantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`custodia.ledger.${tenantId}`}, 0))`.execute(tx);
}

/**
 * Writes the archive of `tenantId` to `file` (mode 0600). The file appears complete or not at
 * all: it is written beside its destination under a temporary name, then linked into place
 * (refused if `file` exists, unless `force`).
 *
 * @throws an Error with `code: 'EEXIST'` when `file` exists and `force` is not set.
 */
export async function exportArchive(db: Database, tenantId: string, file: string, options: { force?: boolean; now?: Date } = {}): Promise<ArchiveResult> {
  const target = path.resolve(file);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  let result: ArchiveResult;
  try {
    result = await db.withTenant(tenantId, (tx) => writeArchive(tx, tenantId, handle, options.now ?? new Date()));
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    if (options.force === true) await rename(temporary, target);
    else await link(temporary, target); // fails with EEXIST rather than replace a file
  } finally {
    if (options.force !== true) await unlink(temporary).catch(() => undefined);
  }
  return { ...result, file: target };
}

async function writeArchive(tx: Tx, tenantId: string, out: FileHandle, now: Date): Promise<ArchiveResult> {
  await lockLedger(tx, tenantId);
  const head = await tx.selectFrom('ledger_heads').select(['size']).where('tenant_id', '=', tenantId).executeTakeFirst();
  const keys = await tx.selectFrom('ledger_signing_keys').select(['id', 'public_key']).orderBy('created_at').orderBy('id').execute();
  let bytes = 0;
  const write = async (text: string): Promise<void> => {
    const buffer = Buffer.from(text, 'utf8');
    bytes += buffer.length;
    await out.write(buffer);
  };
  const header: ArchiveHeader = {
    type: 'header',
    format: ARCHIVE_FORMAT,
    tenant: tenantId,
    size: head?.size ?? 0,
    createdAt: now.toISOString(),
    keys: keys.map((k) => ({ keyId: k.id, publicKey: Buffer.from(k.public_key).toString('base64') })),
  };
  await write(`${JSON.stringify(header)}\n`);

  let entries = 0;
  let checkpoints = 0;
  let checkpointsUpTo = 0;
  let pending: ArchiveCheckpointLine[] = [];
  const takeCheckpoints = async (upTo: number): Promise<void> => {
    const rows = await checkpointRows(tx, tenantId, checkpointsUpTo, upTo);
    checkpointsUpTo = upTo;
    pending.push(...rows.map((r) => checkpointLine(r)));
  };

  for (let from = 0; ; ) {
    // Bounded ranges, not `seq >= from limit n`: without statistics (PGlite) the planner sorts
    // every remaining row for the latter.
    const rows = await tx
      .selectFrom('ledger_entries')
      .select(['seq', 'entry'])
      .where('tenant_id', '=', tenantId)
      .where('seq', '>=', from)
      .where('seq', '<', from + PAGE)
      .orderBy('seq')
      .execute();
    if (rows.length === 0) {
      // A gap of a whole page (only in a damaged ledger): jump to the next entry, if any.
      const next = await tx.selectFrom('ledger_entries').select((eb) => eb.fn.min('seq').as('seq')).where('tenant_id', '=', tenantId).where('seq', '>=', from).executeTakeFirst();
      if (next?.seq === null || next?.seq === undefined) break;
      from = Math.floor(Number(next.seq) / PAGE) * PAGE;
      continue;
    }
    await takeCheckpoints(from + PAGE);
    const leaves = await storedLeaves(tx, tenantId, from, from + PAGE);
    const lines: string[] = [];
    for (const row of rows) {
      const leaf = leaves.get(row.seq);
      const line: ArchiveEntryLine = leaf === undefined ? { type: 'entry', seq: row.seq, entry: row.entry } : { type: 'entry', seq: row.seq, leaf: leaf.toString('base64'), entry: row.entry };
      lines.push(JSON.stringify(line));
      entries += 1;
      while (pending[0] !== undefined && pending[0].size <= row.seq + 1) {
        lines.push(JSON.stringify(pending.shift()));
        checkpoints += 1;
      }
    }
    await write(`${lines.join('\n')}\n`);
    from += PAGE;
  }
  // Checkpoints past the last entry (only in a damaged ledger) are kept: they are evidence.
  await takeCheckpoints(Number.MAX_SAFE_INTEGER);
  for (const line of pending) await write(`${JSON.stringify(line)}\n`);
  checkpoints += pending.length;
  pending = [];
  const end: ArchiveEndLine = { type: 'end', entries, checkpoints };
  await write(`${JSON.stringify(end)}\n`);
  return { file: '', tenant: tenantId, size: header.size, entries, checkpoints, bytes };
}

function checkpointLine(r: { size: number; root: Uint8Array; at: Date; key_id: string; signature: Uint8Array }): ArchiveCheckpointLine {
  return { type: 'checkpoint', size: r.size, root: Buffer.from(r.root).toString('base64'), time: r.at.toISOString(), keyId: r.key_id, signature: Buffer.from(r.signature).toString('base64') };
}

/** Stored level-0 nodes (leaf hashes) for leaves [from, to). */
async function storedLeaves(tx: Tx, tenantId: string, from: number, to: number): Promise<Map<number, Buffer>> {
  const rows = await tx.selectFrom('ledger_nodes').select(['idx', 'hash']).where('tenant_id', '=', tenantId).where('level', '=', 0).where('idx', '>=', from).where('idx', '<', to).execute();
  return new Map(rows.map((r) => [r.idx, Buffer.from(r.hash)]));
}

/** One line of a JSON-lines file, and whether it ended with `\n` (only the last one may not). */
export interface FileLine {
  readonly text: string;
  readonly number: number;
  readonly terminated: boolean;
}

/** Streams the lines of a file without holding it whole (an archive of 10^6 entries is ~400 MB). */
export async function* readLines(file: string): AsyncGenerator<FileLine> {
  let rest: Buffer = Buffer.alloc(0);
  let number = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    let data = rest.length === 0 ? (chunk as Buffer) : Buffer.concat([rest, chunk as Buffer]);
    let start = 0;
    for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
      number += 1;
      yield { text: data.toString('utf8', start, nl), number, terminated: true };
      start = nl + 1;
    }
    data = data.subarray(start);
    rest = Buffer.from(data);
  }
  if (rest.length > 0) yield { text: rest.toString('utf8'), number: number + 1, terminated: false };
}

/** The tenant's checkpoint rows with `after < size <= upTo`, in size order. */
export function checkpointRows(tx: Tx, tenantId: string, after: number, upTo: number) {
  return tx
    .selectFrom('ledger_checkpoints')
    .select(['size', 'root', 'at', 'key_id', 'signature'])
    .where('tenant_id', '=', tenantId)
    .where('size', '>', after)
    .where('size', '<=', upTo)
    .orderBy('size')
    .execute();
}
