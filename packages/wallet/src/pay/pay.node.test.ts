/**
 * Paying against real nodes: a payment URI is parsed, reviewed against the node, signed, submitted
 * over HTTP and proven by a receipt that verifies offline; then a payer token from it verifies.
 * Also a live invoice of the node's payment processor, failures (no funds, wrong node key, node
 * down, a lost answer) and the time from pay() to a verified receipt.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import {
  encodePrefixed,
  generateKeyPair,
  type KeyPair,
  type SignedDocument,
  verifyPayerToken,
  verifyReceipt,
} from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { type RunningNode, readAdminToken, startNode } from '@webwallet/server';
import { type Fetch, NodeClient } from '../node/node-client.js';
import { buildPaymentDocument, pay, paymentToken, reviewPayment } from './pay.js';
import { formatPaymentUri, type PaymentRequest, parsePaymentUri } from './payment-uri.js';

interface Party {
  readonly id: string;
  readonly keys: KeyPair;
}

async function party(): Promise<Party> {
  const keys = await generateKeyPair();
  return { keys, id: encodePrefixed('pub', keys.publicKey) };
}

const CURRENCY = 'EUR';
const SHOP_ORIGIN = 'https://shop.example';
const LATENCY_PAYMENTS = 20;

interface TestNode {
  readonly node: RunningNode;
  readonly client: NodeClient;
  readonly dir: string;
}

async function startTestNode(block_interval_ms?: number): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'ww-wallet-pay-'));
  const node = await startNode({
    port: 0,
    data_dir: dir,
    log_level: 'silent',
    ...(block_interval_ms === undefined ? {} : { block_interval_ms }),
  });
  return { node, dir, client: new NodeClient({ url: node.url }) };
}

async function stopTestNode(n: TestNode | undefined): Promise<void> {
  if (!n) return;
  await n.node.close();
  rmSync(n.dir, { recursive: true, force: true });
}

async function submitAll(client: NodeClient, documents: SignedDocument[]): Promise<void> {
  const submitted = await client.submit(documents);
  assert.ok(submitted.ok, JSON.stringify(submitted));
  for (const result of submitted.value) assert.equal(result.status, 'accepted', JSON.stringify(result));
}

/** A currency, its issuer, holders that trust it and payers funded with `funds` each. */
async function setUpLedger(client: NodeClient, issuer: Party, holders: Party[], funded: Party[], funds: string) {
  const documents: SignedDocument[] = [];
  for (const p of [issuer, ...holders]) {
    documents.push(await transaction('ledger.account.create', { account: p.id }, [p.keys]));
  }
  documents.push(
    await transaction('ledger.currency.issue', { issuer: issuer.id, currency: CURRENCY, scale: 2 }, [issuer.keys]),
  );
  for (const p of holders) {
    documents.push(
      await transaction('ledger.trust.set', { holder: p.id, currency: CURRENCY, limit: '1000000.00' }, [p.keys]),
    );
  }
  for (const p of funded) {
    const legs = [{ from: issuer.id, to: p.id, currency: CURRENCY, amount: funds }];
    documents.push(await transaction('ledger.transfer', { legs }, [issuer.keys]));
  }
  await submitAll(client, documents);
}

async function available(client: NodeClient, account: string): Promise<string> {
  const view = await client.account(account);
  assert.ok(view.ok && view.value, JSON.stringify(view));
  return view.value.balances.find((b) => b.currency === CURRENCY)?.available ?? '0';
}

function requestTo(n: TestNode, to: string, amount: string, memo?: string): PaymentRequest {
  const text = formatPaymentUri({ node: n.node.url, to, amount, currency: CURRENCY, ...(memo ? { memo } : {}) });
  const parsed = parsePaymentUri(text);
  assert.ok(parsed.ok);
  return parsed.value;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
}

function describeLatency(label: string, durations: readonly number[]): string {
  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  return `${label}: p50 ${f(percentile(durations, 50))}, p90 ${f(percentile(durations, 90))}, max ${f(Math.max(...durations))} over ${durations.length} payments`;
}

describe('pay against a real node', () => {
  let issuer: Party;
  let payer: Party;
  let poor: Party;
  let payee: Party;
  let fast: TestNode;
  let slow: TestNode;

  before(async () => {
    [issuer, payer, poor, payee] = await Promise.all([party(), party(), party(), party()]);
    [fast, slow] = await Promise.all([startTestNode(50), startTestNode()]);
    // The same parties on both nodes: the slow one also plays "another node" with the same accounts.
    for (const n of [fast, slow]) await setUpLedger(n.client, issuer, [payer, poor, payee], [payer], '1000.00');
  });

  after(async () => {
    await Promise.all([stopTestNode(fast), stopTestNode(slow)]);
  });

  test('URI -> review -> pay -> the receipt verifies offline -> a payer token verifies', async () => {
    const uri = formatPaymentUri({
      node: fast.node.url,
      to: payee.id,
      amount: '12.50',
      currency: CURRENCY,
      memo: 'order-1',
    });
    const request = parsePaymentUri(uri);
    assert.ok(request.ok);
    const review = await reviewPayment(request.value, { from: payer.id });
    assert.ok(review.ok, JSON.stringify(review));
    assert.deepEqual(review.value, {
      payee: payee.id,
      amount: '12.50',
      currency: CURRENCY,
      memo: 'order-1',
      invoice: undefined,
      node: { url: fast.node.url, public_key: fast.node.nodeKey.publicKey, name: fast.node.config.name },
      from: payer.id,
      balance_available: '1000.00',
      sufficient: true,
    });

    const paid = await pay(request.value, payer.keys, { trusted_node_keys: [review.value.node.public_key] });
    assert.ok(paid.ok, JSON.stringify(paid));
    assert.equal(paid.value.node_key, fast.node.nodeKey.publicKey);
    assert.ok(paid.value.duration_ms > 0);
    assert.equal((paid.value.receipt.document.body as { id: string }).id, paid.value.transaction_id);
    assert.ok((await verifyReceipt(paid.value.receipt, [fast.node.nodeKey.publicKey])).ok);
    assert.equal(await available(fast.client, payer.id), '987.50');
    assert.equal(await available(fast.client, payee.id), '12.50');

    const token = await paymentToken(paid.value.receipt, payer.keys, SHOP_ORIGIN);
    assert.ok(token.ok, JSON.stringify(token));
    const verified = await verifyPayerToken(token.value, {
      trusted_nodes: [{ public_key: fast.node.nodeKey.publicKey }],
      expect: { payee: payee.id, amount: '12.50', currency: CURRENCY, reference: 'order-1', audience: SHOP_ORIGIN },
    });
    assert.ok(verified.ok, JSON.stringify(verified));
    assert.equal(verified.value.claims.payer, payer.id);
    assert.equal(verified.value.source, 'receipt');
  });

  test('the signed document is the ledger.transfer the request describes', async () => {
    const request = requestTo(fast, payee.id, '1.00', 'why');
    const document = await buildPaymentDocument(request, payer.keys, { now_ms: Date.UTC(2026, 0, 2), id: 'fixed-id' });
    assert.equal(document.type, 'ledger.transfer');
    assert.equal(document.version, 1);
    assert.deepEqual(document.body, {
      id: 'fixed-id',
      created_at: '2026-01-02T00:00:00.000Z',
      legs: [{ from: payer.id, to: payee.id, currency: CURRENCY, amount: '1.00' }],
      memo: 'why',
    });
    assert.deepEqual(
      document.signatures.map((s) => s.key),
      [payer.id],
    );
    const fresh = await buildPaymentDocument(request, payer.keys);
    assert.match(fresh.body.id, /^[A-Za-z0-9_-]{22}$/, '128 random bits, base64url');
    const { memo: _memo, ...withoutMemo } = request;
    const invoiceOnly = await buildPaymentDocument({ ...withoutMemo, invoice: 'inv_1' }, payer.keys);
    assert.equal(invoiceOnly.body.memo, 'inv_1', 'without a memo the invoice id is the memo');
  });

  test('insufficient funds: the review says so, pay fails with the ledger code, nothing is stored', async () => {
    const request = requestTo(fast, payee.id, '5.00');
    const review = await reviewPayment(request, { from: poor.id, node: fast.client });
    assert.ok(review.ok);
    assert.equal(review.value.balance_available, '0.00');
    assert.equal(review.value.sufficient, false);
    const paid = await pay(request, poor.keys, { node: fast.client });
    assert.ok(!paid.ok);
    assert.equal(paid.error.code, 'insufficient_funds');
    assert.equal(paid.error.details.needed, '5.00', 'the ledger details are kept');
    assert.deepEqual(await fast.client.transaction(String(paid.error.details.transaction_id)), {
      ok: true,
      value: undefined,
    });
    assert.equal(await available(fast.client, poor.id), '0.00');
    const stranger = await party();
    const unknown = await reviewPayment(request, { from: stranger.id });
    assert.equal(unknown.ok ? 'ok' : unknown.error.code, 'account_not_found');
  });

  test('a node presenting another key than the one trusted is refused before anything is signed', async () => {
    const before = await available(fast.client, payer.id);
    const request = requestTo(fast, payee.id, '1.00');
    const pinned = { trusted_node_keys: [slow.node.nodeKey.publicKey] };
    const review = await reviewPayment(request, { from: payer.id, ...pinned });
    assert.equal(review.ok ? 'ok' : review.error.code, 'node_key_untrusted');
    const paid = await pay(request, payer.keys, pinned);
    assert.equal(paid.ok ? 'paid' : paid.error.code, 'node_key_untrusted');
    assert.equal(await available(fast.client, payer.id), before);
  });

  test('a receipt signed by another node than the one whose key was fetched is refused', async () => {
    // A host that shows the fast node's identity but passes everything else to the slow node:
    // the payment lands there and comes back with a receipt signed by the slow node's key.
    const split: Fetch = (input, init) =>
      fetch(input.includes('/.well-known/') ? input : input.replace(fast.node.url, slow.node.url), init);
    const request = requestTo(fast, payee.id, '2.00');
    const paid = await pay(request, payer.keys, { node: new NodeClient({ url: fast.node.url, fetch: split }) });
    assert.ok(!paid.ok);
    assert.equal(paid.error.code, 'node_key_untrusted');
    assert.equal(paid.error.details.node, slow.node.nodeKey.publicKey);
    assert.equal(typeof paid.error.details.transaction_id, 'string');
  });

  test('a receipt that does not verify, or proves another payment, is an error and not a success', async () => {
    const earlier = await pay(requestTo(fast, payee.id, '0.50'), payer.keys, { node: fast.client });
    assert.ok(earlier.ok);
    /** A host that alters sealed receipts on their way to the wallet. */
    const altering =
      (alter: (receipt: Record<string, unknown>) => Record<string, unknown>): Fetch =>
      async (input, init) => {
        const response = await fetch(input, init);
        if (!input.includes('/v1/transactions/') || init?.method !== 'GET') return response;
        const view = (await response.json()) as { receipt: Record<string, unknown> | null };
        const receipt = view.receipt === null ? null : alter(view.receipt);
        return Response.json({ ...view, receipt }, { status: response.status });
      };
    const cases: [string, (r: Record<string, unknown>) => Record<string, unknown>][] = [
      ['proof_invalid', (r) => ({ ...r, index: (r.index as number) + 1 })],
      ['receipt_invalid', () => earlier.value.receipt as unknown as Record<string, unknown>],
    ];
    for (const [code, alter] of cases) {
      const node = new NodeClient({ url: fast.node.url, fetch: altering(alter) });
      const paid = await pay(requestTo(fast, payee.id, '0.50'), payer.keys, { node });
      assert.equal(paid.ok ? 'paid' : paid.error.code, code);
    }
  });

  test('the node is down: node_unreachable', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise((resolve) => server.close(resolve));
    const request = parsePaymentUri(formatPaymentUri({ node: url, to: payee.id, amount: '1.00', currency: CURRENCY }));
    assert.ok(request.ok);
    const review = await reviewPayment(request.value, { from: payer.id });
    assert.equal(review.ok ? 'ok' : review.error.code, 'node_unreachable');
    const paid = await pay(request.value, payer.keys);
    assert.equal(paid.ok ? 'paid' : paid.error.code, 'node_unreachable');
  });

  test('an answer lost after the node accepted: the same document is resubmitted, paid once', async () => {
    const before = await available(fast.client, payer.id);
    let posts = 0;
    const lossy: Fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'POST' && ++posts === 1) {
        await response.arrayBuffer(); // the node has answered: the payment is in its ledger
        throw new TypeError('fetch failed: connection reset');
      }
      return response;
    };
    const request = requestTo(fast, payee.id, '3.00', 'retry');
    const paid = await pay(request, payer.keys, { node: new NodeClient({ url: fast.node.url, fetch: lossy }) });
    assert.ok(paid.ok, JSON.stringify(paid));
    assert.equal(posts, 2, 'submitted twice');
    const spent = Number(before) - Number(await available(fast.client, payer.id));
    assert.equal(spent.toFixed(2), '3.00', 'debited once');
    const history = await fast.client.accountTransactions(payer.id, { limit: 5 });
    assert.ok(history.ok && history.value);
    const mine = history.value.items.filter((t) => t.id === paid.value.transaction_id);
    assert.equal(mine.length, 1);
  });

  test("pays a live invoice of the node's payment processor, which turns Settled", async (t) => {
    const admin = readAdminToken(join(fast.dir, 'admin-token'));
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${fast.node.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const signUp = await call('POST', '/v1/merchants', admin, { name: 'Corner Café' });
    assert.equal(signUp.status, 201, JSON.stringify(signUp.body));
    const liveKey = (signUp.body.keys as { live: string }).live;
    const created = await call('POST', '/v1/invoices', liveKey, { amount: '7.25', currency: CURRENCY });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const invoice = created.body as { id: string; payee: string; payment_uri: string; mode: string };
    assert.equal(invoice.mode, 'live');
    assert.match(invoice.payee, /^acc_/);

    const request = parsePaymentUri(invoice.payment_uri);
    assert.ok(request.ok, JSON.stringify(request));
    assert.equal(request.value.invoice, invoice.id);
    assert.equal(request.value.to, invoice.payee);
    const review = await reviewPayment(request.value, { from: payer.id });
    assert.ok(review.ok && review.value.sufficient);
    const paid = await pay(request.value, payer.keys);
    assert.ok(paid.ok, JSON.stringify(paid));
    assert.equal((paid.value.receipt.document.body as { memo?: string }).memo, invoice.id);

    const settled = await waitFor(t, async () => {
      const view = await call('GET', `/v1/invoices/${invoice.id}`, liveKey);
      return view.body.status === 'Settled' ? view.body : undefined;
    });
    assert.equal(settled.amount_paid, '7.25');
    const payments = settled.payments as { transaction_id: string; from: string }[];
    assert.deepEqual(
      payments.map((p) => [p.transaction_id, p.from]),
      [[paid.value.transaction_id, payer.id]],
    );
  });

  test(`time from pay() to a verified receipt, p50 over ${LATENCY_PAYMENTS} payments`, async (t) => {
    const durations: number[] = [];
    for (let i = 0; i < LATENCY_PAYMENTS; i++) {
      const started = performance.now();
      const paid = await pay(requestTo(fast, payee.id, '0.01'), payer.keys, { node: fast.client });
      assert.ok(paid.ok, JSON.stringify(paid));
      durations.push(performance.now() - started);
    }
    t.diagnostic(describeLatency('block_interval_ms 50, one payment at a time', durations));
    // The target: p50 under 300 ms against a local node.
    assert.ok(percentile(durations, 50) < 300, describeLatency('too slow', durations));

    // At the node's default block interval the block dominates; four wallets paying at once keep
    // this short. (The p50 against the 300 ms target is measured by `npm run bench:wallet`.)
    const streams = 4;
    const slowDurations: number[] = [];
    await Promise.all(
      Array.from({ length: streams }, async () => {
        for (let i = 0; i < LATENCY_PAYMENTS / streams; i++) {
          const started = performance.now();
          const paid = await pay(requestTo(slow, payee.id, '0.01'), payer.keys, { node: slow.client });
          assert.ok(paid.ok, JSON.stringify(paid));
          slowDurations.push(performance.now() - started);
        }
      }),
    );
    const interval = slow.node.config.block_interval_ms;
    t.diagnostic(describeLatency(`block_interval_ms ${interval} (default), ${streams} payers at once`, slowDurations));
    // Payers at once share blocks, so some wait less than a whole interval, but none skips it.
    assert.ok(percentile(slowDurations, 50) >= interval / 2, 'a payment waits for its block');
  });
});

async function waitFor<T>(t: TestContext, probe: () => Promise<T | undefined>, timeout_ms = 10_000): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${t.name}: condition not met within ${timeout_ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
