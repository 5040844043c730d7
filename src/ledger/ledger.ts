/**
 * The ledger: recording entries (in the caller's transaction), sequencing them into the Merkle
 * tree, signing checkpoints, and proving inclusion and consistency.
 *
 *     record()   any writer, same transaction as the change  -> ledger_queue
 *     sequence() one sequencer per tenant at a time (advisory lock), in batches
 *                -> ledger_entries (gapless seq), ledger_nodes (subtree hashes), ledger_heads,
 *                   ledger_checkpoints (every N entries or T seconds, Ed25519-signed)
 *
 * Writers never wait for one another or for the sequencer, so recording costs one INSERT; the
 * tree is extended in order by one transaction at a time, so it never forks. An entry is in the
 * tree, with its sequence number, once the sequencer has run (the server runs it continuously,
 * see sequencer.ts); until then it is queued, committed with the change it records.
 */
import { sql } from 'kysely';
import type { Database, Tx } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { encodeEntry, type LedgerEntry, type LedgerEntryInput, ledgerEntryInput, type ValidLedgerEntry } from './entry.js';
import { LedgerErrors } from './errors.js';
import { consistencyProofRanges, emptyRoot, inclusionProofRanges, leafHashOfText, MerkleFrontier, nodeHash } from './merkle.js';
import { recordEntry } from './record.js';
import type { Checkpoint, LedgerSigner } from './signing.js';

export interface LedgerOptions {
  readonly db: Database;
  readonly clock: Clock;
  /** Loaded lazily: recording needs no key, only signing does. */
  readonly signer: () => Promise<LedgerSigner>;
  /** Sign a checkpoint once this many entries were added since the last one. */
  readonly checkpointEvery: number;
  /** ...or once this much time passed since the last one, if anything was added. */
  readonly checkpointIntervalMs: number;
  /** Entries moved from the queue into the tree per transaction. */
  readonly batchSize?: number;
  /** Queue each new checkpoint for delivery to the external witness (when one is configured). */
  readonly witness?: boolean;
}

export interface StoredCheckpoint extends Checkpoint {
  readonly keyId: string;
  readonly signature: Buffer;
}

export interface SequenceResult {
  readonly appended: number;
  readonly size: number;
  readonly checkpoint?: StoredCheckpoint;
  /** False when another sequencer held the tenant's lock (nothing was done). */
  readonly ran: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function iso(date: Date): string {
  return date.toISOString();
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export class Ledger {
  readonly #options: LedgerOptions;

  constructor(options: LedgerOptions) {
    this.#options = options;
  }

  /**
   * Records an entry in the caller's transaction (so it commits or rolls back with the change).
   * Validates it first: a bad entry fails the caller's transaction, by design.
   */
  async record(tx: Tx, tenantId: string, input: LedgerEntryInput): Promise<void> {
    await recordEntry(tx, tenantId, input, this.#options.clock.now());
  }

  /**
   * Moves queued entries of the tenant into the tree, up to one batch, and signs a checkpoint
   * when one is due. Safe to call from any number of processes: one runs, the others return
   * `ran: false` at once.
   */
  async sequence(tenantId: string): Promise<SequenceResult> {
    const { db, clock } = this.#options;
    const batchSize = this.#options.batchSize ?? 1000;
    // Loaded before the transaction: it may need its own (platform-scope) transaction, which on
    // the embedded database's single session would wait for this one.
    const signer = await this.#options.signer();
    return db.withTenant(tenantId, async (tx) => {
      const locked = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(hashtextextended(${`custodia.ledger.${tenantId}`}, 0)) as ok`.execute(tx);
      if (locked.rows[0]?.ok !== true) return { appended: 0, size: -1, ran: false };
      const head = await this.#head(tx, tenantId);
      const queued = await tx.selectFrom('ledger_queue').select(['id', 'at', 'body']).orderBy('id').limit(batchSize).execute();
      const frontier = head.frontier;
      const entries: { tenant_id: string; seq: number; at: Date; action: string; actor_type: string; actor_id: string; customer_id: string | null; entry: string }[] = [];
      const nodes: { tenant_id: string; level: number; idx: number; hash: Buffer }[] = [];
      for (const row of queued) {
        const body = queuedBody(row.body, row.id);
        const entry: LedgerEntry = { ...body, v: 1, tenant: tenantId, seq: frontier.size, at: iso(row.at) };
        const text = encodeEntry(entry);
        frontier.appendOwned(leafHashOfText(text), (level, idx, hash) => nodes.push({ tenant_id: tenantId, level, idx, hash }));
        const customer = entry.targets.customer;
        entries.push({
          tenant_id: tenantId,
          seq: entry.seq,
          at: row.at,
          action: entry.action,
          actor_type: entry.actor.type,
          actor_id: entry.actor.id,
          customer_id: customer !== undefined && UUID.test(customer) ? customer : null,
          entry: text,
        });
      }
      if (queued.length > 0) {
        for (let i = 0; i < entries.length; i += 500) await tx.insertInto('ledger_entries').values(entries.slice(i, i + 500)).execute();
        for (let i = 0; i < nodes.length; i += 1000) await tx.insertInto('ledger_nodes').values(nodes.slice(i, i + 1000)).execute();
        await tx
          .deleteFrom('ledger_queue')
          .where(
            'id',
            'in',
            queued.map((q) => q.id),
          )
          .execute();
      }
      const size = frontier.size;
      const root = frontier.root();
      let checkpoint: StoredCheckpoint | undefined;
      if (size > head.checkpointedSize && (await this.#checkpointDue(tx, size, head.checkpointedSize))) {
        checkpoint = await this.#sign(tx, signer, tenantId, size, root);
      }
      await tx
        .insertInto('ledger_heads')
        .values({ tenant_id: tenantId, size, root, frontier: JSON.stringify(frontier.toJSON()), checkpointed_size: checkpoint?.size ?? head.checkpointedSize, updated_at: clock.now() })
        .onConflict((oc) =>
          oc.column('tenant_id').doUpdateSet({ size, root, frontier: JSON.stringify(frontier.toJSON()), checkpointed_size: checkpoint?.size ?? head.checkpointedSize, updated_at: clock.now() }),
        )
        .execute();
      return { appended: queued.length, size, ran: true, ...(checkpoint === undefined ? {} : { checkpoint }) };
    });
  }

  /** Loads (creating on first use) the checkpoint signing key, so that it is published before the first checkpoint. */
  async signingKey(): Promise<{ keyId: string; publicKey: Buffer }> {
    const signer = await this.#options.signer();
    return { keyId: signer.keyId, publicKey: signer.publicKey };
  }

  /** Runs `sequence` until the tenant's queue is empty (tests, CLI, tools). */
  async sequenceAll(tenantId: string): Promise<SequenceResult> {
    let last: SequenceResult;
    do last = await this.sequence(tenantId);
    while (last.ran && last.appended > 0);
    return last;
  }

  /** Signs a checkpoint for the current tree now, if it grew since the last one. */
  async checkpointNow(tenantId: string): Promise<StoredCheckpoint | undefined> {
    const signer = await this.#options.signer();
    return this.#options.db.withTenant(tenantId, async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`custodia.ledger.${tenantId}`}, 0))`.execute(tx);
      const head = await this.#head(tx, tenantId);
      if (head.frontier.size === 0 || head.frontier.size === head.checkpointedSize) return undefined;
      const checkpoint = await this.#sign(tx, signer, tenantId, head.frontier.size, head.frontier.root());
      await tx.updateTable('ledger_heads').set({ checkpointed_size: checkpoint.size }).where('tenant_id', '=', tenantId).execute();
      return checkpoint;
    });
  }

  /** The tree as the sequencer left it: size, root, and the latest signed checkpoint. */
  async treeHead(tx: Tx, tenantId: string): Promise<{ size: number; root: Buffer; queued: number; checkpoint: StoredCheckpoint | undefined }> {
    const head = await this.#head(tx, tenantId);
    const queued = await tx.selectFrom('ledger_queue').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const latest = await tx.selectFrom('ledger_checkpoints').selectAll().orderBy('size', 'desc').limit(1).executeTakeFirst();
    return {
      size: head.frontier.size,
      root: head.frontier.root(),
      queued: Number(queued.n),
      checkpoint: latest === undefined ? undefined : toCheckpoint(latest),
    };
  }

  /** Checkpoints, oldest first. */
  async checkpoints(tx: Tx, options: { afterSize?: number; limit?: number } = {}): Promise<StoredCheckpoint[]> {
    const rows = await tx
      .selectFrom('ledger_checkpoints')
      .selectAll()
      .where('size', '>', options.afterSize ?? 0)
      .orderBy('size')
      .limit(options.limit ?? 1000)
      .execute();
    return rows.map(toCheckpoint);
  }

  /** Entries `[from, from + limit)` as stored (canonical text), in order. */
  async entries(tx: Tx, from: number, limit: number): Promise<{ seq: number; entry: string }[]> {
    // Bounded on both sides (sequence numbers are gapless): without statistics the planner would
    // otherwise read and sort every later entry for each page (bench/ledger.ts).
    return tx.selectFrom('ledger_entries').select(['seq', 'entry']).where('seq', '>=', from).where('seq', '<', from + limit).orderBy('seq').limit(limit).execute();
  }

  /** Root of the tree of the first `size` entries (any size up to the current one). */
  async rootAt(tx: Tx, size: number): Promise<Buffer> {
    // Every tree has the empty tree as a prefix: nothing to look up.
    if (size === 0) return emptyRoot();
    return (await this.#subtreeHashes(tx, size, [[0, size]]))[0] as Buffer;
  }

  /** RFC 9162 §2.1.3 inclusion proof of entry `index` in the tree of size `size`. */
  async inclusionProof(tx: Tx, index: number, size: number): Promise<{ leafHash: Buffer; proof: Buffer[]; root: Buffer }> {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) throw new AppError(LedgerErrors.invalid_range, { detail: 'Need 0 <= index < size' });
    const hashes = await this.#subtreeHashes(tx, size, [[index, index + 1], [0, size], ...inclusionProofRanges(index, size)]);
    const [leaf, root, ...proof] = hashes as [Buffer, Buffer, ...Buffer[]];
    return { leafHash: leaf, proof, root };
  }

  /** RFC 9162 §2.1.4 consistency proof between the trees of sizes `m` and `n`. */
  async consistencyProof(tx: Tx, m: number, n: number): Promise<{ proof: Buffer[]; oldRoot: Buffer; newRoot: Buffer }> {
    if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 1 || m > n) throw new AppError(LedgerErrors.invalid_range, { detail: 'Need 1 <= first <= second' });
    const hashes = await this.#subtreeHashes(tx, n, [[0, m], [0, n], ...consistencyProofRanges(m, n)]);
    const [oldRoot, newRoot, ...proof] = hashes as [Buffer, Buffer, ...Buffer[]];
    return { proof, oldRoot, newRoot };
  }

  /**
   * MTH of each leaf range of the tree of the first `size` entries, from the stored complete
   * subtrees: a range that is one aligned power-of-two block is one stored node; any other (it
   * ends at the tree's right edge) is split as RFC 9162 does, into O(log n) stored nodes.
   *
   * One round trip: the nodes by primary key (one index probe per (level, idx) pair, unlike an OR
   * of pairs, which PostgreSQL plans as a bitmap scan of every pair and PGlite pays for per
   * term), and the tree's size, checked before any node is used.
   */
  async #subtreeHashes(tx: Tx, size: number, ranges: readonly (readonly [number, number])[]): Promise<Buffer[]> {
    const levels: number[] = [];
    const indexes: number[] = [];
    const planned = new Set<string>();
    const plan = (start: number, end: number): void => {
      const width = end - start;
      if ((width & (width - 1)) === 0 && start % width === 0 && Number.isSafeInteger(width)) {
        const key = `${Math.log2(width)}/${start / width}`;
        if (!planned.has(key)) {
          planned.add(key);
          levels.push(Math.log2(width));
          indexes.push(start / width);
        }
        return;
      }
      const k = largestPowerOfTwoBelow(width);
      plan(start, start + k);
      plan(start + k, end);
    };
    for (const [start, end] of ranges) plan(start, end);
    const { rows } = await sql<{ level: number; idx: number; hash: Uint8Array | null; size: number | null }>`
      select k.level, k.idx, n.hash, (select size from ledger_heads) as size
      from unnest(${levels}::smallint[], ${indexes}::bigint[]) as k(level, idx)
      left join ledger_nodes n on n.level = k.level and n.idx = k.idx`.execute(tx);
    const treeSize = rows[0]?.size ?? 0;
    if (size > treeSize) throw new AppError(LedgerErrors.beyond_tree, { detail: `The tree has ${treeSize} entries` });
    const found = new Map<string, Buffer>();
    for (const r of rows) if (r.hash !== null) found.set(`${r.level}/${r.idx}`, Buffer.from(r.hash));
    const hashOf = (start: number, end: number): Buffer => {
      const width = end - start;
      if ((width & (width - 1)) === 0 && start % width === 0) {
        const node = found.get(`${Math.log2(width)}/${start / width}`);
        if (node === undefined) throw new AppError(LedgerErrors.corrupt, { detail: `Missing tree node for entries ${start}..${end - 1}` });
        return node;
      }
      const k = largestPowerOfTwoBelow(width);
      return nodeHash(hashOf(start, start + k), hashOf(start + k, end));
    };
    return ranges.map(([start, end]) => hashOf(start, end));
  }

  async #head(tx: Tx, tenantId: string): Promise<{ frontier: MerkleFrontier; checkpointedSize: number }> {
    const row = await tx.selectFrom('ledger_heads').select(['size', 'root', 'frontier', 'checkpointed_size']).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (row === undefined) return { frontier: new MerkleFrontier(), checkpointedSize: 0 };
    let frontier: MerkleFrontier;
    try {
      frontier = MerkleFrontier.fromJSON(row.frontier);
    } catch (cause) {
      throw new AppError(LedgerErrors.corrupt, { detail: 'The stored tree head is malformed', cause });
    }
    if (frontier.size !== row.size || !frontier.root().equals(Buffer.from(row.root))) throw new AppError(LedgerErrors.corrupt, { detail: 'The stored tree head does not match its root' });
    return { frontier, checkpointedSize: row.checkpointed_size };
  }

  async #checkpointDue(tx: Tx, size: number, checkpointedSize: number): Promise<boolean> {
    if (size - checkpointedSize >= this.#options.checkpointEvery) return true;
    // Counted from the last checkpoint, or for a new ledger from its first entry.
    const last = await tx.selectFrom('ledger_checkpoints').select('at').orderBy('size', 'desc').limit(1).executeTakeFirst();
    const since = last?.at ?? (await tx.selectFrom('ledger_entries').select('at').where('seq', '=', 0).executeTakeFirst())?.at;
    if (since === undefined) return false;
    return this.#options.clock.now().getTime() - since.getTime() >= this.#options.checkpointIntervalMs;
  }

  async #sign(tx: Tx, signer: LedgerSigner, tenantId: string, size: number, root: Buffer): Promise<StoredCheckpoint> {
    const at = this.#options.clock.now();
    const checkpoint: Checkpoint = { tenantId, size, root, at: iso(at) };
    const signature = signer.sign(checkpoint);
    await tx.insertInto('ledger_checkpoints').values({ tenant_id: tenantId, size, root, at, key_id: signer.keyId, signature }).execute();
    if (this.#options.witness === true) await tx.insertInto('ledger_witness_queue').values({ tenant_id: tenantId, size }).execute();
    return { ...checkpoint, keyId: signer.keyId, signature };
  }
}

/**
 * A queued row's body, re-validated: `record` only queues valid entries, so an invalid one was
 * written around the application (directly in SQL). It is not sequenced as it is (it could carry
 * personal data, and a malformed one would stop the tenant's sequencing); in its place the tree
 * gets an entry that says a queued row was rejected, so the tampering itself is on record.
 */
function queuedBody(body: unknown, queueId: number): ValidLedgerEntry {
  const parsed = ledgerEntryInput.safeParse(body);
  if (parsed.success) return parsed.data;
  return { actor: { type: 'system', id: 'ledger-sequencer' }, action: 'ledger.queue.rejected', targets: {}, details: { queueId, reason: 'invalid entry' } };
}

function toCheckpoint(row: { tenant_id: string; size: number; root: Uint8Array; at: Date; key_id: string; signature: Uint8Array }): StoredCheckpoint {
  return { tenantId: row.tenant_id, size: row.size, root: Buffer.from(row.root), at: iso(row.at), keyId: row.key_id, signature: Buffer.from(row.signature) };
}
