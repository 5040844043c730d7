/**
 * Proofs as the API and the CLI hand them out: hashes in base64, with the entry and the signed
 * checkpoint that the proof's root can be checked against (docs/ledger.md, "Proofs"). One place,
 * so that `custodia ledger prove` and `GET .../ledger/proofs/...` answer the same.
 */
import type { Tx } from '../db/index.js';
import { AppError } from '../platform/errors.js';
import { LedgerErrors } from './errors.js';
import type { Ledger, StoredCheckpoint } from './ledger.js';

/** A signed checkpoint, hashes and signature in base64. */
export interface CheckpointView {
  readonly size: number;
  readonly root: string;
  readonly time: string;
  readonly keyId: string;
  readonly signature: string;
}

export function checkpointView(c: StoredCheckpoint): CheckpointView {
  return { size: c.size, root: c.root.toString('base64'), time: c.at, keyId: c.keyId, signature: c.signature.toString('base64') };
}

export interface TreeHeadView {
  readonly size: number;
  readonly root: string;
  /** Entries recorded but not sequenced yet. */
  readonly queued: number;
  readonly checkpoint: CheckpointView | null;
}

export async function treeHeadView(ledger: Ledger, tx: Tx, tenantId: string): Promise<TreeHeadView> {
  const head = await ledger.treeHead(tx, tenantId);
  return { size: head.size, root: head.root.toString('base64'), queued: head.queued, checkpoint: head.checkpoint === undefined ? null : checkpointView(head.checkpoint) };
}

export interface InclusionProofView {
  readonly seq: number;
  readonly size: number;
  /** The entry's canonical text: its leaf hash is SHA-256(0x00 || UTF-8 bytes of this). */
  readonly entry: string;
  readonly leafHash: string;
  /** RFC 9162 §2.1.3 audit path, from the leaf's sibling up. */
  readonly proof: string[];
  readonly root: string;
  /** The signed checkpoint of exactly `size`, when there is one. */
  readonly checkpoint: CheckpointView | null;
}

async function checkpointOfSize(tx: Tx, size: number): Promise<CheckpointView | null> {
  const row = await tx.selectFrom('ledger_checkpoints').selectAll().where('size', '=', size).executeTakeFirst();
  if (row === undefined) return null;
  return { size: row.size, root: Buffer.from(row.root).toString('base64'), time: row.at.toISOString(), keyId: row.key_id, signature: Buffer.from(row.signature).toString('base64') };
}

/**
 * Inclusion proof of entry `seq` in the tree of `size` entries. Without `size`: the latest signed
 * checkpoint that covers the entry, or the current tree when none does yet.
 */
export async function proveInclusion(ledger: Ledger, tx: Tx, tenantId: string, seq: number, size?: number): Promise<InclusionProofView> {
  const head = await ledger.treeHead(tx, tenantId);
  if (seq >= head.size) throw new AppError(LedgerErrors.beyond_tree, { detail: `Entry ${seq} is not in the tree yet (it has ${head.size} entries)` });
  const n = size ?? (head.checkpoint !== undefined && head.checkpoint.size > seq ? head.checkpoint.size : head.size);
  const proof = await ledger.inclusionProof(tx, seq, n);
  const entry = await tx.selectFrom('ledger_entries').select('entry').where('seq', '=', seq).executeTakeFirst();
  if (entry === undefined) throw new AppError(LedgerErrors.corrupt, { detail: `Entry ${seq} is missing` });
  return {
    seq,
    size: n,
    entry: entry.entry,
    leafHash: proof.leafHash.toString('base64'),
    proof: proof.proof.map((p) => p.toString('base64')),
    root: proof.root.toString('base64'),
    checkpoint: await checkpointOfSize(tx, n),
  };
}

export interface ConsistencyProofView {
  readonly from: number;
  readonly to: number;
  /** RFC 9162 §2.1.4 consistency proof. */
  readonly proof: string[];
  readonly oldRoot: string;
  readonly newRoot: string;
  /** The signed checkpoints of exactly those sizes, when there are. */
  readonly checkpoints: { readonly from: CheckpointView | null; readonly to: CheckpointView | null };
}

/**
 * Consistency proof that the tree of `from` entries is a prefix of the tree of `to`. Without
 * `to`: the latest signed checkpoint, or the current tree when that is older than `from`.
 */
export async function proveConsistency(ledger: Ledger, tx: Tx, tenantId: string, from: number, to?: number): Promise<ConsistencyProofView> {
  const head = await ledger.treeHead(tx, tenantId);
  if (from > head.size) throw new AppError(LedgerErrors.beyond_tree, { detail: `The tree has ${head.size} entries` });
  const n = to ?? (head.checkpoint !== undefined && head.checkpoint.size >= from ? head.checkpoint.size : head.size);
  const proof = await ledger.consistencyProof(tx, from, n);
  return {
    from,
    to: n,
    proof: proof.proof.map((p) => p.toString('base64')),
    oldRoot: proof.oldRoot.toString('base64'),
    newRoot: proof.newRoot.toString('base64'),
    checkpoints: { from: await checkpointOfSize(tx, from), to: await checkpointOfSize(tx, n) },
  };
}
