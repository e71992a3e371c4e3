/**
 * docs/payer-tokens.md carries a worked example: fixed keys (RFC 8032 test vectors), a three-
 * transaction log, a signed block, the token's claims, the bytes signed, and the token text. This
 * test recomputes every value from the inputs and checks the document says exactly that, then
 * verifies the document's token text. Run with WORKED_EXAMPLE=print to print the blocks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { canonicalize } from './canonical-json.js';
import { keyPairFromSecret } from './crypto.js';
import { createDocument, documentId } from './document.js';
import { encodePrefixed, fromHex, fromUtf8, toHex } from './encoding.js';
import { unwrap } from './errors.js';
import { arrayRangeHasher, inclusionProof } from './merkle.js';
import {
  decodePayerToken,
  encodePayerToken,
  PAYER_TOKEN_TYPE,
  PAYER_TOKEN_VERSION,
  type PayerTokenClaims,
  payerTokenSigningPayload,
  verifyPayerToken,
} from './payer-token.js';
import { BLOCK_DOCUMENT_TYPE, type BlockHeader, type Receipt, transactionLeaf } from './receipt.js';

const unwrapHex = (hex: string) => unwrap(fromHex(hex));
const DOC = new URL('../../../docs/payer-tokens.md', import.meta.url);

// RFC 8032 section 7.1, TEST 1, TEST 2 and TEST 3 secret keys.
const PAYER_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const NODE_SEED = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';
const SELLER_SEED = 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7';

async function buildExample() {
  const payer = await keyPairFromSecret(unwrapHex(PAYER_SEED));
  const node = await keyPairFromSecret(unwrapHex(NODE_SEED));
  const seller = await keyPairFromSecret(unwrapHex(SELLER_SEED));
  const payerId = encodePrefixed('pub', payer.publicKey);
  const sellerId = encodePrefixed('pub', seller.publicKey);
  const nodeId = encodePrefixed('pub', node.publicKey);
  const others = [
    { id: 'open-payer', created_at: '2026-11-21T11:58:00.000Z', account: payerId },
    { id: 'open-seller', created_at: '2026-11-21T11:58:01.000Z', account: sellerId },
  ];
  const payment = await createDocument(
    'ledger.transfer',
    1,
    {
      id: 'order-1001-payment',
      created_at: '2026-11-21T11:59:30.000Z',
      legs: [{ from: payerId, to: sellerId, currency: 'EUR', amount: '5.00' }],
      memo: 'order-1001',
    },
    [payer],
  );
  const leaves = [...others.map((body) => transactionLeaf(body)), transactionLeaf(payment.body)];
  const mth = arrayRangeHasher(leaves);
  const header: BlockHeader = {
    height: 0,
    previous: null,
    timestamp: '2026-11-21T11:59:31.000Z',
    tree_size: 3,
    root: toHex(mth(0, 3)),
    node: nodeId,
  };
  const block = await createDocument(BLOCK_DOCUMENT_TYPE, 1, header, [node]);
  const receipt: Receipt = {
    version: 1,
    document: payment,
    index: 2,
    block,
    proof: inclusionProof(mth, 2, 3).map(toHex),
  };
  const claims: PayerTokenClaims = {
    payment: { node: nodeId, transaction: 'order-1001-payment' },
    payer: payerId,
    payee: sellerId,
    amount: '5.00',
    currency: 'EUR',
    reference: 'order-1001',
    audience: 'https://downloads.example',
    nonce: 'q8Zt3u6fQvGkH1dJx0Lw2A',
    issued_at: '2026-11-21T12:00:00.000Z',
    expires_at: '2026-11-22T12:00:00.000Z',
  };
  const token = await createDocument(PAYER_TOKEN_TYPE, PAYER_TOKEN_VERSION, claims, [payer]);
  return {
    keys: { payer: payerId, seller: sellerId, node: nodeId },
    claims,
    canonical: canonicalize(claims),
    id: documentId(claims),
    payload: fromUtf8(payerTokenSigningPayload(claims)),
    signature: token.signatures[0]!.sig,
    receipt,
    text: await encodePayerToken({ token, receipt }),
  };
}

/** The fenced block right after `<!-- example:name -->` in the document. */
function block(markdown: string, name: string): string {
  const match = new RegExp(`<!-- example:${name} -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(markdown);
  assert.ok(match, `docs/payer-tokens.md has no block marked example:${name}`);
  return match[1]!;
}

test('docs/payer-tokens.md: the worked example is exactly what the code computes', async () => {
  const example = await buildExample();
  const printed: Record<string, string> = {
    keys: JSON.stringify(example.keys, null, 2),
    claims: JSON.stringify(example.claims, null, 2),
    canonical: example.canonical,
    id: example.id,
    payload: example.payload,
    signature: example.signature,
    receipt: JSON.stringify(example.receipt, null, 2),
  };
  if (process.env.WORKED_EXAMPLE === 'print') {
    for (const [name, value] of Object.entries(printed))
      console.log(`<!-- example:${name} -->\n\`\`\`\n${value}\n\`\`\`\n`);
    console.log(`<!-- example:token -->\n\`\`\`\n${example.text}\n\`\`\``);
  }
  const markdown = readFileSync(DOC, 'utf8');
  for (const [name, value] of Object.entries(printed)) assert.equal(block(markdown, name), value, `example:${name}`);
});

test("docs/payer-tokens.md: the example's token text decodes to the example and verifies", async () => {
  const example = await buildExample();
  const text = block(readFileSync(DOC, 'utf8'), 'token').replace(/\s+/g, '');
  const decoded = await decodePayerToken(text);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.value.token.body, example.claims);
  assert.deepEqual(decoded.value.receipt, example.receipt);
  const verified = await verifyPayerToken(text, {
    trusted_nodes: [{ public_key: example.keys.node }],
    expect: {
      payee: example.keys.seller,
      amount: '5.00',
      currency: 'EUR',
      reference: 'order-1001',
      audience: 'https://downloads.example',
    },
    now_ms: Date.parse('2026-11-21T12:30:00.000Z'),
  });
  assert.ok(verified.ok, verified.ok ? '' : verified.error.code);
  assert.equal(verified.value.redemption_key, `${example.keys.node}/order-1001-payment`);
  assert.ok(fromHex(example.receipt.proof[0]!).ok);
});
