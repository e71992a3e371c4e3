import { EMPTY_ROOT, leafHash, merkleRoot, nodeHash, splitPoint } from '@webwallet/core';

/**
 * Subtrees of at least 2^STORED_LEVEL_MIN leaves are stored when they complete; smaller ones are
 * recomputed from their (at most 255) leaves. That keeps storage writes near one node per 256
 * transactions while any proof needs at most a few small leaf reads.
 */
export const STORED_LEVEL_MIN = 8;

export interface MerkleNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

interface FrontierNode {
  readonly level: number;
  readonly start: number;
  readonly hash: Uint8Array;
}

/** Where the Merkle log reads stored hashes from. */
export interface MerkleSource {
  /** SHA-256 document hashes of transactions [start, end), in log order. */
  transactionHashes(start: number, end: number): Promise<Uint8Array[]>;
  merkleNode(level: number, index: number): Promise<Uint8Array | undefined>;
}

/**
 * The right edge of the RFC 9162 tree over the whole log: one perfect subtree per set bit of the
 * size. Appending a leaf and computing the root are O(log n) and need no storage reads.
 */
export class MerkleFrontier {
  private constructor(
    private size_: number,
    private readonly nodes: FrontierNode[],
  ) {}

  static empty(): MerkleFrontier {
    return new MerkleFrontier(0, []);
  }

  /** Rebuilds the frontier of a log of `size` transactions from storage. */
  static async load(source: MerkleSource, size: number): Promise<MerkleFrontier> {
    const nodes: FrontierNode[] = [];
    let start = 0;
    for (let level = 52; level >= 0; level--) {
      const width = 2 ** level;
      if (size - start < width) continue;
      nodes.push({ level, start, hash: await subtreeHash(source, start, start + width) });
      start += width;
    }
    return new MerkleFrontier(size, nodes);
  }

  get size(): number {
    return this.size_;
  }

  clone(): MerkleFrontier {
    return new MerkleFrontier(this.size_, [...this.nodes]);
  }

  /** Appends a transaction's document hash; completed subtrees worth storing go to `stored`. */
  append(transactionHash: Uint8Array, stored: MerkleNode[]): void {
    this.nodes.push({ level: 0, start: this.size_, hash: leafHash(transactionHash) });
    this.size_++;
    for (;;) {
      const right = this.nodes[this.nodes.length - 1];
      const left = this.nodes[this.nodes.length - 2];
      if (!right || !left || left.level !== right.level) break;
      this.nodes.length -= 2;
      const merged = { level: left.level + 1, start: left.start, hash: nodeHash(left.hash, right.hash) };
      this.nodes.push(merged);
      if (merged.level >= STORED_LEVEL_MIN)
        stored.push({ level: merged.level, index: merged.start / 2 ** merged.level, hash: merged.hash });
    }
  }

  root(): Uint8Array {
    if (this.nodes.length === 0) return EMPTY_ROOT;
    let hash = this.nodes[this.nodes.length - 1]!.hash;
    for (let i = this.nodes.length - 2; i >= 0; i--) hash = nodeHash(this.nodes[i]!.hash, hash);
    return hash;
  }
}

/** MTH over transactions [start, end), from stored nodes where possible. */
export async function subtreeHash(source: MerkleSource, start: number, end: number): Promise<Uint8Array> {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  // Bit operations would wrap past 2^31 leaves; Math.log2 is exact on powers of two.
  const level = Math.log2(n);
  if (Number.isInteger(level) && start % n === 0) {
    if (level >= STORED_LEVEL_MIN) {
      const stored = await source.merkleNode(level, start / n);
      if (stored) return stored;
      throw new Error(`Merkle node ${level}/${start / n} missing from storage`);
    }
    return merkleRoot((await source.transactionHashes(start, end)).map(leafHash));
  }
  const k = splitPoint(n);
  return nodeHash(await subtreeHash(source, start, start + k), await subtreeHash(source, start + k, end));
}
