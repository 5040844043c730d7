/**
 * The Merkle tree of the audit ledger: RFC 6962 section 2.1, restated in RFC 9162 section 2.1.
 * Pure computation over hashes in memory; no database, no I/O.
 *
 * - Hashing: a leaf is SHA-256(0x00 || entry), an interior node SHA-256(0x01 || left || right),
 *   the empty tree SHA-256(""). The prefixes keep a leaf from ever being read as a node
 *   (second-preimage resistance).
 * - {@link rootOf} is the Merkle Tree Hash (MTH) of a list of leaf hashes; {@link MerkleFrontier}
 *   gives the same root incrementally from O(log n) stored node hashes, and serialises to JSON so
 *   the ledger can persist it with each checkpoint.
 * - Proofs (RFC 9162 sections 2.1.3 and 2.1.4) are built from a {@link SubtreeHasher}: a function
 *   returning MTH of the leaf range [start, end). Every range a proof asks for is either a
 *   perfect, aligned subtree (immutable once full, so a store may cache it forever) or ends at
 *   the tree size. {@link inclusionProofRanges} and {@link consistencyProofRanges} list those
 *   ranges without hashing, so a store can fetch them in one query.
 * - Verifiers follow the RFC 9162 algorithms (sections 2.1.3.2 and 2.1.4.2) and answer `false`,
 *   never throw, for anything wrong in what they are given: every argument of a verifier may come
 *   from an untrusted party (a proof, a checkpoint, a size in a request).
 *
 * Errors: generators and {@link MerkleFrontier} throw on caller mistakes only — `TypeError` for
 * arguments of the wrong type or shape (a size that is not a non-negative safe integer, a hash
 * that is not 32 bytes, a malformed persisted frontier), `RangeError` for arguments outside the
 * tree (index >= size, m > n, m = 0). Callers that pass sizes from a request validate them first.
 *
 * Sizes are JavaScript numbers, exact up to 2^53 - 1; the arithmetic below avoids 32-bit bitwise
 * operators so that trees past 2^32 leaves work.
 */
import { createHash, hash } from 'node:crypto';

/** Bytes in every hash of the tree (SHA-256). */
export const HASH_BYTES = 32;

/**
 * Returns MTH(D[start:end]) — the root of the subtree over leaves start..end-1 — for
 * 0 <= start < end <= the tree size the proof is for. The result must be {@link HASH_BYTES} long.
 */
export type SubtreeHasher = (start: number, end: number) => Uint8Array;

/** {@link SubtreeHasher} for stores that answer asynchronously (the database). */
export type AsyncSubtreeHasher = (start: number, end: number) => Promise<Uint8Array>;

/** A half-open leaf range `[start, end)`. */
export type LeafRange = readonly [start: number, end: number];

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);
const EMPTY_ROOT = createHash('sha256').digest();

// Hashing is most of what building and verifying the tree costs (two hashes per entry), and the
// cost is mostly around SHA-256 rather than in it: a Hash object per call, and a digest Buffer
// with its own backing store that the garbage collector must track and free. So each input is
// copied into a reused buffer and hashed in one call, and the digest comes back as a 'binary'
// (latin1) string, one byte per character and lossless, that Buffer.from copies into Node's
// shared buffer pool. Sharing the input buffers is safe because hashing is synchronous: no two
// calls can overlap.
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_BYTES);
NODE_INPUT[0] = 0x01;
const LEAF_INPUT = Buffer.alloc(16_384);
LEAF_INPUT[0] = 0x00;
/** Longest text {@link leafHashOfText} encodes in place: UTF-8 takes at most 3 bytes per UTF-16 unit. */
const LEAF_TEXT_MAX = Math.floor((LEAF_INPUT.length - 1) / 3);
function sha256(input: Uint8Array): Buffer {
  return Buffer.from(hash('sha256', input, 'binary'), 'binary');
}

/**
 * RFC 9162 section 2.1.1: the hash of one log entry as a leaf.
 *
 * @example
 * ```ts
 * const hash = leafHash(Buffer.from(canonicalEntryJson, 'utf8'));
 * ```
 */
export function leafHash(entryBytes: Uint8Array): Buffer {
  if (entryBytes.length >= LEAF_INPUT.length) return createHash('sha256').update(LEAF_PREFIX).update(entryBytes).digest();
  LEAF_INPUT.set(entryBytes, 1);
  return sha256(LEAF_INPUT.subarray(0, 1 + entryBytes.length));
}

/**
 * {@link leafHash} of a text's UTF-8 bytes (what the ledger hashes: an entry's canonical JSON),
 * encoded straight into the hash input instead of into a Buffer or string of its own first.
 *
 * @example
 * ```ts
 * leafHashOfText(text).equals(leafHash(Buffer.from(text, 'utf8'))); // true
 * ```
 */
export function leafHashOfText(text: string): Buffer {
  if (text.length > LEAF_TEXT_MAX) return leafHash(Buffer.from(text, 'utf8'));
  const length = LEAF_INPUT.write(text, 1, 'utf8');
  return sha256(LEAF_INPUT.subarray(0, 1 + length));
}

/**
 * RFC 9162 section 2.1.1: the hash of an interior node. Accepts children of any length because
 * the RFC's definition does (the published hasher vector hashes 4-byte children); the tree
 * functions below only ever pass 32-byte hashes.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_BYTES);
  return sha256(NODE_INPUT);
}

/** MTH({}) = SHA-256 of the empty string. A fresh copy each call: Buffers are mutable. */
export function emptyRoot(): Buffer {
  return Buffer.from(EMPTY_ROOT);
}

/**
 * The Merkle Tree Hash of `leafHashes` (RFC 9162 section 2.1.1), hashing each interior node once.
 *
 * @throws TypeError if a leaf hash is not 32 bytes.
 * @example
 * ```ts
 * const root = rootOf(entries.map((e) => leafHash(e)));
 * ```
 */
export function rootOf(leafHashes: readonly Uint8Array[]): Buffer {
  requireHashes(leafHashes);
  return mth(leafHashes, 0, leafHashes.length);
}

/**
 * A simple {@link SubtreeHasher} over leaf hashes held in memory. Each call costs end - start - 1
 * node hashes, so a whole proof costs O(n): fine for tests and small trees; a store for millions
 * of entries should cache the perfect subtrees.
 */
export function arraySubtreeHasher(leafHashes: readonly Uint8Array[]): SubtreeHasher {
  requireHashes(leafHashes);
  return (start, end) => {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start || end > leafHashes.length) {
      throw new RangeError(`subtree [${start}, ${end}) is not a non-empty range of the ${leafHashes.length} leaves`);
    }
    return mth(leafHashes, start, end);
  };
}

/**
 * Incremental Merkle tree: the roots of the perfect subtrees that make up the tree so far (one per
 * set bit of the size, largest first). Appending costs amortised O(1) hashes, the root O(log n),
 * and the whole state is at most 53 hashes — so the ledger never re-reads old entries to extend
 * the tree.
 *
 * @example
 * ```ts
 * const frontier = MerkleFrontier.fromJSON(checkpoint.frontier); // or new MerkleFrontier()
 * const index = frontier.append(leafHash(entryBytes));
 * const next = { size: frontier.size, root: frontier.root(), frontier: frontier.toJSON() };
 * ```
 */
export class MerkleFrontier {
  #size = 0;
  // Invariant: #nodes[i] is the root of the i-th perfect subtree from the left; their sizes are
  // the powers of two in the binary expansion of #size, in decreasing order.
  #nodes: Buffer[] = [];

  /** Number of leaves appended. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one leaf hash and returns its index. Copies the hash, so later changes to the
   * caller's buffer cannot change the tree.
   *
   * @throws TypeError if `leafHash` is not 32 bytes; RangeError past 2^53 - 1 leaves.
   */
  append(leafHash: Uint8Array, onNode?: (level: number, index: number, hash: Buffer) => void): number {
    requireHash(leafHash, 'leafHash');
    return this.#append(Buffer.from(leafHash), onNode);
  }

  /**
   * {@link append} without the copy: the frontier keeps `leafHash` itself, so the caller must
   * never change it. For a hash just computed (`leafHashOfText(text)`), where the copy would be
   * one more buffer per entry for nothing: the sequencer and the verifier append millions.
   *
   * @throws as {@link append}.
   */
  appendOwned(leafHash: Buffer, onNode?: (level: number, index: number, hash: Buffer) => void): number {
    requireHash(leafHash, 'leafHash');
    return this.#append(leafHash, onNode);
  }

  #append(leafHash: Buffer, onNode: ((level: number, index: number, hash: Buffer) => void) | undefined): number {
    const index = this.#size;
    if (index >= Number.MAX_SAFE_INTEGER) throw new RangeError('the tree is full (2^53 - 1 leaves)');
    // Carry like binary addition: each trailing 1-bit of the old size is a perfect subtree of the
    // same height as the one being built, so the two merge into one twice as large. `onNode`
    // hears of each subtree this completes (the leaf at level 0, then every merge), so that a
    // store can keep them for proofs.
    let hash = leafHash;
    onNode?.(0, index, hash);
    let level = 0;
    for (let rest = index; rest % 2 === 1; rest = (rest - 1) / 2) {
      const left = this.#nodes.pop();
      if (left === undefined) throw new Error('MerkleFrontier invariant broken');
      hash = nodeHash(left, hash);
      level += 1;
      onNode?.(level, (rest - 1) / 2, hash);
    }
    this.#nodes.push(hash);
    this.#size = index + 1;
    return index;
  }

  /** MTH of the leaves appended so far (the empty-tree hash when there are none). */
  root(): Buffer {
    const last = this.#nodes.at(-1);
    if (last === undefined) return emptyRoot();
    // RFC 9162 splits at the largest power of two below n, so the smaller subtrees on the right
    // combine first.
    let hash: Buffer = Buffer.from(last);
    for (let i = this.#nodes.length - 2; i >= 0; i--) hash = nodeHash(this.#nodes[i] as Buffer, hash);
    return hash;
  }

  /** An independent copy (appending to one does not change the other). */
  clone(): MerkleFrontier {
    return MerkleFrontier.#of(this.#size, this.#nodes.map((node) => Buffer.from(node)));
  }

  /** `{ size, nodes }` with each node as 64 lowercase hex digits; what `JSON.stringify` writes. */
  toJSON(): MerkleFrontierJSON {
    return { size: this.#size, nodes: this.#nodes.map((node) => node.toString('hex')) };
  }

  /**
   * Reads what {@link toJSON} wrote. Strict: exactly the keys `size` and `nodes`, a non-negative
   * safe integer size, one 64-digit lowercase hex node per set bit of the size. A persisted
   * frontier only proves anything together with the checkpoint root it was saved with; the
   * ledger compares `root()` with that root after loading.
   *
   * @throws TypeError when `value` is not a well-formed frontier.
   */
  static fromJSON(value: unknown): MerkleFrontier {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidFrontier('not an object');
    const keys = Object.keys(value).sort();
    if (keys.length !== 2 || keys[0] !== 'nodes' || keys[1] !== 'size') throw invalidFrontier('keys must be exactly size and nodes');
    const { size, nodes } = value as { size: unknown; nodes: unknown };
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalidFrontier('size must be a non-negative safe integer');
    if (!Array.isArray(nodes)) throw invalidFrontier('nodes must be an array');
    if (nodes.length !== bitCount(size)) throw invalidFrontier(`a tree of ${size} leaves has ${bitCount(size)} frontier nodes, not ${nodes.length}`);
    const parsed: Buffer[] = [];
    // An index loop, not map(): map() would carry the holes of a sparse array through.
    for (let i = 0; i < nodes.length; i++) {
      const node: unknown = nodes[i];
      if (typeof node !== 'string' || !HEX_HASH.test(node)) throw invalidFrontier('each node must be 64 lowercase hex digits');
      parsed.push(Buffer.from(node, 'hex'));
    }
    return MerkleFrontier.#of(size, parsed);
  }

  static #of(size: number, nodes: Buffer[]): MerkleFrontier {
    const frontier = new MerkleFrontier();
    frontier.#size = size;
    frontier.#nodes = nodes;
    return frontier;
  }
}

/** The persisted form of a {@link MerkleFrontier}. */
export interface MerkleFrontierJSON {
  readonly size: number;
  readonly nodes: readonly string[];
}

const HEX_HASH = /^[0-9a-f]{64}$/;

function invalidFrontier(reason: string): TypeError {
  return new TypeError(`invalid Merkle frontier: ${reason}`);
}

/**
 * The leaf ranges whose subtree hashes form the inclusion proof PATH(index, D[size])
 * (RFC 9162 section 2.1.3.1), in proof order: from the leaf's sibling up to the root's child.
 *
 * @throws TypeError for non-integer arguments; RangeError unless 0 <= index < size.
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  requireCount(index, 'index');
  requireCount(size, 'size');
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size} leaves`);
  const out: LeafRange[] = [];
  pathRanges(index, 0, size, out);
  return out;
}

/**
 * The leaf ranges whose subtree hashes form the consistency proof PROOF(m, D[n])
 * (RFC 9162 section 2.1.4.1), in proof order. Empty when m = n.
 *
 * @throws TypeError for non-integer arguments; RangeError unless 0 < m <= n. A proof from the
 *   empty tree proves nothing (every tree extends it), so m = 0 is refused rather than answered
 *   with an empty proof a verifier would have to special-case.
 */
export function consistencyProofRanges(m: number, n: number): LeafRange[] {
  requireCount(m, 'm');
  requireCount(n, 'n');
  if (m === 0) throw new RangeError('no consistency proof from the empty tree: every tree is consistent with it');
  if (m > n) throw new RangeError(`a tree of ${m} leaves cannot be a prefix of one of ${n}`);
  const out: LeafRange[] = [];
  if (m < n) subproofRanges(m, 0, n, true, out);
  return out;
}

/**
 * Inclusion proof for leaf `index` in the tree of the first `size` leaves.
 *
 * @param source a {@link SubtreeHasher}, or the leaf hashes themselves (at least `size` of them).
 * @throws as {@link inclusionProofRanges}; TypeError if `source` returns a hash that is not 32 bytes.
 * @example
 * ```ts
 * const proof = inclusionProof(5, 8, leafHashes);
 * verifyInclusion(leafHashes[5], 5, 8, proof, rootOf(leafHashes.slice(0, 8))); // true
 * ```
 */
export function inclusionProof(index: number, size: number, source: SubtreeHasher | readonly Uint8Array[]): Buffer[] {
  const ranges = inclusionProofRanges(index, size);
  return hashRanges(ranges, hasherFor(source, size));
}

/**
 * Consistency proof that the tree of the first `m` leaves is a prefix of the tree of the first
 * `n` leaves.
 *
 * @param source a {@link SubtreeHasher}, or the leaf hashes themselves (at least `n` of them).
 * @throws as {@link consistencyProofRanges}; TypeError if `source` returns a hash that is not 32 bytes.
 */
export function consistencyProof(m: number, n: number, source: SubtreeHasher | readonly Uint8Array[]): Buffer[] {
  const ranges = consistencyProofRanges(m, n);
  return hashRanges(ranges, hasherFor(source, n));
}

/** {@link inclusionProof} over an asynchronous store; asks for one range at a time, in proof order. */
export async function inclusionProofAsync(index: number, size: number, subtreeHash: AsyncSubtreeHasher): Promise<Buffer[]> {
  return hashRangesAsync(inclusionProofRanges(index, size), subtreeHash);
}

/** {@link consistencyProof} over an asynchronous store; asks for one range at a time, in proof order. */
export async function consistencyProofAsync(m: number, n: number, subtreeHash: AsyncSubtreeHasher): Promise<Buffer[]> {
  return hashRangesAsync(consistencyProofRanges(m, n), subtreeHash);
}

/**
 * RFC 9162 section 2.1.3.2: does `proof` show that `leafHash` is leaf `index` of the tree of
 * `size` leaves whose root is `root`?
 *
 * Returns `false`, never throws, for any malformed input: index >= size, a size or index that is
 * not a non-negative safe integer, a leaf hash, root or proof node that is not a 32-byte
 * Uint8Array, a proof of the wrong length (missing, extra or inserted nodes), or a wrong hash.
 *
 * The proof binds `size` only through its shape: leaf 0's proof in a tree of 5 also verifies as
 * size 6 against the same root. Take `size` and `root` together from one signed checkpoint.
 *
 * @example
 * ```ts
 * if (!verifyInclusion(leafHash(entryBytes), index, checkpoint.size, proof, checkpoint.root)) reject();
 * ```
 */
export function verifyInclusion(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!isCount(index) || !isCount(size) || index >= size) return false;
  if (!isHash(leafHash) || !isHash(root) || !isHashList(proof)) return false;
  // The RFC loop below already fails a proof of the wrong length; checking first rejects a
  // padded or truncated proof without hashing anything.
  if (proof.length !== inclusionProofRanges(index, size).length) return false;

  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // fn === sn with fn even: this node is the last on its level and has no right sibling, so
      // it moves up unchanged until it becomes a right child (or the root's left edge).
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(r, root);
}

/**
 * RFC 9162 section 2.1.4.2: does `proof` show that the tree of `m` leaves with root `oldRoot` is
 * a prefix of the tree of `n` leaves with root `newRoot`?
 *
 * Returns `false`, never throws, for any malformed input: m > n, m = 0 (nothing to prove: the
 * caller with no earlier checkpoint skips the check instead), a size that is not a non-negative
 * safe integer, a root or proof node that is not a 32-byte Uint8Array, m = n with a non-empty
 * proof or different roots, a proof of the wrong length, or a wrong hash.
 *
 * As with {@link verifyInclusion}, sizes are bound to roots by the signed checkpoints they come
 * from, not by the proof: pass each size with its own checkpoint's root.
 *
 * @example
 * ```ts
 * if (!verifyConsistency(previous.size, latest.size, proof, previous.root, latest.root)) alarm();
 * ```
 */
export function verifyConsistency(m: number, n: number, proof: readonly Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array): boolean {
  if (!isCount(m) || !isCount(n) || m === 0 || m > n) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !isHashList(proof)) return false;
  if (m === n) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (proof.length !== consistencyProofRanges(m, n).length) return false;

  // Step 1 (an empty path fails) is covered by the length check: for m < n the proof is never empty.
  // Step 2: when m is a power of two the old tree is one node of the new tree, and the proof
  // leaves it out because the verifier already holds it.
  const path: readonly Uint8Array[] = isPowerOfTwo(m) ? [oldRoot, ...proof] : proof;
  // Steps 3 and 4: skip the levels where the old tree's last leaf is a right child. Up to there
  // the subtree is complete in both trees, and path[0] is its root, so both chains start from it.
  let fn = m - 1;
  let sn = n - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5.
  const first = path[0];
  if (first === undefined) return false;
  let fr: Uint8Array = first;
  let sr: Uint8Array = first;
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 7.
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}

// ---- internals -------------------------------------------------------------------------------

/** MTH(D[start:end]) by the RFC's recursive definition; depth <= 53, each node hashed once. */
function mth(leaves: readonly Uint8Array[], start: number, end: number): Buffer {
  const n = end - start;
  if (n === 0) return emptyRoot();
  if (n === 1) return Buffer.from(leaves[start] as Uint8Array);
  const k = largestPowerOfTwoBelow(n);
  return nodeHash(mth(leaves, start, start + k), mth(leaves, start + k, end));
}

/** PATH(m, D[start:end]) of RFC 9162 section 2.1.3.1, as ranges. */
function pathRanges(m: number, start: number, end: number, out: LeafRange[]): void {
  const n = end - start;
  if (n <= 1) return;
  const k = largestPowerOfTwoBelow(n);
  if (m < k) {
    pathRanges(m, start, start + k, out);
    out.push([start + k, end]);
  } else {
    pathRanges(m - k, start + k, end, out);
    out.push([start, start + k]);
  }
}

/**
 * SUBPROOF(m, D[start:end], b) of RFC 9162 section 2.1.4.1, as ranges. `complete` is the RFC's
 * b: true while the subtree is the whole old tree's ancestor chain, whose root the verifier
 * already has.
 */
function subproofRanges(m: number, start: number, end: number, complete: boolean, out: LeafRange[]): void {
  const n = end - start;
  if (m === n) {
    if (!complete) out.push([start, end]);
    return;
  }
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) {
    subproofRanges(m, start, start + k, complete, out);
    out.push([start + k, end]);
  } else {
    subproofRanges(m - k, start + k, end, false, out);
    out.push([start, start + k]);
  }
}

function hasherFor(source: SubtreeHasher | readonly Uint8Array[], size: number): SubtreeHasher {
  if (typeof source === 'function') return source;
  if (source.length < size) throw new RangeError(`a tree of ${size} leaves needs ${size} leaf hashes, got ${source.length}`);
  return arraySubtreeHasher(source);
}

function hashRanges(ranges: readonly LeafRange[], subtreeHash: SubtreeHasher): Buffer[] {
  return ranges.map(([start, end]) => checkedSubtreeHash(subtreeHash(start, end), start, end));
}

async function hashRangesAsync(ranges: readonly LeafRange[], subtreeHash: AsyncSubtreeHasher): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const [start, end] of ranges) out.push(checkedSubtreeHash(await subtreeHash(start, end), start, end));
  return out;
}

function checkedSubtreeHash(hash: Uint8Array, start: number, end: number): Buffer {
  requireHash(hash, `subtree hash of [${start}, ${end})`);
  return Buffer.from(hash);
}

/** The largest power of two strictly below n (n >= 2); a loop because Math.log2 rounds near 2^53. */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let rest = n;
  while (rest % 2 === 0) rest /= 2;
  return rest === 1;
}

function bitCount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

// Division instead of >> and &: those truncate to 32 bits.
function half(n: number): number {
  return Math.floor(n / 2);
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_BYTES;
}

// An index loop, not every(): every() skips the holes of a sparse array, which would then reach
// the hashing as undefined and throw.
function isHashList(value: unknown): value is readonly Uint8Array[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (!isHash(value[i])) return false;
  return true;
}

// Roots and proofs are public, so a plain comparison leaks nothing worth a constant-time one.
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function requireCount(value: number, name: string): void {
  if (!isCount(value)) throw new TypeError(`${name} must be a non-negative safe integer, got ${String(value)}`);
}

function requireHash(value: Uint8Array, name: string): void {
  if (!isHash(value)) throw new TypeError(`${name} must be a ${HASH_BYTES}-byte hash`);
}

function requireHashes(leafHashes: readonly Uint8Array[]): void {
  for (let i = 0; i < leafHashes.length; i++) requireHash(leafHashes[i] as Uint8Array, `leafHashes[${i}]`);
}
