/**
 * Payer-token gates end to end: a real node and its ledger, real payments and receipts, and a
 * seller's routes gated by the Fastify plugin and by the fetch-style handler, over real HTTP,
 * with the redemption registry in memory, in SQLite and in PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { createPayerToken, encodePrefixed, generateKeyPair, type KeyPair, type Receipt } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { payerTokenPlugin } from '@webwallet/merchant/fastify';
import {
  MemoryRedemptionRegistry,
  type PayerTokenGateOptions,
  PostgresRedemptionRegistry,
  type RedemptionRegistry,
  SqliteRedemptionRegistry,
  withPayerToken,
} from '@webwallet/merchant/tokens';
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { type RunningNode, startNode } from './node.js';

interface Party {
  readonly id: string;
  readonly keys: KeyPair;
}

async function party(): Promise<Party> {
  const keys = await generateKeyPair();
  return { keys, id: encodePrefixed('pub', keys.publicKey) };
}

const SELLER_ORIGIN = 'https://downloads.example';
const PRICE = '5.00';
const CONCURRENT_PRESENTATIONS = 100;
const postgresUrl = process.env.WEBWALLET_TEST_DATABASE_URL;

describe('payer-token gates over HTTP against a real node', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ww-gate-'));
  let node: RunningNode;
  const issuer = await party();
  const seller = await party();
  const buyers = await Promise.all(Array.from({ length: 3 }, party));
  const closers: (() => Promise<void>)[] = [];

  const submit = async (doc: unknown, nodeAuthorized = false) => {
    const [result] = await node.ledger.submit([doc], { nodeAuthorized });
    assert.equal(result?.status, 'accepted', JSON.stringify(result));
  };

  /** Pays the seller and waits until the payment is sealed; returns its receipt. */
  async function pay(buyer: Party, amount: string, memo?: string): Promise<Receipt> {
    const doc = await transaction(
      'ledger.transfer',
      { legs: [{ from: buyer.id, to: seller.id, currency: 'DL', amount }], ...(memo ? { memo } : {}) },
      [buyer.keys],
    );
    await submit(doc);
    for (;;) {
      const view = await node.ledger.transaction(doc.body.id);
      if (view?.receipt) return view.receipt;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function tokenFor(buyer: Party, receipt: Receipt, extra: { form?: 'full' | 'reference' } = {}) {
    const created = await createPayerToken({ keyPair: buyer.keys, receipt, audience: SELLER_ORIGIN, ...extra });
    assert.ok(created.ok);
    return created.value;
  }

  function gateOptions(registry: RedemptionRegistry): PayerTokenGateOptions {
    return {
      payee: seller.id,
      amount: PRICE,
      currency: 'DL',
      audience: SELLER_ORIGIN,
      trusted_nodes: [{ public_key: node.nodeKey.publicKey, url: node.url }],
      registry,
      description: 'The WebWallet handbook (PDF)',
    };
  }

  /** A seller on Fastify: /file is gated, /fail is gated and always fails after the claim. */
  async function fastifySeller(registry: RedemptionRegistry): Promise<string> {
    const app: FastifyInstance = Fastify();
    await app.register(async (paid) => {
      await paid.register(payerTokenPlugin, gateOptions(registry));
      paid.get('/file', async (request) => ({ file: 'handbook.pdf', paid_by: request.payerToken?.claims.payer }));
      paid.get('/fail', async (_request, reply) => reply.code(500).send({ error: 'disk on fire' }));
    });
    app.get('/free', async () => ({ free: true }));
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => app.close());
    return url;
  }

  /** The same seller as a fetch-style handler, served through a minimal node:http adapter. */
  async function fetchStyleSeller(registry: RedemptionRegistry): Promise<string> {
    const handler = withPayerToken(gateOptions(registry), (_request, paid) =>
      Response.json({ file: 'handbook.pdf', paid_by: paid.claims.payer }),
    );
    const server = createServer((req, res) => void adapt(handler, req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => closeServer(server));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  before(async () => {
    node = await startNode({ port: 0, host: '127.0.0.1', data_dir: dir, log_level: 'silent', block_interval_ms: 50 });
    for (const p of [issuer, seller, ...buyers]) {
      await submit(await transaction('ledger.account.create', { account: p.id }, [p.keys]));
    }
    await submit(
      await transaction('ledger.currency.issue', { issuer: issuer.id, currency: 'DL', scale: 2 }, [issuer.keys]),
    );
    for (const p of [seller, ...buyers]) {
      await submit(
        await transaction('ledger.trust.set', { holder: p.id, currency: 'DL', limit: '10000.00' }, [p.keys]),
      );
    }
    for (const b of buyers) {
      const legs = [{ from: issuer.id, to: b.id, currency: 'DL', amount: '1000.00' }];
      await submit(await transaction('ledger.transfer', { legs }, [issuer.keys]));
    }
  });

  after(async () => {
    for (const close of closers.reverse()) await close();
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string, token?: string) =>
    fetch(url, token === undefined ? {} : { headers: { authorization: `PayerToken ${token}` } });

  test('no token: 402 with payment instructions a wallet can act on', async () => {
    const base = await fastifySeller(new MemoryRedemptionRegistry());
    const response = await get(`${base}/file`);
    assert.equal(response.status, 402);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const { error } = (await response.json()) as {
      error: { code: string; details: { payment: Record<string, unknown> } };
    };
    assert.equal(error.code, 'payment_required');
    const payment = error.details.payment;
    assert.equal(payment.payee, seller.id);
    assert.equal(payment.amount, PRICE);
    assert.equal(payment.currency, 'DL');
    assert.equal(payment.audience, SELLER_ORIGIN);
    assert.deepEqual(payment.nodes, [{ public_key: node.nodeKey.publicKey, url: node.url }]);
    const uri = new URL(payment.payment_uri as string);
    assert.equal(uri.protocol, 'web+webwallet:');
    assert.equal(uri.searchParams.get('to'), seller.id);
    assert.equal(uri.searchParams.get('amount'), PRICE);
    assert.equal((await get(`${base}/free`)).status, 200, 'routes outside the gated context stay free');
  });

  test('a valid token runs the route once; any later presentation of that payment is 409', async () => {
    const base = await fastifySeller(new MemoryRedemptionRegistry());
    const receipt = await pay(buyers[0]!, PRICE);
    const token = await tokenFor(buyers[0]!, receipt);
    const first = await get(`${base}/file`, token);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { file: 'handbook.pdf', paid_by: buyers[0]!.id });
    const again = await get(`${base}/file`, token);
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'token_replayed');
    const second = await tokenFor(buyers[0]!, receipt); // a fresh nonce, the same payment
    assert.equal((await get(`${base}/file`, second)).status, 409);
    const viaQuery = await get(`${base}/file?payer_token=${encodeURIComponent(second)}`);
    assert.equal(viaQuery.status, 409, 'the query-string form is the same presentation');
  });

  test('invalid tokens are 403 with the verifier code, and consume nothing', async () => {
    const registry = new MemoryRedemptionRegistry();
    const base = await fastifySeller(registry);
    const cheap = await tokenFor(buyers[1]!, await pay(buyers[1]!, '1.00'));
    const errorCode = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;
    let response = await get(`${base}/file`, cheap);
    assert.equal(response.status, 403);
    assert.equal(await errorCode(response), 'payment_amount_too_low');
    response = await get(`${base}/file`, `${cheap.slice(0, 200)}`);
    assert.equal(response.status, 403);
    assert.equal(await errorCode(response), 'token_malformed');
    const receipt = await pay(buyers[1]!, PRICE);
    const elsewhere = await createPayerToken({ keyPair: buyers[1]!.keys, receipt, audience: 'https://other.example' });
    assert.ok(elsewhere.ok);
    response = await get(`${base}/file`, elsewhere.value);
    assert.equal(response.status, 403);
    assert.equal(await errorCode(response), 'token_audience_mismatch');
    assert.equal(registry.size, 0, 'no failed check recorded a redemption');
    assert.equal((await get(`${base}/file`, await tokenFor(buyers[1]!, receipt))).status, 200);
  });

  test('a by-reference token is verified online against the node', async () => {
    const base = await fastifySeller(new MemoryRedemptionRegistry());
    const token = await tokenFor(buyers[2]!, await pay(buyers[2]!, PRICE, 'order-77'), { form: 'reference' });
    assert.ok(token.length < 1_000, `a by-reference token is short (${token.length} characters)`);
    const response = await get(`${base}/file`, token);
    assert.equal(response.status, 200);
  });

  test('a route that fails after the claim releases it: the buyer can try again', async () => {
    const registry = new MemoryRedemptionRegistry();
    const base = await fastifySeller(registry);
    const token = await tokenFor(buyers[0]!, await pay(buyers[0]!, PRICE));
    assert.equal((await get(`${base}/fail`, token)).status, 500);
    await waitFor(async () => registry.size === 0); // onResponse runs after the reply is sent
    assert.equal((await get(`${base}/file`, token)).status, 200);
  });

  test('the fetch-style handler gates the same way', async () => {
    const base = await fetchStyleSeller(new MemoryRedemptionRegistry());
    assert.equal((await get(`${base}/file`)).status, 402);
    const token = await tokenFor(buyers[1]!, await pay(buyers[1]!, PRICE));
    const first = await get(`${base}/file`, token);
    assert.equal(first.status, 200);
    assert.equal(((await first.json()) as { paid_by: string }).paid_by, buyers[1]!.id);
    assert.equal((await get(`${base}/file`, token)).status, 409);
    const bearer = await fetch(`${base}/file`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bearer.status, 409, '"Bearer wwpt1.…" is read as the same token');
    assert.equal((await get(`${base}/file`, 'wwpt1.garbage')).status, 403);
  });

  const registries: { name: string; open: (t: TestContext) => Promise<RedemptionRegistry[] | undefined> }[] = [
    {
      name: 'SQLite (two sellers, one database file)',
      open: async () => {
        const path = join(dir, `redemptions-${Date.now()}.db`);
        const connections = [new Database(path), new Database(path)];
        const registries: RedemptionRegistry[] = [];
        for (const db of connections) {
          db.pragma('journal_mode = WAL');
          db.pragma('busy_timeout = 5000');
          registries.push(SqliteRedemptionRegistry.open(db));
          closers.push(async () => void db.close());
        }
        return registries;
      },
    },
    {
      name: 'PostgreSQL (two sellers, two pools)',
      open: async (t) => {
        if (!postgresUrl) {
          if (process.env.CI) throw new Error('WEBWALLET_TEST_DATABASE_URL is required in CI');
          t.skip('WEBWALLET_TEST_DATABASE_URL is not set');
          return undefined;
        }
        const schema = `gate_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
        const pools = [
          new pg.Pool({ connectionString: postgresUrl, max: 10 }),
          new pg.Pool({ connectionString: postgresUrl, max: 10 }),
        ];
        const registries: RedemptionRegistry[] = [];
        for (const pool of pools) registries.push(await PostgresRedemptionRegistry.open(pool, { schema }));
        closers.push(async () => {
          await pools[0]!.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await Promise.all(pools.map((p) => p.end()));
        });
        return registries;
      },
    },
  ];

  for (const { name, open } of registries) {
    test(`${CONCURRENT_PRESENTATIONS} concurrent presentations of one token: exactly one succeeds (${name})`, async (t) => {
      const pair = await open(t);
      if (!pair) return;
      const sellers = await Promise.all(pair.map((registry) => fastifySeller(registry)));
      const token = await tokenFor(buyers[2]!, await pay(buyers[2]!, PRICE));
      const statuses = await Promise.all(
        Array.from({ length: CONCURRENT_PRESENTATIONS }, (_, i) =>
          get(`${sellers[i % 2]}/file`, token).then((r) => r.status),
        ),
      );
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 409).length, CONCURRENT_PRESENTATIONS - 1);
    });
  }
});

async function waitFor(probe: () => Promise<boolean>, timeout_ms = 5_000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** node:http -> fetch Request -> handler -> Response -> node:http; GET only, as the test needs. */
async function adapt(
  handler: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  const response = await handler(new Request(`http://${req.headers.host}${req.url}`, { headers }));
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    out[name] = value;
  });
  res.writeHead(response.status, out);
  res.end(Buffer.from(await response.arrayBuffer()));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
