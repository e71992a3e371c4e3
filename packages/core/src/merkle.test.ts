import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from './encoding.js';
import { unwrap } from './errors.js';
import {
  arrayRangeHasher,
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  merkleRoot,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import { ctMerkle } from './vectors/ct-merkle.js';

const hex = (text: string) => unwrap(fromHex(text));
const leaves = ctMerkle.leaf_inputs_hex.map((h) => leafHash(hex(h)));

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
  return out;
}

describe('Merkle tree (RFC 9162) known answers', () => {
  test('leaf hashes and roots for every size', () => {
    assert.deepEqual(leaves.map(toHex), [...ctMerkle.leaf_hashes_hex]);
    for (const [size, root] of Object.entries(ctMerkle.root_hashes_by_size)) {
      assert.equal(toHex(merkleRoot(leaves.slice(0, Number(size)))), root, `size ${size}`);
    }
    assert.equal(toHex(EMPTY_ROOT), ctMerkle.root_hashes_by_size['0']);
  });

  test('inclusion proofs match and verify', () => {
    const mth = arrayRangeHasher(leaves);
    for (const v of ctMerkle.inclusion_proofs) {
      const proof = inclusionProof(mth, v.leaf_index, v.tree_size);
      assert.deepEqual(proof.map(toHex), [...v.proof_hex], `${v.leaf_index}/${v.tree_size}`);
      const ok = verifyInclusion(hex(v.leaf_hash_hex), v.leaf_index, v.tree_size, proof, hex(v.root_hex));
      assert.deepEqual(ok, { ok: true, value: true });
    }
  });

  test('consistency proofs match and verify', () => {
    const mth = arrayRangeHasher(leaves);
    for (const v of ctMerkle.consistency_proofs) {
      const proof = consistencyProof(mth, v.size1, v.size2);
      assert.deepEqual(proof.map(toHex), [...v.proof_hex], `${v.size1}->${v.size2}`);
      const ok = verifyConsistency(v.size1, v.size2, hex(v.root1_hex), hex(v.root2_hex), proof);
      assert.deepEqual(ok, { ok: true, value: true });
    }
  });
});

describe('Merkle tree properties', () => {
  const data = Array.from({ length: 70 }, (_, i) => leafHash(new Uint8Array([i, i >> 8, 42])));
  const mth = arrayRangeHasher(data);

  test('every leaf proof verifies for every tree size up to 70', () => {
    for (let size = 1; size <= data.length; size++) {
      const root = mth(0, size);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(mth, index, size);
        assert.equal(verifyInclusion(data[index]!, index, size, proof, root).ok, true, `${index}/${size}`);
        if (size > 1) assert.equal(verifyInclusion(data[index]!, (index + 1) % size, size, proof, root).ok, false);
      }
    }
  });

  test('every consistency proof verifies for every pair of sizes up to 70', () => {
    for (let n = 1; n <= data.length; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = consistencyProof(mth, m, n);
        assert.equal(verifyConsistency(m, n, mth(0, m), mth(0, n), proof).ok, true, `${m}->${n}`);
      }
    }
  });

  test('property: any flipped bit in leaf, proof or root fails inclusion', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: data.length }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (size, rawIndex, which, bit) => {
          const index = rawIndex % size;
          const root = mth(0, size);
          const proof = inclusionProof(mth, index, size);
          const part = which % (proof.length + 2);
          if (part === 0) assert.equal(verifyInclusion(flipBit(data[index]!, bit), index, size, proof, root).ok, false);
          else if (part === 1)
            assert.equal(verifyInclusion(data[index]!, index, size, proof, flipBit(root, bit)).ok, false);
          else {
            const bad = proof.map((h, i) => (i === part - 2 ? flipBit(h, bit) : h));
            assert.equal(verifyInclusion(data[index]!, index, size, bad, root).ok, false);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('property: any flipped bit in a root or proof fails consistency', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: data.length }), fc.nat(), fc.nat(), fc.nat(), (n, rawM, which, bit) => {
        const m = 1 + (rawM % (n - 1));
        const proof = consistencyProof(mth, m, n);
        const [r1, r2] = [mth(0, m), mth(0, n)];
        const part = which % (proof.length + 2);
        if (part === 0) assert.equal(verifyConsistency(m, n, flipBit(r1, bit), r2, proof).ok, false);
        else if (part === 1) assert.equal(verifyConsistency(m, n, r1, flipBit(r2, bit), proof).ok, false);
        else {
          const bad = proof.map((h, i) => (i === part - 2 ? flipBit(h, bit) : h));
          assert.equal(verifyConsistency(m, n, r1, r2, bad).ok, false);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('rejects malformed proofs and sizes', () => {
    const root = mth(0, 8);
    const proof = inclusionProof(mth, 3, 8);
    assert.equal(verifyInclusion(data[3]!, 8, 8, proof, root).ok, false);
    assert.equal(verifyInclusion(data[3]!, 3, 8, [...proof, proof[0]!], root).ok, false);
    assert.equal(verifyInclusion(data[3]!, 3, 8, proof.slice(1), root).ok, false);
    assert.equal(verifyInclusion(data[3]!, 3, 8, [new Uint8Array(31), ...proof.slice(1)], root).ok, false);
    assert.equal(verifyConsistency(4, 8, mth(0, 4), root, []).ok, false);
    assert.equal(verifyConsistency(8, 4, root, mth(0, 4), []).ok, false);
    assert.equal(verifyConsistency(4, 4, mth(0, 4), root, []).ok, false);
    assert.throws(() => inclusionProof(mth, 8, 8), RangeError);
    assert.throws(() => consistencyProof(mth, 9, 8), RangeError);
  });
});
