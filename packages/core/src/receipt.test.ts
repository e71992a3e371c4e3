import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateKeyPair } from './crypto.js';
import { createDocument, type SignedDocument } from './document.js';
import { encodePrefixed, toHex } from './encoding.js';
import type { Result } from './errors.js';
import { arrayRangeHasher, inclusionProof } from './merkle.js';
import {
  BLOCK_DOCUMENT_TYPE,
  type BlockHeader,
  blockHash,
  type Receipt,
  transactionLeaf,
  verifyReceipt,
} from './receipt.js';

function code<T>(result: Result<T>): string | undefined {
  return result.ok ? undefined : result.error.code;
}

describe('receipts', async () => {
  const node = await generateKeyPair();
  const nodeKey = encodePrefixed('pub', node.publicKey);
  const payer = await generateKeyPair();
  const docs: SignedDocument[] = [];
  for (let i = 0; i < 11; i++) {
    docs.push(await createDocument('ledger.transfer', 1, { id: `t${i}`, amount: `${i}.00` }, i % 2 ? [payer] : []));
  }
  const leaves = docs.map((d) => transactionLeaf(d.body));
  const mth = arrayRangeHasher(leaves);
  const header: BlockHeader = {
    height: 3,
    previous: 'ab'.repeat(32),
    timestamp: '2026-11-21T00:00:00.000Z',
    tree_size: docs.length,
    root: toHex(mth(0, docs.length)),
    node: nodeKey,
  };
  const block = await createDocument(BLOCK_DOCUMENT_TYPE, 1, header, [node]);
  const receiptFor = (index: number): Receipt => ({
    version: 1,
    document: docs[index]!,
    index,
    block,
    proof: inclusionProof(mth, index, docs.length).map(toHex),
  });

  test('every receipt verifies offline with only the node key', async () => {
    for (let i = 0; i < docs.length; i++) {
      const result = await verifyReceipt(receiptFor(i), [nodeKey]);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.value.index, i);
      assert.equal(result.value.block.height, 3);
    }
    assert.match(blockHash(header), /^[0-9a-f]{64}$/);
  });

  test('a receipt survives a JSON round trip', async () => {
    const copy = JSON.parse(JSON.stringify(receiptFor(5)));
    assert.equal((await verifyReceipt(copy, [nodeKey])).ok, true);
  });

  test('tampering anywhere fails with a specific code', async () => {
    const other = encodePrefixed('pub', (await generateKeyPair()).publicKey);
    assert.equal(code(await verifyReceipt(receiptFor(1), [other])), 'node_key_untrusted');
    const r = receiptFor(4);
    assert.equal(code(await verifyReceipt({ ...r, index: 5 }, [nodeKey])), 'proof_invalid');
    assert.equal(code(await verifyReceipt({ ...r, document: docs[6] }, [nodeKey])), 'proof_invalid');
    const badProof = [...r.proof];
    badProof[0] = `${badProof[0]!.slice(0, 63)}${badProof[0]!.endsWith('0') ? '1' : '0'}`;
    assert.equal(code(await verifyReceipt({ ...r, proof: badProof }, [nodeKey])), 'proof_invalid');
    const forgedBlock = { ...block, body: { ...header, root: '00'.repeat(32) } };
    assert.equal(code(await verifyReceipt({ ...r, block: forgedBlock }, [nodeKey])), 'signature_invalid');
    const signed = receiptFor(3);
    const forgedDoc = { ...signed.document, body: { id: 't3', amount: '300.00' } };
    assert.equal(code(await verifyReceipt({ ...signed, document: forgedDoc }, [nodeKey])), 'signature_invalid');
  });

  test('garbled receipts are receipt_invalid', async () => {
    const r = receiptFor(2);
    for (const bad of [
      null,
      'receipt',
      { ...r, version: 2 },
      { ...r, proof: 'x' },
      { ...r, proof: ['zz'] },
      { ...r, index: -1 },
      { ...r, block: { ...block, type: 'x' } },
    ]) {
      assert.equal(code(await verifyReceipt(bad, [nodeKey])), 'receipt_invalid', JSON.stringify(bad).slice(0, 80));
    }
  });
});
