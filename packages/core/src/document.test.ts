import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateKeyPair } from './crypto.js';
import {
  createDocument,
  documentId,
  parseDocument,
  signDocument,
  verifyDocument,
  verifyDocumentSync,
} from './document.js';
import { encodePrefixed } from './encoding.js';
import type { Result } from './errors.js';

function failure<T>(result: Result<T>): { code: string; details: Record<string, unknown> } {
  assert.equal(result.ok, false, 'expected a failure');
  if (result.ok) throw new Error('unreachable');
  return { code: result.error.code, details: { ...result.error.details } };
}

describe('signed documents', async () => {
  const alice = await generateKeyPair();
  const bob = await generateKeyPair();
  const carol = await generateKeyPair();
  const aliceKey = encodePrefixed('pub', alice.publicKey);
  const bobKey = encodePrefixed('pub', bob.publicKey);
  const carolKey = encodePrefixed('pub', carol.publicKey);
  const body = { from: aliceKey, amount: '12.34', currency: 'USD', memo: 'lunch' };

  test('the id is the SHA-256 of the canonical body, independent of key order and signers', async () => {
    const reordered = { memo: 'lunch', currency: 'USD', amount: '12.34', from: aliceKey };
    assert.equal(documentId(body), documentId(reordered));
    assert.match(documentId(body), /^doc_[A-Za-z0-9_-]{43}$/);
    const one = await createDocument('ledger.transfer', 1, body, [alice]);
    const two = await createDocument('ledger.transfer', 1, reordered, [bob, alice]);
    assert.equal((await verifyDocument(one)).ok && (await verifyDocument(two)).ok, true);
    const ids = [await verifyDocument(one), await verifyDocument(two)].map((r) => (r.ok ? r.value.id : ''));
    assert.deepEqual(ids, [documentId(body), documentId(body)]);
  });

  test('verifies required signers and names the missing one', async () => {
    const doc = await createDocument('ledger.transfer', 1, body, [alice, bob]);
    const verified = await verifyDocument(doc, [aliceKey, bobKey]);
    assert.deepEqual(verified, { ok: true, value: { id: documentId(body), signers: [aliceKey, bobKey] } });
    const missing = failure(await verifyDocument(doc, [aliceKey, carolKey]));
    assert.equal(missing.code, 'signature_missing');
    assert.equal(missing.details.key, carolKey);
    assert.deepEqual(verifyDocumentSync(doc, [aliceKey, bobKey]), verified);
  });

  test('names the signature that does not verify', async () => {
    const doc = await createDocument('ledger.transfer', 1, body, [alice, bob]);
    const tampered = { ...doc, body: { ...body, amount: '99.00' } };
    const bad = failure(await verifyDocument(tampered));
    assert.equal(bad.code, 'signature_invalid');
    assert.equal(bad.details.index, 0);
    // Bob's signature pasted under Carol's key.
    const swapped = { ...doc, signatures: [doc.signatures[0]!, { key: carolKey, sig: doc.signatures[1]!.sig }] };
    const wrongKey = failure(verifyDocumentSync(swapped));
    assert.equal(wrongKey.code, 'signature_invalid');
    assert.equal(wrongKey.details.key, carolKey);
    assert.equal(wrongKey.details.index, 1);
  });

  test('signatures bind type and version', async () => {
    const doc = await createDocument('ledger.transfer', 1, body, [alice]);
    assert.equal(failure(await verifyDocument({ ...doc, type: 'ledger.refund' })).code, 'signature_invalid');
    assert.equal(failure(await verifyDocument({ ...doc, version: 2 })).code, 'signature_invalid');
  });

  test('re-signing by the same key replaces its signature', async () => {
    const doc = await createDocument('ledger.transfer', 1, body, [alice]);
    const again = await signDocument(doc, alice);
    assert.equal(again.signatures.length, 1);
  });

  test('rejects malformed envelopes with document_invalid', async () => {
    const doc = await createDocument('ledger.transfer', 1, body, [alice]);
    const cases: unknown[] = [
      null,
      [],
      'doc',
      { ...doc, extra: 1 },
      { ...doc, type: 'Ledger Transfer' },
      { ...doc, version: 0 },
      { ...doc, version: 1.5 },
      { ...doc, body: [] },
      { ...doc, signatures: 'x' },
      { ...doc, signatures: Array.from({ length: 17 }, () => doc.signatures[0]) },
      { ...doc, signatures: [doc.signatures[0], doc.signatures[0]] },
      { ...doc, signatures: [{ key: 'pub_x', sig: doc.signatures[0]!.sig }] },
      { ...doc, signatures: [{ ...doc.signatures[0], extra: 1 }] },
    ];
    for (const value of cases)
      assert.equal(failure(parseDocument(value)).code, 'document_invalid', JSON.stringify(value));
    assert.equal(failure(parseDocument({ ...doc, body: { x: '\ud800' } })).code, 'canonical_json_invalid');
  });
});
