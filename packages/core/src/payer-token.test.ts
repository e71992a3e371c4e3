import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { generateKeyPair, type KeyPair, randomBytes, sha256 } from './crypto.js';
import { deflateRaw } from './deflate.js';
import { createDocument, type SignedDocument, signDocument } from './document.js';
import { encodePrefixed, toBase64Url, toHex, utf8 } from './encoding.js';
import { ERROR_CODES, type Result, WebWalletError } from './errors.js';
import { arrayRangeHasher, inclusionProof, nodeHash, type RangeHasher, splitPoint } from './merkle.js';
import {
  type CreatePayerTokenOptions,
  createPayerToken,
  decodePayerToken,
  encodePayerToken,
  PAYER_TOKEN_JSON_BYTES_MAX,
  PAYER_TOKEN_LIFETIME_MAX_S,
  PAYER_TOKEN_PREFIX,
  PAYER_TOKEN_TEXT_LENGTH_MAX,
  PAYER_TOKEN_TYPE,
  PAYER_TOKEN_VERSION,
  type PayerToken,
  type PaymentExpectation,
  redemptionKey,
  type VerifyPayerTokenOptions,
  verifyPayerToken,
} from './payer-token.js';
import { BLOCK_DOCUMENT_TYPE, type BlockHeader, type Receipt, transactionLeaf } from './receipt.js';

// This file also runs unchanged in headless Chromium (isomorphic.node.test.ts), where there is
// no node:http to serve a ledger node from: Node-only modules load through a variable specifier
// that the browser bundler leaves alone, and the online tests skip there.
type NodeHttp = typeof import('node:http');
type NodeZlib = typeof import('node:zlib');

async function nodeModule<T>(specifier: string): Promise<T | undefined> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return proc?.versions?.node ? ((await import(/* @vite-ignore */ specifier)) as T) : undefined;
}

const http = await nodeModule<NodeHttp>('node:http');
const zlib = await nodeModule<NodeZlib>('node:zlib');

/** Raw DEFLATE made independently of the code under test where possible (node:zlib). */
async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  return zlib ? new Uint8Array(zlib.deflateRawSync(bytes)) : deflateRaw(bytes);
}

/** Token text for any JSON text: the prefix, then base64url of its raw DEFLATE. */
async function textOf(json: string): Promise<string> {
  return PAYER_TOKEN_PREFIX + toBase64Url(await deflate(utf8(json)));
}

function code<T>(result: Result<T>): string | undefined {
  return result.ok ? undefined : result.error.code;
}

function expectOk<T>(result: Result<T>): T {
  if (!result.ok) assert.fail(`${result.error.code}: ${JSON.stringify(result.error.details)}`);
  return result.value;
}

/** t.diagnostic under Node; the browser shim's context has none. */
function diagnostic(t: { diagnostic?: (message: string) => void }, message: string): void {
  t.diagnostic?.(message);
}

const SHOP = 'https://shop.example';
const CREATED_AT = '2026-11-21T09:58:30.412Z';
/** The verifier's clock in these tests: tokens are issued at NOW and presented a minute later. */
const NOW = Date.parse('2026-11-21T10:00:00.000Z');
const PRESENTED = NOW + 60_000;
const HEIGHT = 41;

/** A realistic 22-character base64url transaction id, stable per name. */
function txid(name: string): string {
  return toBase64Url(sha256(utf8(name))).slice(0, 22);
}

function pub(keys: KeyPair): string {
  return encodePrefixed('pub', keys.publicKey);
}

function leg(from: string, to: string, amount: string, currency = 'EUR') {
  return { from, to, currency, amount };
}

interface Sealed {
  readonly block: SignedDocument<BlockHeader>;
  receiptFor(doc: SignedDocument): Receipt;
}

/** A block over `docs` (in log order), signed by `node`, as a ledger node seals one. */
async function seal(docs: readonly SignedDocument[], node: KeyPair, nodeKey = pub(node)): Promise<Sealed> {
  const mth = arrayRangeHasher(docs.map((d) => transactionLeaf(d.body)));
  const header: BlockHeader = {
    height: HEIGHT,
    previous: toHex(sha256(utf8(`block ${HEIGHT - 1}`))),
    timestamp: '2026-11-21T09:58:31.000Z',
    tree_size: docs.length,
    root: toHex(mth(0, docs.length)),
    node: nodeKey,
  };
  const block = await createDocument(BLOCK_DOCUMENT_TYPE, 1, header, [node]);
  return {
    block,
    receiptFor(doc) {
      const index = docs.indexOf(doc);
      assert.ok(index >= 0, 'the document is in the block');
      return { version: 1, document: doc, index, block, proof: inclusionProof(mth, index, docs.length).map(toHex) };
    },
  };
}

/** What a ledger node answers for GET /v1/transactions/:id, on the n-th request for that id. */
type Answer = { status: number; body: unknown } | 'hang';

interface FakeNode {
  readonly url: string;
  readonly hits: Map<string, number>;
}

/** A real HTTP server on 127.0.0.1 serving the node's transaction route; closed after `use`. */
async function withLedgerNode(
  server: NodeHttp,
  answer: (id: string, hit: number) => Answer,
  use: (node: FakeNode) => Promise<void>,
): Promise<void> {
  const hits = new Map<string, number>();
  const app = server.createServer((req, res) => {
    // A node that answers at once, as one without ?wait_ms= does: the verifier must still ask again.
    const match = /^\/v1\/transactions\/([^/?]+)(?:\?wait_ms=\d+)?$/.exec(req.url ?? '');
    const id = match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
    const hit = (hits.get(id ?? '') ?? 0) + 1;
    if (id !== undefined) hits.set(id, hit);
    const reply =
      req.method === 'GET' && id !== undefined
        ? answer(id, hit)
        : { status: 404, body: new WebWalletError('route_not_found', { path: req.url }).toJSON() };
    if (reply === 'hang') return;
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const { port } = app.address() as { port: number };
  try {
    await use({ url: `http://127.0.0.1:${port}`, hits });
  } finally {
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
  }
}

/** The node's view of a transaction: the receipt is null until a block seals it. */
function transactionView(doc: SignedDocument, receipt: Receipt | null): Answer {
  const id = (doc.body as { id: string }).id;
  return { status: 200, body: { id, seq: 7, document: doc, block_height: receipt ? HEIGHT : null, receipt } };
}

function notFound(id: string): Answer {
  const error = new WebWalletError('transaction_not_found', { id });
  return { status: error.status, body: error.toJSON() };
}

describe('payer tokens', async () => {
  const [node, rogue, alice, bob, mallory] = await Promise.all([1, 2, 3, 4, 5].map(() => generateKeyPair()));
  assert.ok(node && rogue && alice && bob && mallory);
  const nodeKey = pub(node);
  const aliceId = pub(alice);
  const bobId = pub(bob);
  const malloryId = pub(mallory);
  const carolId = 'acc_carol_cafe';

  const transfer = (name: string, legs: object[], extra: object = {}, signers: KeyPair[] = [alice]) =>
    createDocument('ledger.transfer', 1, { id: txid(name), created_at: CREATED_AT, legs, ...extra }, signers);
  const opened = await createDocument(
    'ledger.account.create',
    1,
    { id: txid('open'), created_at: CREATED_AT, account: aliceId },
    [alice],
  );
  const trust = await createDocument(
    'ledger.trust.set',
    1,
    { id: txid('trust'), created_at: CREATED_AT, holder: aliceId, currency: 'EUR', limit: '1000' },
    [alice],
  );
  const pay = await transfer('pay', [leg(aliceId, bobId, '5.00')], { memo: 'order-1001' });
  const payment = await createDocument(
    'ledger.payment',
    1,
    {
      id: txid('payment'),
      created_at: CREATED_AT,
      from: aliceId,
      to: bobId,
      deliver: { currency: 'EUR', amount: '12.50' },
      send_max: { currency: 'EUR', amount: '12.75' },
      memo: 'invoice-77',
    },
    [alice],
  );
  const split = await transfer(
    'split',
    [leg(aliceId, bobId, '2.50'), leg(aliceId, carolId, '1.00'), leg(aliceId, bobId, '2.50')],
    { memo: 'order-1002' },
  );
  const hold = await transfer('hold', [leg(aliceId, bobId, '5.00')], {
    memo: 'order-1003',
    pending: { expires_at: '2026-11-22T10:00:00.000Z' },
  });
  const plain = await transfer('plain', [leg(aliceId, bobId, '7')]);
  const mallorys = await transfer('mallory', [leg(malloryId, bobId, '5.00')], { memo: 'order-1004' }, [mallory]);
  const bobs = await transfer('bob', [leg(bobId, carolId, '1.00')], {}, [bob]);
  const docs = [opened, trust, pay, payment, split, hold, plain, mallorys, bobs];
  const chain = await seal(docs, node);
  const rogueChain = await seal(docs, rogue);
  /** A payment the node never logged (for the "not found" answers). */
  const unlogged = await transfer('unlogged', [leg(aliceId, bobId, '5.00')], { memo: 'order-1001' });

  const tokenFor = async (doc: SignedDocument, options: Partial<CreatePayerTokenOptions> = {}) =>
    expectOk(
      await createPayerToken({
        keyPair: alice,
        audience: SHOP,
        now_ms: NOW,
        ...options,
        receipt: options.receipt ?? chain.receiptFor(doc),
      }),
    );
  const decoded = async (text: string) => expectOk(await decodePayerToken(text));
  /** A token over arbitrary claims, signed by `signer`, with an optional receipt. */
  const signed = async (claims: object, signer: KeyPair, receipt?: Receipt, signers: KeyPair[] = [signer]) => {
    const token = await createDocument(PAYER_TOKEN_TYPE, PAYER_TOKEN_VERSION, claims, signers);
    return encodePayerToken((receipt ? { token, receipt } : { token }) as PayerToken);
  };

  const EXPECT_ANY_REFERENCE: PaymentExpectation = { payee: bobId, amount: '5.00', currency: 'EUR', audience: SHOP };
  const EXPECT: PaymentExpectation = { ...EXPECT_ANY_REFERENCE, reference: 'order-1001' };
  const verifyAt = (
    token: string | PayerToken,
    expect: PaymentExpectation = EXPECT,
    options: Partial<VerifyPayerTokenOptions> = {},
  ) => verifyPayerToken(token, { trusted_nodes: [{ public_key: nodeKey }], now_ms: PRESENTED, expect, ...options });

  const payText = await tokenFor(pay);
  const payToken = await decoded(payText);
  const payClaims = payToken.token.body;

  describe('valid tokens', () => {
    test('a full token verifies offline and names the payment', async () => {
      assert.ok(payText.startsWith(PAYER_TOKEN_PREFIX));
      const verified = expectOk(await verifyAt(payText));
      assert.deepEqual(verified.claims, payClaims);
      assert.deepEqual(verified.claims.payment, { node: nodeKey, transaction: pay.body.id });
      assert.equal(verified.claims.payer, aliceId);
      assert.equal(verified.claims.payee, bobId);
      assert.equal(verified.claims.amount, '5.00');
      assert.equal(verified.claims.currency, 'EUR');
      assert.equal(verified.claims.reference, 'order-1001');
      assert.equal(verified.claims.audience, SHOP);
      assert.match(verified.claims.nonce, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(verified.claims.issued_at, '2026-11-21T10:00:00.000Z');
      assert.equal(verified.claims.expires_at, '2026-11-22T10:00:00.000Z');
      assert.equal(verified.redemption_key, `${nodeKey}/${pay.body.id}`);
      assert.equal(verified.redemption_key, redemptionKey(verified.claims));
      assert.equal(verified.source, 'receipt');
      assert.equal(verified.block_height, HEIGHT);
      assert.deepEqual(payToken.receipt, chain.receiptFor(pay));
      // The decoded form verifies too, and survives a JSON round trip.
      expectOk(await verifyAt(payToken));
      expectOk(await verifyAt(JSON.parse(JSON.stringify(payToken))));
    });

    test('two tokens for one payment differ but share the redemption key', async () => {
      const again = await tokenFor(pay, { audience: 'https://shop.example/checkout?order=1001' });
      assert.notEqual(again, payText);
      const verified = expectOk(await verifyAt(again));
      assert.equal(verified.claims.audience, SHOP, 'the audience is reduced to its origin');
      assert.notEqual(verified.claims.nonce, payClaims.nonce);
      assert.equal(verified.redemption_key, redemptionKey(payClaims));
    });

    test('a ledger.payment proves what it delivers, not what it may send', async () => {
      const text = await tokenFor(payment);
      const expect = { ...EXPECT, amount: '12.50', reference: 'invoice-77' };
      const verified = expectOk(await verifyAt(text, expect));
      assert.equal(verified.claims.amount, '12.50');
      assert.equal(verified.redemption_key, `${nodeKey}/${payment.body.id}`);
      assert.equal(code(await verifyAt(text, { ...expect, amount: '12.75' })), 'payment_amount_too_low');
    });

    test('legs from the payer to one payee add up', async () => {
      const text = await tokenFor(split, { payee: bobId });
      const verified = expectOk(await verifyAt(text, { ...EXPECT, reference: 'order-1002' }));
      assert.equal(verified.claims.amount, '5.00');
      const tooMuch = { ...EXPECT, amount: '5.01', reference: 'order-1002' };
      assert.equal(code(await verifyAt(text, tooMuch)), 'payment_amount_too_low');
      const toCarol = await tokenFor(split, { payee: carolId });
      const expectCarol = { ...EXPECT, payee: carolId, amount: '1', reference: 'order-1002' };
      assert.equal(expectOk(await verifyAt(toCarol, expectCarol)).claims.amount, '1.00');
    });

    test('paying more than the price passes, whatever the scale', async () => {
      for (const amount of ['4.99', '4.999999999999999999', '5', '5.000', '0.01']) {
        expectOk(await verifyAt(payText, { ...EXPECT, amount }));
      }
      for (const amount of ['5.01', '5.000000000000000001', '6', '100000000000000000000000000000']) {
        assert.equal(code(await verifyAt(payText, { ...EXPECT, amount })), 'payment_amount_too_low', amount);
      }
    });

    test('a reference is checked only when the verifier requires one', async () => {
      expectOk(await verifyAt(payText, EXPECT));
      expectOk(await verifyAt(payText, EXPECT_ANY_REFERENCE));
      const text = await tokenFor(plain);
      const claims = (await decoded(text)).token.body;
      assert.equal('reference' in claims, false, 'a payment without memo has no reference');
      expectOk(await verifyAt(text, { ...EXPECT_ANY_REFERENCE, amount: '7.00' }));
      const required = { ...EXPECT, amount: '7.00' };
      assert.equal(code(await verifyAt(text, required)), 'payment_reference_mismatch');
    });

    test('the audience may be one of several origins, written as URLs', async () => {
      expectOk(await verifyAt(payText, { ...EXPECT, audience: ['https://other.example', SHOP] }));
      expectOk(await verifyAt(payText, { ...EXPECT, audience: 'https://shop.example/' }));
      expectOk(await verifyAt(payText, { ...EXPECT, audience: 'https://SHOP.example/orders/1001' }));
      for (const audience of [
        'https://other.example',
        'http://shop.example',
        'https://shop.example:8443',
        'https://www.shop.example',
        'shop.example',
        [],
        ['https://other.example', 'https://third.example'],
      ]) {
        const result = await verifyAt(payText, { ...EXPECT, audience });
        assert.equal(code(result), 'token_audience_mismatch', JSON.stringify(audience));
      }
    });
  });

  describe('time', () => {
    const lifetime_s = 600;
    const expires = NOW + lifetime_s * 1000;
    const at = async (now_ms: number, clock_skew_s?: number) =>
      code(
        await verifyAt(
          await tokenFor(pay, { lifetime_s }),
          EXPECT,
          clock_skew_s === undefined ? { now_ms } : { now_ms, clock_skew_s },
        ),
      );

    test('a token expires at expires_at plus the allowed clock skew', async () => {
      assert.equal(await at(expires + 300_000 - 1), undefined);
      assert.equal(await at(expires + 300_000), 'token_expired');
      assert.equal(await at(expires - 1, 0), undefined);
      assert.equal(await at(expires, 0), 'token_expired');
      assert.equal(await at(expires + 59_999, 60), undefined);
      assert.equal(await at(expires + 60_000, 60), 'token_expired');
      assert.equal(await at(expires + 86_400_000), 'token_expired');
    });

    test('a token issued in the future is not yet valid beyond the clock skew', async () => {
      assert.equal(await at(NOW - 300_000), undefined);
      assert.equal(await at(NOW - 300_001), 'token_not_yet_valid');
      assert.equal(await at(NOW, 0), undefined);
      assert.equal(await at(NOW - 1, 0), 'token_not_yet_valid');
      assert.equal(await at(NOW - 86_400_000), 'token_not_yet_valid');
    });

    test('the longest lifetime is accepted, one second more is not', async () => {
      const longest = await tokenFor(pay, { lifetime_s: PAYER_TOKEN_LIFETIME_MAX_S });
      expectOk(await verifyAt(longest, EXPECT, { now_ms: NOW + (PAYER_TOKEN_LIFETIME_MAX_S - 1) * 1000 }));
      const over = {
        ...payClaims,
        expires_at: new Date(NOW + (PAYER_TOKEN_LIFETIME_MAX_S + 1) * 1000).toISOString(),
      };
      assert.equal(code(await verifyAt(await signed(over, alice, chain.receiptFor(pay)))), 'token_malformed');
    });
  });

  describe('online verification of by-reference tokens', () => {
    const referenceToken = (doc: SignedDocument) =>
      createPayerToken({ keyPair: alice, node: nodeKey, document: doc, audience: SHOP, now_ms: NOW });
    const online = (text: string, url: string, options: Partial<VerifyPayerTokenOptions> = {}) =>
      verifyAt(text, EXPECT, { trusted_nodes: [{ public_key: nodeKey, url }], timeout_ms: 2_000, ...options });

    test('a by-reference token carries no receipt and verifies against the node', async (t) => {
      const text = expectOk(await referenceToken(pay));
      assert.equal((await decoded(text)).receipt, undefined);
      assert.ok(text.length < payText.length / 2, `${text.length} vs ${payText.length}`);
      const fromReceipt = await tokenFor(pay, { form: 'reference' });
      assert.equal((await decoded(fromReceipt)).receipt, undefined, 'form "reference" drops a given receipt');
      if (!http) return t.skip('needs node:http to serve the ledger node');
      const answers = (id: string) => (id === pay.body.id ? transactionView(pay, chain.receiptFor(pay)) : notFound(id));
      await withLedgerNode(http, answers, async ({ url, hits }) => {
        const verified = expectOk(await online(text, url));
        assert.equal(verified.source, 'node');
        assert.equal(verified.block_height, HEIGHT);
        assert.equal(verified.redemption_key, `${nodeKey}/${pay.body.id}`);
        expectOk(await online(fromReceipt, `${url}/`));
        assert.equal(hits.get(pay.body.id), 2);
      });
    });

    test('it waits for a fresh payment to be sealed', async (t) => {
      if (!http) return t.skip('needs node:http to serve the ledger node');
      const text = expectOk(await referenceToken(plain));
      const answers = (_id: string, hit: number) => transactionView(plain, hit < 3 ? null : chain.receiptFor(plain));
      await withLedgerNode(http, answers, async ({ url, hits }) => {
        const verified = expectOk(await online(text, url, { expect: { ...EXPECT_ANY_REFERENCE, amount: '7' } }));
        assert.equal(verified.source, 'node');
        assert.equal(hits.get(plain.body.id), 3);
      });
    });

    test('a payment the node never sealed in time is payment_not_sealed', async (t) => {
      if (!http) return t.skip('needs node:http to serve the ledger node');
      const text = expectOk(await referenceToken(pay));
      await withLedgerNode(
        http,
        () => transactionView(pay, null),
        async ({ url, hits }) => {
          const started = Date.now();
          assert.equal(code(await online(text, url, { seal_wait_ms: 500 })), 'payment_not_sealed');
          const waited = Date.now() - started;
          assert.ok(waited >= 300 && waited < 2_000, `waited ${waited} ms`);
          assert.ok((hits.get(pay.body.id) ?? 0) >= 2, 'it polled');
        },
      );
    });

    test('node answers map to payment_not_found and node_unreachable', async (t) => {
      if (!http) return t.skip('needs node:http to serve the ledger node');
      const missing = expectOk(await referenceToken(unlogged));
      const failing = expectOk(await referenceToken(payment));
      const slow = expectOk(await referenceToken(pay));
      const answers = (id: string): Answer => {
        if (id === payment.body.id) {
          const error = new WebWalletError('internal_error');
          return { status: error.status, body: error.toJSON() };
        }
        return id === pay.body.id ? 'hang' : notFound(id);
      };
      await withLedgerNode(http, answers, async ({ url }) => {
        assert.equal(code(await online(missing, url)), 'payment_not_found');
        const failed = await online(failing, url, { expect: { ...EXPECT, amount: '12.50', reference: 'invoice-77' } });
        assert.equal(code(failed), 'node_unreachable');
        assert.equal(failed.ok ? undefined : failed.error.details.status, 500);
        const started = Date.now();
        assert.equal(code(await online(slow, url, { timeout_ms: 200 })), 'node_unreachable');
        assert.ok(Date.now() - started < 1_500, 'the request timed out');
      });
    });

    test('a node that refuses connections is node_unreachable', async (t) => {
      if (!http) return t.skip('needs node:http to serve the ledger node');
      let closedUrl = '';
      await withLedgerNode(
        http,
        () => 'hang',
        async ({ url }) => {
          closedUrl = url;
        },
      );
      const text = expectOk(await referenceToken(pay));
      assert.equal(code(await online(text, closedUrl)), 'node_unreachable');
    });

    test('without a receipt or a node URL the token cannot be checked', async () => {
      const text = expectOk(await referenceToken(pay));
      assert.equal(code(await verifyAt(text)), 'token_receipt_required');
    });
  });

  describe('forgeries', () => {
    test('claims altered after signing are token_signature_invalid', async () => {
      for (const change of [
        { amount: '50.00' },
        { reference: 'order-1000' },
        { nonce: 'A'.repeat(22) },
        { expires_at: '2026-11-23T10:00:00.000Z' },
      ]) {
        const forged = { ...payToken, token: { ...payToken.token, body: { ...payClaims, ...change } } };
        assert.equal(code(await verifyAt(forged)), 'token_signature_invalid', JSON.stringify(change));
        assert.equal(code(await verifyAt(await encodePayerToken(forged))), 'token_signature_invalid');
      }
    });

    test("another key's signature is token_signer_not_payer; a borrowed name is token_signature_invalid", async () => {
      const bySomeoneElse = await signDocument({ ...payToken.token, signatures: [] }, mallory);
      const replaced = { ...payToken, token: bySomeoneElse };
      assert.equal(code(await verifyAt(replaced)), 'token_signer_not_payer');
      const [entry] = bySomeoneElse.signatures;
      assert.ok(entry);
      const borrowed = { ...payToken, token: { ...payToken.token, signatures: [{ key: aliceId, sig: entry.sig }] } };
      assert.equal(code(await verifyAt(borrowed)), 'token_signature_invalid');
      const garbled = { ...payToken, token: { ...payToken.token, signatures: [{ key: aliceId, sig: 'sig_x' }] } };
      assert.equal(code(await verifyAt(garbled)), 'token_signature_invalid');
    });

    test("Mallory's token over Alice's receipt is payment_payer_mismatch", async () => {
      const claims = { ...payClaims, payer: malloryId };
      assert.equal(
        code(await verifyAt(await signed(claims, mallory, chain.receiptFor(pay)))),
        'payment_payer_mismatch',
      );
      // Alice's key cannot claim Bob's payment either.
      const bobsClaims = { ...payClaims, payment: { node: nodeKey, transaction: bobs.body.id } };
      const text = await signed(bobsClaims, alice, chain.receiptFor(bobs));
      assert.equal(code(await verifyAt(text)), 'payment_payer_mismatch');
    });

    test('claims that differ from the payment are token_payment_mismatch', async () => {
      const { reference: _reference, ...withoutReference } = payClaims;
      for (const claims of [
        { ...payClaims, amount: '50.00' },
        { ...payClaims, amount: '4.99' },
        { ...payClaims, payee: carolId },
        { ...payClaims, currency: 'USD' },
        { ...payClaims, reference: 'order-9999' },
        withoutReference,
      ]) {
        const text = await signed(claims, alice, chain.receiptFor(pay));
        assert.equal(
          code(await verifyAt(text, EXPECT_ANY_REFERENCE)),
          'token_payment_mismatch',
          JSON.stringify(claims),
        );
      }
      // Amounts compare as numbers: "5.000" is what the payment says.
      expectOk(await verifyAt(await signed({ ...payClaims, amount: '5.000' }, alice, chain.receiptFor(pay))));
    });

    test('a receipt for another transaction is token_payment_mismatch', async () => {
      const text = await signed(payClaims, alice, chain.receiptFor(plain));
      assert.equal(code(await verifyAt(text)), 'token_payment_mismatch');
    });

    test("a payment that does not meet the verifier's terms fails with the term's code", async () => {
      assert.equal(code(await verifyAt(payText, { ...EXPECT, amount: '5.01' })), 'payment_amount_too_low');
      assert.equal(code(await verifyAt(payText, { ...EXPECT, currency: 'USD' })), 'payment_currency_mismatch');
      assert.equal(code(await verifyAt(payText, { ...EXPECT, payee: carolId })), 'payment_payee_mismatch');
      assert.equal(code(await verifyAt(payText, { ...EXPECT, reference: 'order-1002' })), 'payment_reference_mismatch');
      const result = await verifyAt(payText, { ...EXPECT, amount: '6' });
      assert.deepEqual(result.ok ? undefined : result.error.details, { actual: '5.00', expected: '6' });
    });

    test('a tampered receipt is proof_invalid', async () => {
      const receipt = chain.receiptFor(pay);
      const verifyWith = async (changed: Partial<Receipt>) =>
        code(await verifyAt({ ...payToken, receipt: { ...receipt, ...changed } }));
      const body = { ...pay.body, legs: [leg(aliceId, bobId, '500.00')] };
      assert.equal(await verifyWith({ document: { ...pay, body } }), 'proof_invalid');
      const proof = [...receipt.proof];
      const first = proof[0] ?? '';
      proof[0] = `${first.slice(0, 63)}${first.endsWith('0') ? '1' : '0'}`;
      assert.equal(await verifyWith({ proof }), 'proof_invalid');
      assert.equal(await verifyWith({ proof: receipt.proof.slice(0, -1) }), 'proof_invalid');
      assert.equal(await verifyWith({ index: receipt.index + 1 }), 'proof_invalid');
      assert.equal(await verifyWith({ index: docs.length }), 'proof_invalid');
      assert.equal(await verifyWith({ index: -1 }), 'receipt_invalid');
    });

    test('blocks from untrusted keys are node_key_untrusted; an altered block is signature_invalid', async () => {
      // The claims name the trusted node, but the block is another node's.
      const rogueBlock = { ...payToken, receipt: rogueChain.receiptFor(pay) };
      assert.equal(code(await verifyAt(rogueBlock)), 'node_key_untrusted');
      // A payment on another node, when only one node is trusted.
      const onRogue = await tokenFor(pay, { receipt: rogueChain.receiptFor(pay) });
      assert.equal(code(await verifyAt(onRogue)), 'node_key_untrusted');
      expectOk(await verifyAt(onRogue, EXPECT, { trusted_nodes: [{ public_key: pub(rogue) }] }));
      assert.equal(
        code(await verifyAt(payText, EXPECT, { trusted_nodes: [{ public_key: pub(rogue) }] })),
        'node_key_untrusted',
      );
      // A block naming the trusted node but signed by another key lacks the node's signature.
      const impostor = await seal(docs, rogue, nodeKey);
      assert.equal(code(await verifyAt({ ...payToken, receipt: impostor.receiptFor(pay) })), 'signature_missing');
      const receipt = chain.receiptFor(pay);
      const altered = { ...receipt.block, body: { ...receipt.block.body, height: HEIGHT + 1 } };
      assert.equal(code(await verifyAt({ ...payToken, receipt: { ...receipt, block: altered } })), 'signature_invalid');
    });

    test('holds and non-payments are payment_unsupported', async () => {
      for (const doc of [hold, trust, opened]) {
        const claims = { ...payClaims, payment: { node: nodeKey, transaction: doc.body.id } };
        const text = await signed(claims, alice, chain.receiptFor(doc));
        assert.equal(code(await verifyAt(text)), 'payment_unsupported', doc.type);
      }
    });
  });

  describe('token text', () => {
    test('truncated text is token_malformed', async () => {
      const n = payText.length;
      const p = PAYER_TOKEN_PREFIX.length;
      for (const length of [
        0,
        1,
        p - 1,
        p,
        p + 1,
        p + 2,
        p + 3,
        p + 4,
        Math.floor(n / 4),
        Math.floor(n / 2),
        n - 10,
        n - 2,
        n - 1,
      ]) {
        assert.equal(code(await verifyAt(payText.slice(0, length))), 'token_malformed', `length ${length}`);
      }
    });

    test('garbled characters and wrong prefixes are token_malformed', async () => {
      const body = payText.slice(PAYER_TOKEN_PREFIX.length);
      const middle = Math.floor(payText.length / 2);
      for (const garbage of ['!', '+', '/', '=', ' ', '.', 'é', '\u0000', '\u{1F4B6}']) {
        const replaced = payText.slice(0, middle) + garbage + payText.slice(middle + 1);
        assert.equal(code(await verifyAt(replaced)), 'token_malformed', JSON.stringify(garbage));
        const inserted = payText.slice(0, middle) + garbage + payText.slice(middle);
        assert.equal(code(await verifyAt(inserted)), 'token_malformed', JSON.stringify(garbage));
      }
      assert.equal(code(await verifyAt(`${payText}=`)), 'token_malformed');
      for (const text of [body, `wwpt2.${body}`, `WWPT1.${body}`, `wwpt1${body}`, `wwpt1:${body}`, ` x${payText}`]) {
        assert.equal(code(await verifyAt(text)), 'token_malformed', text.slice(0, 8));
      }
    });

    test('anything but a string is token_malformed', async () => {
      for (const value of [undefined, null, 42, true, {}, [], new Uint8Array(3), utf8(payText)]) {
        assert.equal(code(await decodePayerToken(value)), 'token_malformed', String(value));
        assert.equal(code(await verifyAt(value as unknown as string)), 'token_malformed', String(value));
      }
    });

    test('whitespace around the token is ignored', async () => {
      expectOk(await verifyAt(`\n  ${payText}\t\r\n `));
    });

    test('text over the length limit is token_malformed before any decoding', async () => {
      const long = `${PAYER_TOKEN_PREFIX}${'A'.repeat(PAYER_TOKEN_TEXT_LENGTH_MAX)}`;
      const result = await decodePayerToken(long);
      assert.equal(code(result), 'token_malformed');
      assert.match(String(result.ok ? '' : result.error.details.reason), /longer than/);
    });

    test('a decompression bomb is token_malformed', async () => {
      const bomb = await textOf(`{"token":"${'A'.repeat(PAYER_TOKEN_JSON_BYTES_MAX * 16)}"}`);
      assert.ok(bomb.length < PAYER_TOKEN_TEXT_LENGTH_MAX, `the bomb is small: ${bomb.length} characters`);
      const result = await decodePayerToken(bomb);
      assert.equal(code(result), 'token_malformed');
      assert.match(String(result.ok ? '' : result.error.details.reason), /inflates beyond/);
      // A real token padded to exactly the limit still decodes; one byte more does not.
      const json = JSON.stringify(payToken);
      const padded = (bytes: number) => textOf(json + ' '.repeat(bytes - utf8(json).length));
      expectOk(await verifyAt(await padded(PAYER_TOKEN_JSON_BYTES_MAX)));
      assert.equal(code(await decodePayerToken(await padded(PAYER_TOKEN_JSON_BYTES_MAX + 1))), 'token_malformed');
    });

    test('valid DEFLATE of anything but a token envelope is token_malformed', async () => {
      for (const json of ['hello, world', '', '{"token":', 'null', '42', '"wwpt1."', '[]', '[{}]', '{}']) {
        assert.equal(code(await decodePayerToken(await textOf(json))), 'token_malformed', json);
      }
      const notUtf8 = PAYER_TOKEN_PREFIX + toBase64Url(await deflate(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
      assert.equal(code(await decodePayerToken(notUtf8)), 'token_malformed');
      assert.equal(code(await decodePayerToken(`${PAYER_TOKEN_PREFIX}AAAA`)), 'token_malformed');
    });

    test('envelopes with unknown fields, other types or not one signature are token_malformed', async () => {
      const receipt = chain.receiptFor(pay);
      const { token } = payToken;
      const bad: unknown[] = [
        { ...payToken, extra: 1 },
        { token: { ...token, type: 'webwallet.payer_tokens' } },
        { token: { ...token, type: 'ledger.transfer' } },
        { token: { ...token, version: 2 } },
        { token: { ...token, version: '1' } },
        { token: { ...token, signatures: [] } },
        { token: { ...token, signatures: 'sig' } },
        { token: 'wwpt1.' },
        { receipt },
        { token, receipt: 'receipt' },
        { token, receipt: null },
      ];
      for (const envelope of bad) {
        const result = await decodePayerToken(await encodePayerToken(envelope as PayerToken));
        assert.equal(code(result), 'token_malformed', JSON.stringify(envelope).slice(0, 120));
      }
      const twoSigners = await signed(payClaims, alice, receipt, [alice, mallory]);
      assert.equal(code(await verifyAt(twoSigners)), 'token_malformed');
    });

    test('claims of the wrong shape are token_malformed', async () => {
      const issued = payClaims.issued_at;
      const { payment: _payment, ...withoutPayment } = payClaims;
      const bad: object[] = [
        { ...payClaims, tip: '1.00' },
        withoutPayment,
        { ...payClaims, payment: { node: nodeKey, transaction: pay.body.id, block: 41 } },
        { ...payClaims, payment: { node: 'node', transaction: pay.body.id } },
        { ...payClaims, payment: { node: nodeKey, transaction: 'tx/1' } },
        { ...payClaims, payer: 'acc_alice' },
        { ...payClaims, payee: 'bob' },
        { ...payClaims, amount: '05.00' },
        { ...payClaims, amount: '-5.00' },
        { ...payClaims, amount: 5 },
        { ...payClaims, amount: '1.0000000000000000000' },
        { ...payClaims, currency: 'eur' },
        { ...payClaims, reference: 'r'.repeat(257) },
        { ...payClaims, reference: 1001 },
        { ...payClaims, audience: 'https://shop.example/' },
        { ...payClaims, audience: 'ftp://shop.example' },
        { ...payClaims, nonce: 'short' },
        { ...payClaims, issued_at: '2026-11-21 10:00:00Z' },
        { ...payClaims, expires_at: issued },
        { ...payClaims, expires_at: '2026-11-21T09:59:59.999Z' },
        {
          ...payClaims,
          expires_at: new Date(Date.parse(issued) + (PAYER_TOKEN_LIFETIME_MAX_S + 1) * 1000).toISOString(),
        },
      ];
      for (const claims of bad) {
        const result = await verifyAt(await signed(claims, alice, chain.receiptFor(pay)));
        assert.equal(code(result), 'token_malformed', JSON.stringify(claims).slice(0, 200));
      }
      expectOk(await verifyAt(await signed({ ...payClaims, reference: 'order-1001' }, alice, chain.receiptFor(pay))));
    });
  });

  describe('creating tokens', () => {
    const create = (options: Partial<CreatePayerTokenOptions>) =>
      createPayerToken({ keyPair: alice, receipt: chain.receiptFor(pay), audience: SHOP, now_ms: NOW, ...options });

    test('a key that did not pay gets payment_payer_mismatch', async () => {
      assert.equal(code(await create({ keyPair: mallory })), 'payment_payer_mismatch');
      assert.equal(code(await create({ keyPair: bob })), 'payment_payer_mismatch', 'the payee did not pay');
      assert.equal(code(await create({ payee: carolId })), 'payment_payer_mismatch', 'Alice paid Carol nothing here');
      for (const doc of [trust, hold, bobs]) {
        assert.equal(code(await create({ receipt: chain.receiptFor(doc) })), 'payment_payer_mismatch', doc.type);
      }
    });

    test('a payment to several payees needs `payee`', async () => {
      const result = await create({ receipt: chain.receiptFor(split) });
      assert.equal(code(result), 'invalid_request');
      assert.deepEqual(result.ok ? undefined : result.error.details.payees, [bobId, carolId]);
      expectOk(await create({ receipt: chain.receiptFor(split), payee: carolId }));
    });

    test('the audience must be an http(s) origin', async () => {
      for (const audience of [
        'ftp://shop.example',
        'shop.example',
        '',
        'javascript:alert(1)',
        `https://${'a'.repeat(600)}.example`,
      ]) {
        assert.equal(code(await create({ audience })), 'invalid_request', audience.slice(0, 40));
      }
      expectOk(await create({ audience: 'http://127.0.0.1:8080/shop' }));
    });

    test('the lifetime is 1 s to PAYER_TOKEN_LIFETIME_MAX_S', async () => {
      for (const lifetime_s of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, PAYER_TOKEN_LIFETIME_MAX_S + 1]) {
        assert.equal(code(await create({ lifetime_s })), 'invalid_request', String(lifetime_s));
      }
      const shortest = expectOk(await create({ lifetime_s: 1 }));
      assert.equal((await decoded(shortest)).token.body.expires_at, '2026-11-21T10:00:01.000Z');
      expectOk(await create({ lifetime_s: PAYER_TOKEN_LIFETIME_MAX_S }));
    });

    test('the full form needs a receipt; the by-reference form needs node and document', async () => {
      const noReceipt = { keyPair: alice, audience: SHOP, now_ms: NOW };
      assert.equal(
        code(await createPayerToken({ ...noReceipt, node: nodeKey, document: pay, form: 'full' })),
        'invalid_request',
      );
      assert.equal(code(await createPayerToken(noReceipt)), 'invalid_request');
      assert.equal(code(await createPayerToken({ ...noReceipt, document: pay })), 'invalid_request');
      assert.equal(code(await createPayerToken({ ...noReceipt, node: 'node-1', document: pay })), 'invalid_request');
      expectOk(await createPayerToken({ ...noReceipt, node: nodeKey, document: pay }));
    });
  });

  describe('properties', () => {
    const digits = (min: number, max: number) =>
      fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
    const amountArb = fc
      .tuple(
        fc.oneof(
          fc.constant('0'),
          fc.tuple(fc.constantFrom(...'123456789'), digits(0, 29)).map(([first, rest]) => first + rest),
        ),
        digits(0, 18),
      )
      .map(([whole, fraction]) => (fraction === '' ? whole : `${whole}.${fraction}`));
    const currencyArb = fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,11}$/);
    const referenceArb = fc.option(fc.string({ unit: 'binary', maxLength: 60 }), { nil: undefined });

    /** One minor unit more than `amount`, at its own scale. */
    const bump = (amount: string) => {
      const [whole = '', fraction = ''] = amount.split('.');
      const digitsText = (BigInt(whole + fraction) + 1n).toString().padStart(fraction.length + 1, '0');
      return fraction === ''
        ? digitsText
        : `${digitsText.slice(0, -fraction.length)}.${digitsText.slice(-fraction.length)}`;
    };

    test('create then verify round-trips any amount, currency and reference', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(amountArb, currencyArb, referenceArb, async (amount, currency, reference) => {
          const memo = reference === undefined ? {} : { memo: reference };
          const doc = await transfer(`property ${run++}`, [leg(aliceId, bobId, amount, currency)], memo);
          const sealed = await seal([...docs, doc], node);
          const text = await tokenFor(doc, { receipt: sealed.receiptFor(doc) });
          const expect = {
            payee: bobId,
            amount,
            currency,
            audience: SHOP,
            ...(reference === undefined ? {} : { reference }),
          };
          const verified = expectOk(await verifyAt(text, expect));
          assert.equal(verified.claims.amount, amount);
          assert.equal(verified.claims.currency, currency);
          assert.equal(verified.claims.reference, reference);
          assert.equal(verified.redemption_key, `${nodeKey}/${doc.body.id}`);
          assert.equal(code(await verifyAt(text, { ...expect, amount: bump(amount) })), 'payment_amount_too_low');
        }),
        { numRuns: 50 },
      );
    });

    test('any one-character change to the token text gives ok or a coded error, never a throw', async () => {
      const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', '.', '!', ' ', '='];
      const edit = fc.record({
        at: fc.nat({ max: payText.length - 1 }),
        op: fc.constantFrom('replace', 'insert', 'delete'),
        char: fc.constantFrom(...alphabet),
      });
      const known = new Set<string>(ERROR_CODES);
      let failed = 0;
      await fc.assert(
        fc.asyncProperty(edit, async ({ at, op, char }) => {
          const tail = payText.slice(op === 'insert' ? at : at + 1);
          const text = payText.slice(0, at) + (op === 'delete' ? '' : char) + tail;
          const result = await verifyAt(text);
          assert.equal(typeof result.ok, 'boolean');
          if (!result.ok) {
            failed++;
            assert.ok(result.error instanceof WebWalletError);
            assert.ok(known.has(result.error.code), result.error.code);
          }
        }),
        { numRuns: 200 },
      );
      assert.ok(failed > 0, 'most changes break the token');
    });

    test("any change to the claims' JSON before encoding fails verification", async () => {
      const json = JSON.stringify(payClaims);
      const known = new Set<string>(ERROR_CODES);
      const edit = fc.record({ at: fc.nat({ max: json.length - 1 }), char: fc.string({ minLength: 1, maxLength: 1 }) });
      await fc.assert(
        fc.asyncProperty(edit, async ({ at, char }) => {
          fc.pre(json[at] !== char);
          let body: unknown;
          try {
            body = JSON.parse(json.slice(0, at) + char + json.slice(at + 1));
          } catch {
            fc.pre(false);
          }
          const text = await encodePayerToken({ ...payToken, token: { ...payToken.token, body } } as PayerToken);
          const result = await verifyAt(text, EXPECT_ANY_REFERENCE);
          assert.equal(result.ok, false, `${json.slice(0, at)}[${char}]${json.slice(at + 1)}`);
          assert.ok(!result.ok && known.has(result.error.code));
        }),
        { numRuns: 50 },
      );
    });
  });

  test('a full token for a payment in a 1,000,000-transaction log fits a QR code', async (t) => {
    const SIZE = 1_000_000;
    const QR_40L_BYTES = 2_953;
    // The largest memo the ledger accepts (256 characters), incompressible: the worst case.
    const worstMemo = toBase64Url(randomBytes(192));
    const realistic = [
      await transfer('big log transfer', [leg(aliceId, bobId, '149.99')], { memo: 'order-2026-11-000123' }),
      await transfer('big log, long memo', [leg(aliceId, bobId, '149.99')], { memo: worstMemo }),
      await createDocument(
        'ledger.payment',
        1,
        {
          id: txid('big log payment'),
          created_at: CREATED_AT,
          from: aliceId,
          to: bobId,
          deliver: { currency: 'EUR', amount: '149.99' },
          send_max: { currency: 'EUR', amount: '151.49' },
          memo: 'order-2026-11-000124',
        },
        [alice],
      ),
    ];
    for (const doc of realistic) {
      const index = 654_321;
      const leaf = transactionLeaf(doc.body);
      // Real hashes on the path from the leaf to the root; made-up ones for every other subtree.
      const mth: RangeHasher = (start, end) => {
        if (index < start || index >= end) return sha256(utf8(`subtree ${start}-${end}`));
        if (end - start === 1) return leaf;
        const k = splitPoint(end - start);
        return nodeHash(mth(start, start + k), mth(start + k, end));
      };
      const header: BlockHeader = {
        height: 48_213,
        previous: toHex(sha256(utf8('block 48212'))),
        timestamp: '2026-11-21T09:58:31.000Z',
        tree_size: SIZE,
        root: toHex(mth(0, SIZE)),
        node: nodeKey,
      };
      const block = await createDocument(BLOCK_DOCUMENT_TYPE, 1, header, [node]);
      const proof = inclusionProof(mth, index, SIZE).map(toHex);
      assert.equal(proof.length, 20);
      const receipt: Receipt = { version: 1, document: doc, index, block, proof };
      const text = await tokenFor(doc, { receipt });
      const memo = (doc.body as { memo: string }).memo;
      const expect = { payee: bobId, amount: '149.99', currency: 'EUR', audience: SHOP, reference: memo };
      const verified = expectOk(await verifyAt(text, expect));
      assert.equal(verified.block_height, 48_213);
      diagnostic(t, `${doc.type} token, ${memo.length}-character memo, 20-hash proof: ${text.length} characters`);
      assert.ok(text.length <= QR_40L_BYTES, `${text.length} characters exceed a version 40-L QR code`);
    }
  });
});
