/**
 * The ledger's Merkle tree (RFC 6962 / RFC 9162 section 2.1).
 *
 * Published vectors: transparency-dev/merkle (https://github.com/transparency-dev/merkle,
 * Apache-2.0, commit 417fb0c314750d94e53942e9f92e79b6d35915db), read in place from
 * ../shared/vectors/merkle/ (see ../shared/vectors/README.md; never copied into the project).
 * When that directory is absent the vector suites say so and skip; under CI they fail instead.
 *
 * Property tests use deterministic pseudo-random leaves, so a failure reproduces.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HASH_BYTES,
  MerkleFrontier,
  arraySubtreeHasher,
  consistencyProof,
  consistencyProofAsync,
  consistencyProofRanges,
  emptyRoot,
  inclusionProof,
  inclusionProofAsync,
  inclusionProofRanges,
  leafHash,
  leafHashOfText,
  nodeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  type LeafRange,
  type SubtreeHasher,
} from './merkle.js';

const VECTORS_DIR = path.resolve(import.meta.dirname, '../../../shared/vectors/merkle');
const SOURCE = { repository: 'https://github.com/transparency-dev/merkle', commit: '417fb0c314750d94e53942e9f92e79b6d35915db' };

// ---- vector file shapes -----------------------------------------------------------------------

interface VectorSource {
  repository: string;
  commit: string;
  license: string;
}

interface ExpectedInclusion {
  leaf_index: number;
  tree_size: number;
  proof: string[];
}

interface ExpectedConsistency {
  size1: number;
  size2: number;
  proof: string[];
}

interface TreeVectors {
  source: VectorSource;
  leaf_inputs_hex: string[];
  node_hashes_by_level: string[][];
  roots_by_size: string[];
  inclusion_proofs: { proofgen: ExpectedInclusion[]; reference: ExpectedInclusion[] };
  consistency_proofs: { proofgen: ExpectedConsistency[]; reference: ExpectedConsistency[] };
  hasher: { what: string; want: string; entry_hex?: string; left_hex?: string; right_hex?: string }[];
}

/** Ranges are the converter's rendering of the reference's node ids; see the file's `source`. */
interface ShapeVectors {
  source: VectorSource & { conversion: string };
  inclusion: { tree_size: number; leaf_index: number; want_error?: boolean; proof_ranges?: [number, number][] }[];
  consistency: { size1: number; size2: number; want_error?: boolean; proof_ranges?: [number, number][] }[];
}

/** Go's encoding/json: []byte as base64, a nil slice as null. */
type GoBytes = string | null;

interface ProbeVectors {
  source: VectorSource;
  inclusion: {
    file: string;
    probe: { leafIdx: number; treeSize: number; root: GoBytes; leafHash: GoBytes; proof: GoBytes[] | null; desc: string; wantErr: boolean };
  }[];
  consistency: {
    file: string;
    probe: { size1: number; size2: number; root1: GoBytes; root2: GoBytes; proof: GoBytes[] | null; desc: string; wantErr: boolean };
  }[];
}

interface Vectors {
  tree: TreeVectors;
  shapes: ShapeVectors;
  probes: ProbeVectors;
}

function readVectors(dir: string): Vectors {
  const read = (name: string): unknown => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
  return {
    tree: read('transparency_dev_merkle.json') as TreeVectors,
    shapes: read('transparency_dev_proof_shapes.json') as ShapeVectors,
    probes: read('transparency_dev_probes.json') as ProbeVectors,
  };
}

// ../shared/vectors/README.md: CI and every development machine have them; a clone outside that
// setup fails here, saying where it looked, rather than passing without the published vectors.
if (!existsSync(VECTORS_DIR)) {
  throw new Error(`Merkle test vectors missing at ${VECTORS_DIR} (see ../shared/vectors/README.md)`);
}
const vectors = readVectors(VECTORS_DIR);

// ---- helpers ----------------------------------------------------------------------------------

const hex = (value: string): Buffer => Buffer.from(value, 'hex');
const toHex = (values: readonly Uint8Array[]): string[] => values.map((v) => Buffer.from(v).toString('hex'));
const goBytes = (value: GoBytes): Buffer => Buffer.from(value ?? '', 'base64');

/** A copy of `bytes` with one bit of byte `at` (mod length) flipped. */
function flipped(bytes: Uint8Array, at: number): Buffer {
  const copy = Buffer.from(bytes);
  const i = at % copy.length;
  copy[i] = (copy[i] as number) ^ 0x01;
  return copy;
}

function replaced<T>(items: readonly T[], index: number, value: T): T[] {
  return items.map((item, i) => (i === index ? value : item));
}

/** Deterministic pseudo-random leaf hashes: the same on every run. */
function pseudoRandomLeaves(count: number, seed: string): Buffer[] {
  return Array.from({ length: count }, (_, i) => leafHash(nodeHash(Buffer.from(seed), Buffer.from(String(i)))));
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && Number.isInteger(Math.log2(n)) && 2 ** Math.log2(n) === n;
}

/** RFC 9162 subtrees are aligned: a perfect subtree of 2^k leaves starts at a multiple of 2^k. */
function isAlignedPerfect([start, end]: LeafRange): boolean {
  const width = end - start;
  return isPowerOfTwo(width) && start % width === 0;
}

// ---- published vectors ------------------------------------------------------------------------

{
  const { tree, shapes, probes } = vectors;
  const treeLeaves = tree.leaf_inputs_hex.map((input) => leafHash(hex(input)));

  describe('transparency-dev/merkle vectors: source', () => {
    it.each([
      ['transparency_dev_merkle.json', tree.source],
      ['transparency_dev_proof_shapes.json', shapes.source],
      ['transparency_dev_probes.json', probes.source],
    ])('%s comes from transparency-dev/merkle at the pinned commit', (_name, source) => {
      expect(source.repository).toBe(SOURCE.repository);
      expect(source.commit).toBe(SOURCE.commit);
      expect(source.license).toMatch(/^Apache-2\.0/);
    });
  });

  describe('RFC 9162 section 2.1.1 hashing (rfc6962/rfc6962_test.go TestRFC6962Hasher)', () => {
    it.each(tree.hasher.map((c) => [c.what, c] as const))('%s', (_what, c) => {
      let got: Buffer;
      if (c.left_hex !== undefined && c.right_hex !== undefined) got = nodeHash(hex(c.left_hex), hex(c.right_hex));
      else if (c.entry_hex !== undefined) got = leafHash(hex(c.entry_hex));
      else got = emptyRoot();
      expect(got.toString('hex')).toBe(c.want);
    });
  });

  describe('reference tree of 8 leaves (testonly/constants.go)', () => {
    it('leaf hashes of the 8 leaf inputs are level 0 of NodeHashes()', () => {
      expect(toHex(treeLeaves)).toEqual(tree.node_hashes_by_level[0]);
    });

    it('every interior node of NodeHashes() is nodeHash of its two children', () => {
      for (let level = 1; level < tree.node_hashes_by_level.length; level++) {
        const below = tree.node_hashes_by_level[level - 1] as string[];
        (tree.node_hashes_by_level[level] as string[]).forEach((want, j) => {
          expect(nodeHash(hex(below[2 * j] as string), hex(below[2 * j + 1] as string)).toString('hex'), `level ${level} node ${j}`).toBe(want);
        });
      }
    });

    it.each(tree.roots_by_size.map((root, size) => [size, root] as const))('root of size %i (RootHashes()): rootOf and MerkleFrontier', (size, want) => {
      expect(rootOf(treeLeaves.slice(0, size)).toString('hex')).toBe(want);
      const frontier = new MerkleFrontier();
      treeLeaves.slice(0, size).forEach((leaf) => frontier.append(leaf));
      expect(frontier.root().toString('hex')).toBe(want);
    });

    const inclusionCases = (['proofgen', 'reference'] as const).flatMap((origin) =>
      tree.inclusion_proofs[origin].map((c) => [origin, c.leaf_index, c.tree_size, c] as const),
    );
    it.each(inclusionCases)('%s inclusion proof: leaf %i of %i is generated exactly and verifies', (_origin, index, size, c) => {
      const proof = inclusionProof(index, size, treeLeaves);
      expect(toHex(proof)).toEqual(c.proof);
      const root = hex(tree.roots_by_size[size] as string);
      expect(verifyInclusion(treeLeaves[index] as Buffer, index, size, c.proof.map(hex), root)).toBe(true);
    });

    const consistencyCases = (['proofgen', 'reference'] as const).flatMap((origin) =>
      tree.consistency_proofs[origin].map((c) => [origin, c.size1, c.size2, c] as const),
    );
    it.each(consistencyCases)('%s consistency proof: %i -> %i is generated exactly and verifies', (_origin, m, n, c) => {
      expect(toHex(consistencyProof(m, n, treeLeaves))).toEqual(c.proof);
      const oldRoot = hex(tree.roots_by_size[m] as string);
      const newRoot = hex(tree.roots_by_size[n] as string);
      expect(verifyConsistency(m, n, c.proof.map(hex), oldRoot, newRoot)).toBe(true);
    });
  });

  describe('proof shapes (proof/proof_test.go TestInclusion, TestConsistency)', () => {
    // The file lists each proof as leaf ranges; each node is MTH of its range of the larger tree.
    const shapeLeaves = pseudoRandomLeaves(128, 'shapes');

    it.each(shapes.inclusion.map((c) => [c.leaf_index, c.tree_size, c] as const))('inclusion: leaf %i of %i', (index, size, c) => {
      if (c.want_error === true) {
        expect(() => inclusionProofRanges(index, size)).toThrow(RangeError);
        expect(() => inclusionProof(index, size, shapeLeaves)).toThrow(RangeError);
        return;
      }
      expect(inclusionProofRanges(index, size)).toEqual(c.proof_ranges);
      const leaves = shapeLeaves.slice(0, size);
      const proof = inclusionProof(index, size, leaves);
      expect(toHex(proof)).toEqual(toHex((c.proof_ranges ?? []).map(([s, e]) => rootOf(leaves.slice(s, e)))));
      expect(verifyInclusion(leaves[index] as Buffer, index, size, proof, rootOf(leaves))).toBe(true);
    });

    it.each(shapes.consistency.map((c) => [c.size1, c.size2, c] as const))('consistency: %i -> %i', (m, n, c) => {
      if (c.want_error === true) {
        expect(() => consistencyProofRanges(m, n)).toThrow(RangeError);
        expect(() => consistencyProof(m, n, shapeLeaves)).toThrow(RangeError);
        return;
      }
      expect(consistencyProofRanges(m, n)).toEqual(c.proof_ranges);
      const leaves = shapeLeaves.slice(0, n);
      const proof = consistencyProof(m, n, leaves);
      expect(toHex(proof)).toEqual(toHex((c.proof_ranges ?? []).map(([s, e]) => rootOf(leaves.slice(s, e)))));
      expect(verifyConsistency(m, n, proof, rootOf(leaves.slice(0, m)), rootOf(leaves))).toBe(true);
    });
  });

  describe('verifier probes (testdata/inclusion, testdata/consistency; proof/verify_test.go)', () => {
    // Where we are deliberately stricter than the reference verifier. It compares the roots of
    // equal-size trees byte for byte, whatever their length; we refuse any root that is not a
    // 32-byte SHA-256 hash, because no real tree has one and a checkpoint carrying one is broken.
    const STRICTER_THAN_REFERENCE = new Map([
      ['testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json', '12-byte "roots" are not SHA-256 hashes'],
    ]);

    const expectAccepted = (file: string, wantErr: boolean): boolean => !wantErr && !STRICTER_THAN_REFERENCE.has(file);

    it.each(probes.inclusion.map((p) => [p.file, p.probe.wantErr ? 'reject' : 'accept', p.probe] as const))('%s: %s', (file, _verdict, p) => {
      const proof = (p.proof ?? []).map(goBytes);
      expect(verifyInclusion(goBytes(p.leafHash), p.leafIdx, p.treeSize, proof, goBytes(p.root))).toBe(expectAccepted(file, p.wantErr));
    });

    it.each(probes.consistency.map((p) => [p.file, p.probe.wantErr ? 'reject' : 'accept', p.probe] as const))('%s: %s', (file, _verdict, p) => {
      const proof = (p.proof ?? []).map(goBytes);
      expect(verifyConsistency(p.size1, p.size2, proof, goBytes(p.root1), goBytes(p.root2))).toBe(expectAccepted(file, p.wantErr));
    });

    it('each deliberate deviation names a probe the reference accepts, and we reject it', () => {
      for (const [file, why] of STRICTER_THAN_REFERENCE) {
        const entry = probes.consistency.find((p) => p.file === file);
        expect(entry, file).toBeDefined();
        expect(entry?.probe.wantErr, `${file}: ${why}`).toBe(false);
      }
    });

    it('uint64 indexes past 2^53 lose precision in JSON.parse; every such probe expects rejection, and gets it', () => {
      // "leafIdx-sub-@1" holds 2^64 - 1, which JavaScript reads as 2^64: not a safe integer.
      const unsafe = probes.inclusion.filter((p) => !Number.isSafeInteger(p.probe.leafIdx) || !Number.isSafeInteger(p.probe.treeSize));
      expect(unsafe.length).toBeGreaterThan(0);
      for (const p of unsafe) expect(p.probe.wantErr, p.file).toBe(true);
    });
  });
}

// ---- properties over random trees -------------------------------------------------------------

const MAX_SIZE = 70;
const LEAVES = pseudoRandomLeaves(MAX_SIZE + 1, 'properties');
const SIZES = Array.from({ length: MAX_SIZE }, (_, i) => i + 1);
const ROOTS = Array.from({ length: MAX_SIZE + 2 }, (_, size) => rootOf(LEAVES.slice(0, size)));

describe('property: inclusion proofs for every leaf of trees of 1..70 leaves', () => {
  it.each(SIZES)('size %i: each proof verifies, and fails with any node, the leaf or the root flipped', (n) => {
    const leaves = LEAVES.slice(0, n);
    const root = ROOTS[n] as Buffer;
    for (let i = 0; i < n; i++) {
      const leaf = leaves[i] as Buffer;
      const proof = inclusionProof(i, n, leaves);
      const where = `leaf ${i} of ${n}`;
      expect(verifyInclusion(leaf, i, n, proof, root), where).toBe(true);
      proof.forEach((node, j) => {
        expect(verifyInclusion(leaf, i, n, replaced(proof, j, flipped(node, i + j)), root), `${where}, node ${j} flipped`).toBe(false);
      });
      expect(verifyInclusion(flipped(leaf, i), i, n, proof, root), `${where}, leaf flipped`).toBe(false);
      expect(verifyInclusion(leaf, i, n, proof, flipped(root, i)), `${where}, root flipped`).toBe(false);
      expect(verifyInclusion(leaf, i, n, [...proof, proof[0] ?? root], root), `${where}, extra node`).toBe(false);
      if (proof.length > 0) expect(verifyInclusion(leaf, i, n, proof.slice(0, -1), root), `${where}, last node missing`).toBe(false);
      if (i + 1 < n) expect(verifyInclusion(leaf, i + 1, n, proof, root), `${where}, index + 1`).toBe(false);
      if (i > 0) expect(verifyInclusion(leaf, i - 1, n, proof, root), `${where}, index - 1`).toBe(false);
      // A size alone is only caught when it changes the proof's shape (see 'binds the size ...').
      for (const other of [n - 1, n + 1]) {
        if (other > i && inclusionProofRanges(i, other).length !== proof.length) {
          expect(verifyInclusion(leaf, i, other, proof, root), `${where}, size ${other}`).toBe(false);
        }
      }
    }
  });

  it.each(SIZES)('size %i: ranges are disjoint, cover the tree with the leaf, and are aligned subtrees or end at the size', (n) => {
    for (let i = 0; i < n; i++) {
      const ranges = inclusionProofRanges(i, n);
      const covered = new Array<number>(n).fill(0);
      covered[i] = 1;
      for (const [start, end] of ranges) {
        expect(isAlignedPerfect([start, end]) || end === n, `[${start}, ${end}) in proof of ${i} of ${n}`).toBe(true);
        for (let leaf = start; leaf < end; leaf++) covered[leaf] = (covered[leaf] ?? 0) + 1;
      }
      expect(covered.every((count) => count === 1), `proof of ${i} of ${n}`).toBe(true);
    }
  });
});

describe('property: consistency proofs for every 1 <= m <= n <= 70', () => {
  it.each(SIZES)('n = %i: each proof verifies, and fails with any node or either root flipped', (n) => {
    const leaves = LEAVES.slice(0, n);
    const newRoot = ROOTS[n] as Buffer;
    for (let m = 1; m <= n; m++) {
      const oldRoot = ROOTS[m] as Buffer;
      const proof = consistencyProof(m, n, leaves);
      const where = `${m} -> ${n}`;
      expect(verifyConsistency(m, n, proof, oldRoot, newRoot), where).toBe(true);
      proof.forEach((node, j) => {
        expect(verifyConsistency(m, n, replaced(proof, j, flipped(node, m + j)), oldRoot, newRoot), `${where}, node ${j} flipped`).toBe(false);
      });
      expect(verifyConsistency(m, n, proof, flipped(oldRoot, m), newRoot), `${where}, old root flipped`).toBe(false);
      expect(verifyConsistency(m, n, proof, oldRoot, flipped(newRoot, n)), `${where}, new root flipped`).toBe(false);
      expect(verifyConsistency(m, n, [...proof, proof[0] ?? oldRoot], oldRoot, newRoot), `${where}, extra node`).toBe(false);
      if (proof.length > 0) expect(verifyConsistency(m, n, proof.slice(0, -1), oldRoot, newRoot), `${where}, last node missing`).toBe(false);
      if (m < n) expect(verifyConsistency(m, n, proof, newRoot, oldRoot), `${where}, roots swapped`).toBe(false);
      if (consistencyProofRanges(m, n + 1).length !== proof.length) {
        expect(verifyConsistency(m, n + 1, proof, oldRoot, newRoot), `${where}, n + 1`).toBe(false);
      }
      if (m + 1 <= n) expect(verifyConsistency(m + 1, n, proof, oldRoot, newRoot), `${where}, m + 1`).toBe(false);
      expect(verifyConsistency(m - 1, n, proof, oldRoot, newRoot), `${where}, m - 1`).toBe(false);
    }
  });

  it.each(SIZES)('n = %i: proof ranges lie in the tree and are aligned subtrees or end at n', (n) => {
    for (let m = 1; m <= n; m++) {
      for (const [start, end] of consistencyProofRanges(m, n)) {
        expect(start >= 0 && start < end && end <= n, `[${start}, ${end}) in ${m} -> ${n}`).toBe(true);
        expect(isAlignedPerfect([start, end]) || end === n, `[${start}, ${end}) in ${m} -> ${n}`).toBe(true);
      }
    }
  });
});

describe('hashing through reused input buffers', () => {
  // leafHash, leafHashOfText and nodeHash copy their input into module-level buffers: each answer
  // must depend on its own input only, whatever was hashed before.
  const reference = (bytes: Uint8Array) => createHash('sha256').update(Buffer.from([0])).update(bytes).digest();

  it('leafHashOfText is leafHash of the UTF-8 bytes, for every kind of text and length', () => {
    const texts = ['', 'a', '{"v":1}', 'é', '€', '\u{1F600}', 'lone \ud800 surrogate', 'x'.repeat(5461), 'x'.repeat(5462), '€'.repeat(6000), 'short again'];
    for (const text of texts) {
      expect(leafHashOfText(text).toString('hex'), text.slice(0, 20)).toBe(leafHash(Buffer.from(text, 'utf8')).toString('hex'));
      expect(leafHash(Buffer.from(text, 'utf8')).toString('hex')).toBe(reference(Buffer.from(text, 'utf8')).toString('hex'));
    }
  });

  it('a long input then a short one: the short one is hashed alone', () => {
    const long = Buffer.alloc(3000, 0x61);
    const short = Buffer.from('ab');
    leafHash(long);
    expect(leafHash(short).equals(reference(short))).toBe(true);
    leafHashOfText('b'.repeat(3000));
    expect(leafHashOfText('ab').equals(reference(short))).toBe(true);
  });

  it('returns hashes that later calls do not change', () => {
    const a = nodeHash(Buffer.alloc(32, 1), Buffer.alloc(32, 2));
    const copy = Buffer.from(a);
    nodeHash(Buffer.alloc(32, 3), Buffer.alloc(32, 4));
    leafHash(Buffer.from('x'));
    leafHashOfText('y');
    expect(a.equals(copy)).toBe(true);
    expect(a.equals(createHash('sha256').update(Buffer.from([1])).update(Buffer.alloc(32, 1)).update(Buffer.alloc(32, 2)).digest())).toBe(true);
  });
});

describe('MerkleFrontier', () => {
  const leaves = pseudoRandomLeaves(300, 'frontier');

  it('reports every complete subtree an append finishes, with the hash of exactly that range', () => {
    const frontier = new MerkleFrontier();
    const reported = new Map<string, string>();
    for (const leaf of leaves) frontier.append(leaf, (level, index, hash) => reported.set(`${level}/${index}`, hash.toString('hex')));
    // Every aligned perfect subtree inside 300 leaves, and nothing else: 300 + 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1.
    let expected = 0;
    for (let level = 0; 2 ** level <= leaves.length; level++) {
      const width = 2 ** level;
      for (let index = 0; (index + 1) * width <= leaves.length; index++) {
        expected += 1;
        expect(reported.get(`${level}/${index}`), `${level}/${index}`).toBe(rootOf(leaves.slice(index * width, (index + 1) * width)).toString('hex'));
      }
    }
    expect(reported.size).toBe(expected);
  });

  it('root equals rootOf at every size 0..300, and survives a JSON round trip at every size', () => {
    const frontier = new MerkleFrontier();
    for (let size = 0; size <= leaves.length; size++) {
      const want = rootOf(leaves.slice(0, size)).toString('hex');
      expect(frontier.size).toBe(size);
      expect(frontier.root().toString('hex'), `size ${size}`).toBe(want);

      const restored = MerkleFrontier.fromJSON(JSON.parse(JSON.stringify(frontier)));
      expect(restored.size).toBe(size);
      expect(restored.root().toString('hex'), `restored at size ${size}`).toBe(want);
      expect(restored.toJSON()).toEqual(frontier.toJSON());
      // A restored frontier keeps growing into the same tree.
      if (size < leaves.length) {
        restored.append(leaves[size] as Buffer);
        expect(restored.root().toString('hex'), `restored then appended at size ${size}`).toBe(rootOf(leaves.slice(0, size + 1)).toString('hex'));
        expect(frontier.append(leaves[size] as Buffer)).toBe(size);
      }
    }
  });

  it('holds one node per set bit of the size', () => {
    const frontier = new MerkleFrontier();
    leaves.slice(0, 0b1011_0101).forEach((leaf) => frontier.append(leaf));
    expect(frontier.toJSON().nodes).toHaveLength(5);
  });

  it('copies appended hashes, and clones are independent', () => {
    const frontier = new MerkleFrontier();
    const mine = Buffer.from(leaves[0] as Buffer);
    frontier.append(mine);
    mine.fill(0);
    expect(frontier.root()).toEqual(leaves[0]);

    const clone = frontier.clone();
    clone.append(leaves[1] as Buffer);
    expect(frontier.size).toBe(1);
    expect(frontier.root()).toEqual(leaves[0]);
    expect(clone.root()).toEqual(rootOf(leaves.slice(0, 2)));
  });

  it('returns a fresh root buffer each time', () => {
    const frontier = new MerkleFrontier();
    frontier.append(leaves[0] as Buffer);
    frontier.root().fill(0);
    expect(frontier.root()).toEqual(leaves[0]);
    emptyRoot().fill(0);
    expect(new MerkleFrontier().root().toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('refuses a leaf hash that is not 32 bytes', () => {
    const frontier = new MerkleFrontier();
    expect(() => frontier.append(Buffer.alloc(31))).toThrow(TypeError);
    expect(() => frontier.append(Buffer.alloc(33))).toThrow(TypeError);
    expect(() => frontier.appendOwned(Buffer.alloc(31))).toThrow(TypeError);
    expect(frontier.size).toBe(0);
  });

  it('appendOwned builds the same tree and reports the same nodes as append, keeping the buffer itself', () => {
    const copied = new MerkleFrontier();
    const owned = new MerkleFrontier();
    for (const [i, leaf] of leaves.slice(0, 37).entries()) {
      const heardCopied: [number, number, string][] = [];
      const heardOwned: [number, number, string][] = [];
      copied.append(leaf, (level, index, hash) => heardCopied.push([level, index, hash.toString('hex')]));
      const mine = Buffer.from(leaf);
      owned.appendOwned(mine, (level, index, hash) => {
        if (level === 0) expect(hash).toBe(mine);
        heardOwned.push([level, index, hash.toString('hex')]);
      });
      expect(heardOwned).toEqual(heardCopied);
      expect(owned.root().equals(copied.root()), `size ${i + 1}`).toBe(true);
    }
  });

  const node = 'ab'.repeat(32);
  it.each([
    ['null', null],
    ['an array', [1, [node]]],
    ['a string', JSON.stringify({ size: 1, nodes: [node] })],
    ['a missing size', { nodes: [node] }],
    ['an extra key', { size: 1, nodes: [node], root: node }],
    ['a negative size', { size: -1, nodes: [] }],
    ['a fractional size', { size: 1.5, nodes: [node] }],
    ['a size past 2^53', { size: 2 ** 53, nodes: [node] }],
    ['a string size', { size: '1', nodes: [node] }],
    ['too few nodes for the size', { size: 3, nodes: [node] }],
    ['too many nodes for the size', { size: 4, nodes: [node, node] }],
    ['uppercase hex', { size: 1, nodes: [node.toUpperCase()] }],
    ['a short node', { size: 1, nodes: ['ab'.repeat(31)] }],
    ['a non-hex node', { size: 1, nodes: ['zz'.repeat(32)] }],
    ['a non-string node', { size: 1, nodes: [32] }],
    ['nodes not an array', { size: 1, nodes: node }],
    ['a sparse nodes array', { size: 1, nodes: new Array<string>(1) }],
  ])('fromJSON refuses %s', (_what, value) => {
    expect(() => MerkleFrontier.fromJSON(value)).toThrow(TypeError);
  });
});

describe('trees past 2^32 leaves (no 32-bit arithmetic)', () => {
  // With every leaf equal, MTH of a range depends only on its width, so the subtree hashes of a
  // huge tree are cheap; ragged subtrees still differ from perfect ones, so order still matters.
  const same = leafHash(Buffer.from('same'));
  const memo = new Map<number, Buffer>();
  const uniformRoot = (width: number): Buffer => {
    if (width === 0) return emptyRoot();
    if (width === 1) return same;
    const known = memo.get(width);
    if (known !== undefined) return known;
    let k = 1;
    while (k * 2 < width) k *= 2;
    const hash = nodeHash(uniformRoot(k), uniformRoot(width - k));
    memo.set(width, hash);
    return hash;
  };
  const uniform: SubtreeHasher = (start, end) => uniformRoot(end - start);
  const size = 2 ** 40 + 12_345;
  const root = uniformRoot(size);

  it.each([0, 2 ** 33 + 7, 2 ** 40 - 1, 2 ** 40, size - 1])('inclusion of leaf %i of 2^40 + 12345', (index) => {
    const proof = inclusionProof(index, size, uniform);
    expect(proof.length).toBeGreaterThanOrEqual(1);
    expect(proof.length).toBeLessThanOrEqual(41);
    expect(verifyInclusion(same, index, size, proof, root)).toBe(true);
    expect(verifyInclusion(same, index, size, replaced(proof, proof.length - 1, flipped(proof.at(-1) as Buffer, 3)), root)).toBe(false);
    expect(verifyInclusion(same, index, size, proof, uniformRoot(size - 1))).toBe(false);
  });

  it.each([1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 - 1, 2 ** 40 + 1, size - 1])('consistency from %i to 2^40 + 12345', (m) => {
    const proof = consistencyProof(m, size, uniform);
    expect(verifyConsistency(m, size, proof, uniformRoot(m), root)).toBe(true);
    expect(verifyConsistency(m, size, proof, uniformRoot(m + 1), root)).toBe(false);
  });

  it('a frontier restored at 2^40 + 12345 leaves has the right root and keeps growing', () => {
    const nodes: string[] = [];
    for (let bit = 2 ** 40; bit >= 1; bit /= 2) {
      if (Math.floor(size / bit) % 2 === 1) nodes.push(uniformRoot(bit).toString('hex'));
    }
    const frontier = MerkleFrontier.fromJSON({ size, nodes });
    expect(frontier.root()).toEqual(root);
    expect(frontier.append(same)).toBe(size);
    expect(frontier.root()).toEqual(uniformRoot(size + 1));
    // 12345 is odd: the new leaf merged with the last single-leaf node into a two-leaf node.
    expect(frontier.toJSON().nodes).toEqual([...nodes.slice(0, -1), uniformRoot(2).toString('hex')]);
  });
});

describe('proof generation: sources and caller mistakes', () => {
  const leaves = LEAVES.slice(0, 23);

  it('a SubtreeHasher, an array and an async store give the same proofs', async () => {
    const hasher = arraySubtreeHasher(leaves);
    const asyncHasher = async (start: number, end: number): Promise<Uint8Array> => hasher(start, end);
    for (let i = 0; i < leaves.length; i++) {
      const fromArray = inclusionProof(i, leaves.length, leaves);
      expect(inclusionProof(i, leaves.length, hasher)).toEqual(fromArray);
      expect(await inclusionProofAsync(i, leaves.length, asyncHasher)).toEqual(fromArray);
    }
    for (let m = 1; m <= leaves.length; m++) {
      const fromArray = consistencyProof(m, leaves.length, leaves);
      expect(consistencyProof(m, leaves.length, hasher)).toEqual(fromArray);
      expect(await consistencyProofAsync(m, leaves.length, asyncHasher)).toEqual(fromArray);
    }
  });

  it('proofs for an older size can come from a longer array of leaves', () => {
    expect(inclusionProof(3, 10, leaves)).toEqual(inclusionProof(3, 10, leaves.slice(0, 10)));
    expect(consistencyProof(4, 10, leaves)).toEqual(consistencyProof(4, 10, leaves.slice(0, 10)));
  });

  it.each([
    ['index 1.5', () => inclusionProofRanges(1.5, 4)],
    ['index NaN', () => inclusionProofRanges(Number.NaN, 4)],
    ['size -1', () => inclusionProofRanges(0, -1)],
    ['size 2^53', () => inclusionProofRanges(0, 2 ** 53)],
    ['m Infinity', () => consistencyProofRanges(Number.POSITIVE_INFINITY, 4)],
    ['a 31-byte subtree hash', () => inclusionProof(0, 2, () => Buffer.alloc(31))],
    ['a 31-byte leaf in the array', () => inclusionProof(0, 2, [Buffer.alloc(32), Buffer.alloc(31)])],
    ['rootOf with a 33-byte leaf', () => rootOf([Buffer.alloc(33)])],
  ])('TypeError for %s', (_what, call) => {
    expect(call).toThrow(TypeError);
  });

  it.each([
    ['index == size', () => inclusionProofRanges(4, 4)],
    ['index of the empty tree', () => inclusionProof(0, 0, [])],
    ['m > n', () => consistencyProofRanges(5, 4)],
    ['m == 0', () => consistencyProofRanges(0, 4)],
    ['too few leaves for the size', () => inclusionProof(0, 5, leaves.slice(0, 4))],
    ['a range outside the array', () => arraySubtreeHasher(leaves)(20, 24)],
  ])('RangeError for %s', (_what, call) => {
    expect(call).toThrow(RangeError);
  });

  it('an async store returning a bad hash rejects with a TypeError', async () => {
    await expect(inclusionProofAsync(0, 2, async () => Buffer.alloc(8))).rejects.toThrow(TypeError);
  });
});

describe('verifiers never throw on attacker input', () => {
  const n = 7;
  const leaves = LEAVES.slice(0, n);
  const root = ROOTS[n] as Buffer;
  const proof = inclusionProof(2, n, leaves);
  const cproof = consistencyProof(3, n, leaves);
  const leaf = leaves[2] as Buffer;
  const oldRoot = ROOTS[3] as Buffer;
  // Values a JSON body or a corrupted row could hold, typed away for the call.
  const junk = (value: unknown): never => value as never;

  it.each([
    ['a negative index', () => verifyInclusion(leaf, -1, n, proof, root)],
    ['a fractional index', () => verifyInclusion(leaf, 2.5, n, proof, root)],
    ['a NaN size', () => verifyInclusion(leaf, 2, Number.NaN, proof, root)],
    ['a size past 2^53', () => verifyInclusion(leaf, 2, 2 ** 64, proof, root)],
    ['a string index', () => verifyInclusion(leaf, junk('2'), n, proof, root)],
    ['a bigint size', () => verifyInclusion(leaf, 2, junk(7n), proof, root)],
    ['a null proof', () => verifyInclusion(leaf, 2, n, junk(null), root)],
    ['a proof that is an object', () => verifyInclusion(leaf, 2, n, junk({ length: 3 }), root)],
    ['a hex string in the proof', () => verifyInclusion(leaf, 2, n, junk([toHex(proof)[0], ...proof.slice(1)]), root)],
    ['a 64-byte node', () => verifyInclusion(leaf, 2, n, replaced(proof, 0, Buffer.concat([proof[0] as Buffer, proof[0] as Buffer])), root)],
    ['an empty node', () => verifyInclusion(leaf, 2, n, replaced(proof, 1, Buffer.alloc(0)), root)],
    ['a plain array leaf', () => verifyInclusion(junk([...leaf]), 2, n, proof, root)],
    ['an undefined root', () => verifyInclusion(leaf, 2, n, proof, junk(undefined))],
    ['a 31-byte root', () => verifyInclusion(leaf, 2, n, proof, root.subarray(1))],
    ['a huge proof', () => verifyInclusion(leaf, 2, n, new Array<Buffer>(100_000).fill(root), root)],
    ['a sparse proof of the right length', () => verifyInclusion(leaf, 2, n, new Array<Buffer>(proof.length), root)],
  ])('verifyInclusion: %s is false', (_what, call) => {
    expect(call()).toBe(false);
  });

  it.each([
    ['m > n', () => verifyConsistency(n + 1, n, cproof, oldRoot, root)],
    ['m == 0 with a proof', () => verifyConsistency(0, n, cproof, emptyRoot(), root)],
    ['m == 0 without a proof', () => verifyConsistency(0, n, [], emptyRoot(), root)],
    ['0 -> 0', () => verifyConsistency(0, 0, [], emptyRoot(), emptyRoot())],
    ['m == n with a proof', () => verifyConsistency(n, n, [root], root, root)],
    ['m == n with different roots', () => verifyConsistency(n, n, [], root, oldRoot)],
    ['m == n with short equal roots', () => verifyConsistency(n, n, [], root.subarray(0, 12), root.subarray(0, 12))],
    ['a fractional m', () => verifyConsistency(2.5, n, cproof, oldRoot, root)],
    ['a string n', () => verifyConsistency(3, junk('7'), cproof, oldRoot, root)],
    ['m < n with an empty proof', () => verifyConsistency(3, n, [], oldRoot, root)],
    ['a null proof', () => verifyConsistency(3, n, junk(null), oldRoot, root)],
    ['a null node', () => verifyConsistency(3, n, junk([null, ...cproof.slice(1)]), oldRoot, root)],
    ['a 33-byte old root', () => verifyConsistency(3, n, cproof, Buffer.concat([oldRoot, Buffer.alloc(1)]), root)],
    ['a string new root', () => verifyConsistency(3, n, cproof, oldRoot, junk(root.toString('hex')))],
    ['a huge proof', () => verifyConsistency(3, n, new Array<Buffer>(100_000).fill(root), oldRoot, root)],
    ['a sparse proof of the right length', () => verifyConsistency(3, n, new Array<Buffer>(cproof.length), oldRoot, root)],
  ])('verifyConsistency: %s is false', (_what, call) => {
    expect(call()).toBe(false);
  });

  it('binds the size only through the shape of the proof: the checkpoint signature must bind size to root', () => {
    // Leaf 0's path in a tree of 5 is [1,2), [2,4), [4,5); in a tree of 6 it is [1,2), [2,4),
    // [4,6). Same length, same order, so the size-5 proof also "verifies" as size 6 against the
    // size-5 root. Likewise a consistency proof from 1 is leaf 0's inclusion proof. A verifier
    // must take size and root together from one signed checkpoint, never the size from the caller.
    const five = LEAVES.slice(0, 5);
    const proof5 = inclusionProof(0, 5, five);
    expect(verifyInclusion(five[0] as Buffer, 0, 6, proof5, ROOTS[5] as Buffer)).toBe(true);
    expect(verifyConsistency(1, 6, consistencyProof(1, 5, five), ROOTS[1] as Buffer, ROOTS[5] as Buffer)).toBe(true);
    // A size that changes the shape is caught.
    expect(verifyInclusion(five[0] as Buffer, 0, 9, proof5, ROOTS[5] as Buffer)).toBe(false);
  });

  it('m == n with equal 32-byte roots and no proof is true', () => {
    expect(verifyConsistency(n, n, [], root, Buffer.from(root))).toBe(true);
  });

  it(`every hash is ${HASH_BYTES} bytes`, () => {
    expect(leafHash(Buffer.alloc(0))).toHaveLength(HASH_BYTES);
    expect(nodeHash(Buffer.alloc(0), Buffer.alloc(0))).toHaveLength(HASH_BYTES);
    expect(emptyRoot()).toHaveLength(HASH_BYTES);
  });
});
