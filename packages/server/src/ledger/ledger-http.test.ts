import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodePrefixed, generateKeyPair, type KeyPair, verifyReceipt } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { assertErrorShape, startTestNode } from '../test-helpers.js';

type TestNode = Awaited<ReturnType<typeof startTestNode>>;

interface Party {
  keys: KeyPair;
  id: string;
}

const postgresUrl = process.env.WEBWALLET_TEST_DATABASE_URL;
const ENGINES = [
  { name: 'sqlite', database_url: undefined as string | undefined },
  { name: 'postgres', database_url: postgresUrl },
];

async function party(): Promise<Party> {
  const keys = await generateKeyPair();
  return { keys, id: encodePrefixed('pub', keys.publicKey) };
}

for (const engine of ENGINES) {
  describe(`ledger over HTTP on ${engine.name}`, () => {
    let node: TestNode;
    let adminToken: string;
    const schema = `http_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
    const skip = engine.name === 'postgres' && !engine.database_url;

    async function post(documents: unknown[], headers: Record<string, string> = {}, atomic = false) {
      const response = await fetch(`${node.url}/v1/transactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ documents, ...(atomic ? { atomic } : {}) }),
      });
      return {
        status: response.status,
        body: (await response.json()) as { results: { status: string; error?: { code: string } }[] },
      };
    }
    async function get(path: string) {
      const response = await fetch(`${node.url}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }

    before(async () => {
      if (skip) return;
      node = await startTestNode({
        block_interval_ms: 100,
        database_url: engine.database_url,
        database_schema: schema,
      });
      adminToken = readFileSync(join(node.dataDir, 'admin-token'), 'utf8').trim();
    });

    after(async () => {
      if (!skip) await node.stop();
    });

    test('100 concurrent spends of the same funds: exactly the affordable ones succeed', async (t) => {
      if (skip) {
        if (process.env.CI) throw new Error('WEBWALLET_TEST_DATABASE_URL must be set in CI');
        t.skip('WEBWALLET_TEST_DATABASE_URL is not set');
        return;
      }
      const [issuer, payer, payee] = await Promise.all([party(), party(), party()]);
      const setup = [
        ...(await Promise.all(
          [issuer, payer, payee].map((p) => transaction('ledger.account.create', { account: p.id }, [p.keys])),
        )),
        await transaction('ledger.currency.issue', { issuer: issuer.id, currency: 'CNC', scale: 0 }, [issuer.keys]),
        await transaction('ledger.trust.set', { holder: payer.id, currency: 'CNC', limit: '1000' }, [payer.keys]),
        await transaction('ledger.trust.set', { holder: payee.id, currency: 'CNC', limit: '1000' }, [payee.keys]),
        await transaction(
          'ledger.transfer',
          { legs: [{ from: issuer.id, to: payer.id, currency: 'CNC', amount: '37' }] },
          [issuer.keys],
        ),
      ];
      for (const doc of setup) assert.equal((await post([doc])).body.results[0]?.status, 'accepted');

      const spends = await Promise.all(
        Array.from({ length: 100 }, () =>
          transaction('ledger.transfer', { legs: [{ from: payer.id, to: payee.id, currency: 'CNC', amount: '1' }] }, [
            payer.keys,
          ]),
        ),
      );
      const responses = await Promise.all(spends.map((doc) => post([doc])));
      assert.ok(responses.every((r) => r.status === 200));
      const results = responses.map((r) => r.body.results[0]!);
      const ok = results.filter((r) => r.status === 'accepted');
      const refused = results.filter((r) => r.status === 'rejected');
      assert.equal(ok.length, 37);
      assert.equal(refused.length, 63);
      assert.ok(refused.every((r) => r.error?.code === 'insufficient_funds'));
      const account = await get(`/v1/accounts/${payer.id}`);
      assert.equal((account.body.balances as { balance: string }[])[0]?.balance, '0');
      const payeeView = await get(`/v1/accounts/${payee.id}`);
      assert.equal((payeeView.body.balances as { balance: string }[])[0]?.balance, '37');
    });

    test('the account view shows the spending policy with what its window has used', async (t) => {
      if (skip) {
        t.skip('WEBWALLET_TEST_DATABASE_URL is not set');
        return;
      }
      const [issuer, first, second, payee] = await Promise.all([party(), party(), party(), party()]);
      const rule = {
        currency: 'SPD',
        amount_max: '10.00',
        threshold: 1,
        window_ms: 3_600_000,
        window_amount_max: '25.00',
      };
      const both = [first.keys, second.keys];
      const setup = [
        await transaction('ledger.account.create', { account: issuer.id }, [issuer.keys]),
        await transaction('ledger.account.create', { account: payee.id }, [payee.keys]),
        await transaction('ledger.currency.issue', { issuer: issuer.id, currency: 'SPD', scale: 2 }, [issuer.keys]),
        await transaction(
          'ledger.account.create',
          { account: first.id, keys: [first.id, second.id], threshold: 2, spending_policy: { small_payments: [rule] } },
          both,
        ),
        await transaction('ledger.trust.set', { holder: first.id, currency: 'SPD', limit: '100' }, both),
        await transaction('ledger.trust.set', { holder: payee.id, currency: 'SPD', limit: '100' }, [payee.keys]),
        await transaction(
          'ledger.transfer',
          { legs: [{ from: issuer.id, to: first.id, currency: 'SPD', amount: '50' }] },
          [issuer.keys],
        ),
        await transaction(
          'ledger.transfer',
          { legs: [{ from: first.id, to: payee.id, currency: 'SPD', amount: '7.5' }] },
          [second.keys],
        ),
      ];
      for (const doc of setup) assert.equal((await post([doc])).body.results[0]?.status, 'accepted');
      const view = await get(`/v1/accounts/${first.id}`);
      assert.deepEqual(view.body.spending_policy, { small_payments: [{ ...rule, window_spent: '7.50' }] });
      assert.equal((await get(`/v1/accounts/${payee.id}`)).body.spending_policy, null);
    });

    test('the API: custodial accounts need the admin token, reads, pagination, blocks, proofs, receipts', async (t) => {
      if (skip) {
        if (process.env.CI) throw new Error('WEBWALLET_TEST_DATABASE_URL must be set in CI');
        t.skip('WEBWALLET_TEST_DATABASE_URL is not set');
        return;
      }
      const shop = await transaction('ledger.account.create', { account: 'acc_shop' });
      const unauth = await post([shop]);
      assert.equal(unauth.body.results[0]?.error?.code, 'authorization_insufficient');
      const wrong = await post([shop], { authorization: 'Bearer wwadmin_wrong' });
      assert.equal(wrong.status, 401);
      assertErrorShape(wrong.body, 'unauthenticated');
      const authed = await post([shop], { authorization: `Bearer ${adminToken}` });
      assert.equal(authed.body.results[0]?.status, 'accepted');

      const issuer = await party();
      await post([await transaction('ledger.account.create', { account: issuer.id }, [issuer.keys])]);
      for (const code of ['AAA', 'BBB', 'CCC']) {
        await post([
          await transaction('ledger.currency.issue', { issuer: issuer.id, currency: code, scale: 2 }, [issuer.keys]),
        ]);
      }
      const page1 = await get('/v1/currencies?limit=2');
      assert.equal(page1.status, 200);
      const items1 = page1.body.items as { code: string }[];
      assert.equal(items1.length, 2);
      const page2 = await get(`/v1/currencies?limit=2&cursor=${page1.body.next_cursor}`);
      const codes = [...items1, ...(page2.body.items as { code: string }[])].map((c) => c.code);
      assert.ok(codes.includes('AAA') && codes.includes('CCC'));
      assertErrorShape((await get('/v1/currencies?cursor=garbage')).body, 'cursor_invalid');
      assertErrorShape((await get('/v1/currencies?limit=0')).body, 'invalid_request');
      assertErrorShape((await get('/v1/currencies?limit=1000')).body, 'invalid_request');

      const transfer = await transaction('ledger.trust.set', { holder: 'acc_shop', currency: 'AAA', limit: '10.00' });
      const id = transfer.body.id;
      assert.equal(
        (await post([transfer], { authorization: `Bearer ${adminToken}` })).body.results[0]?.status,
        'accepted',
      );
      const sealed = await waitFor(async () => {
        const tx = await get(`/v1/transactions/${id}`);
        return tx.body.receipt ? tx : undefined;
      });
      const info = (await get('/.well-known/webwallet')).body as { public_key: string };
      const verified = await verifyReceipt(sealed.body.receipt, [info.public_key]);
      assert.ok(verified.ok, JSON.stringify(verified));

      const latest = await get('/v1/blocks/latest');
      assert.equal(latest.status, 200);
      const height = (latest.body as { height: number }).height;
      assert.equal((await get(`/v1/blocks/${height}`)).status, 200);
      assertErrorShape((await get(`/v1/blocks/${height + 1000}`)).body, 'block_not_found');
      assertErrorShape((await get('/v1/blocks/abc')).body, 'invalid_request');
      const treeSize = (latest.body as { block: { body: { tree_size: number } } }).block.body.tree_size;
      const inclusion = await get(`/v1/proofs/inclusion?transaction=${id}`);
      assert.equal(inclusion.status, 200);
      assert.equal(inclusion.body.tree_size, treeSize);
      assertErrorShape((await get('/v1/proofs/inclusion?transaction=nope')).body, 'transaction_not_found');
      const consistency = await get(`/v1/proofs/consistency?from=0&to=${treeSize}`);
      assert.equal(consistency.status, 200);
      // A size beyond `to` can never be a valid pair (any small size might happen to be a block).
      assertErrorShape(
        (await get(`/v1/proofs/consistency?from=${treeSize + 1}&to=${treeSize}`)).body,
        'tree_size_invalid',
      );

      const history = await get('/v1/accounts/acc_shop/transactions?limit=1');
      assert.equal((history.body.items as unknown[]).length, 1);
      assert.ok(history.body.next_cursor);
      assertErrorShape((await get('/v1/accounts/acc_nobody')).body, 'account_not_found');
      assertErrorShape((await get('/v1/transactions/nope')).body, 'transaction_not_found');
    });

    test('malformed submissions are 4xx with the error shape', async (t) => {
      if (skip) {
        t.skip('WEBWALLET_TEST_DATABASE_URL is not set');
        return;
      }
      const empty = await post([]);
      assert.equal(empty.status, 400);
      assertErrorShape(empty.body, 'invalid_request');
      const tooMany = await post(
        Array.from({ length: 1001 }, () => ({ type: 'x', version: 1, body: {}, signatures: [] })),
      );
      assert.equal(tooMany.status, 400);
      const notDocs = await post([{ hello: 'world' }]);
      assert.equal(notDocs.status, 400);
      assertErrorShape(notDocs.body, 'invalid_request');
      const unknownType = await post([{ type: 'ledger.mint', version: 1, body: {}, signatures: [] }]);
      assert.equal(unknownType.body.results[0]?.error?.code, 'transaction_type_unknown');
    });
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeout_ms = 10_000): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
