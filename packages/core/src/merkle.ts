import { sha256 } from './crypto.js';
import { bytesEqual, concatBytes } from './encoding.js';
import { err, ok, type Result } from './errors.js';

/**
 * Merkle trees as in RFC 9162 (Certificate Transparency v2) section 2.1: one tree over the whole
 * append-only log, of any size, with domain-separated leaf and interior hashes so a leaf can never
 * pass for an interior node (the second-preimage defence of RFC 9162 section 2.1.1).
 */
export const HASH_BYTES = 32;
/** Largest tree size a proof may describe (2^53 - 1, the largest exact JS integer). */
export const TREE_SIZE_MAX = Number.MAX_SAFE_INTEGER;
/** Longest proof for a tree of at most TREE_SIZE_MAX leaves. */
export const PROOF_LENGTH_MAX = 2 * 53;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** The root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT = sha256(new Uint8Array(0));

/** HASH(0x00 || data) */
export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(concatBytes(LEAF_PREFIX, data));
}

/** HASH(0x01 || left || right) */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concatBytes(NODE_PREFIX, left, right));
}

/** The largest power of two strictly below n (n >= 2): where RFC 9162 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The hash of the subtree over leaves [start, end): MTH(D[start:end]) in RFC 9162 terms.
 * Proof generation is written against this function so storage can supply one that reads
 * precomputed subtree hashes instead of rehashing leaves.
 */
export type RangeHasher = (start: number, end: number) => Uint8Array;

/** A RangeHasher over leaf hashes held in memory. */
export function arrayRangeHasher(leafHashes: readonly Uint8Array[]): RangeHasher {
  const mth: RangeHasher = (start, end) => {
    const n = end - start;
    if (n === 0) return EMPTY_ROOT;
    if (n === 1) return leafHashes[start]!;
    const k = splitPoint(n);
    return nodeHash(mth(start, start + k), mth(start + k, end));
  };
  return mth;
}

/** MTH over the given leaf hashes. */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  return arrayRangeHasher(leafHashes)(0, leafHashes.length);
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new RangeError(`tree size must be a non-negative integer, got ${size}`);
}

/** A leaf range [start, end) whose subtree hash is one entry of a proof. */
export type LeafRange = readonly [start: number, end: number];

/**
 * The leaf ranges whose subtree hashes form PATH(index, D[size]) (RFC 9162 section 2.1.3.1),
 * leaf to root. Knowing the ranges first lets storage fetch their hashes in one go.
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  checkSize(size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside a tree of size ${size}`);
  }
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = size;
  let m = index;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      ranges.push([start + k, end]);
      end = start + k;
    } else {
      ranges.push([start, start + k]);
      start += k;
      m -= k;
    }
  }
  // Found root to leaf; proofs list them leaf to root.
  return ranges.reverse();
}

/** PATH(index, D[size]) of RFC 9162 section 2.1.3.1, leaf to root. */
export function inclusionProof(mth: RangeHasher, index: number, size: number): Uint8Array[] {
  return inclusionProofRanges(index, size).map(([start, end]) => mth(start, end));
}

/** The leaf ranges whose subtree hashes form PROOF(m, D[n]) (RFC 9162 section 2.1.4.1). */
export function consistencyProofRanges(m: number, n: number): LeafRange[] {
  checkSize(m);
  checkSize(n);
  if (m > n) throw new RangeError(`old size ${m} is larger than new size ${n}`);
  if (m === 0 || m === n) return [];
  return subproofRanges(m, 0, n, true);
}

function subproofRanges(m: number, start: number, end: number, complete: boolean): LeafRange[] {
  const n = end - start;
  if (m === n) return complete ? [] : [[start, end]];
  const k = splitPoint(n);
  if (m <= k) return [...subproofRanges(m, start, start + k, complete), [start + k, end]];
  return [...subproofRanges(m - k, start + k, end, false), [start, start + k]];
}

/** PROOF(m, D[n]) of RFC 9162 section 2.1.4.1: shows the tree of size n extends the one of size m. */
export function consistencyProof(mth: RangeHasher, m: number, n: number): Uint8Array[] {
  return consistencyProofRanges(m, n).map(([start, end]) => mth(start, end));
}

function proofFailure(reason: string): Result<true> {
  return err('proof_invalid', { reason });
}

function checkProofShape(proof: readonly Uint8Array[]): string | undefined {
  if (proof.length > PROOF_LENGTH_MAX) return `proof longer than ${PROOF_LENGTH_MAX} hashes`;
  if (proof.some((h) => h.length !== HASH_BYTES)) return `every proof hash must be ${HASH_BYTES} bytes`;
  return undefined;
}

/**
 * Verifies that `leaf` (a leaf hash) is at `index` in the tree of `size` with `root`,
 * following RFC 9162 section 2.1.3.2 step by step.
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Result<true> {
  const shape = checkProofShape(proof);
  if (shape) return proofFailure(shape);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    return proofFailure('leaf index is not inside the tree');
  }
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return proofFailure('proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return proofFailure('proof is shorter than the tree is deep');
  return bytesEqual(r, root) ? ok(true) : proofFailure('computed root does not match');
}

/**
 * Verifies that the tree (size2, root2) extends the tree (size1, root1), following RFC 9162
 * section 2.1.4.2. Equal sizes need an empty proof and equal roots; every tree extends the
 * empty one.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): Result<true> {
  const shape = checkProofShape(proof);
  if (shape) return proofFailure(shape);
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < size1) {
    return proofFailure('sizes must satisfy 0 <= size1 <= size2');
  }
  if (size1 === size2) {
    if (proof.length !== 0) return proofFailure('equal sizes need an empty proof');
    return bytesEqual(root1, root2) ? ok(true) : proofFailure('equal sizes with different roots');
  }
  if (size1 === 0) return proof.length === 0 ? ok(true) : proofFailure('an empty tree needs an empty proof');
  if (proof.length === 0) return proofFailure('proof is empty');
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return proofFailure('proof is longer than needed');
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return proofFailure('proof is shorter than needed');
  if (!bytesEqual(fr, root1)) return proofFailure('old root does not match');
  return bytesEqual(sr, root2) ? ok(true) : proofFailure('new root does not match');
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}
