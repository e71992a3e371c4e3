import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodePrefixed, generateKeyPair, verifyReceipt } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { assertErrorShape } from '../test-helpers.js';
import { ENGINES, eventually, postgresMissing, startProcessorNode, type TestNode } from './test-support.js';

/**
 * The payment processor over real HTTP against a real node, once per storage engine: the whole
 * invoice lifecycle, money out, idempotency, scopes and the wall between test and live.
 */
for (const engine of [{ name: 'sqlite' as const }, { name: 'postgres' as const }]) {
  const available = ENGINES.find((e) => e.name === engine.name);
  describe(`payment processor on ${engine.name}`, () => {
    let node: TestNode;
    let keys: { live: string; test: string };
    let store: { id: string; live_account: string; test_account: string };

    before(async () => {
      if (!available) return;
      node = await startProcessorNode(available);
      const signup = await node.call('POST', '/v1/merchants', node.adminToken, { name: 'Acme <Books>' });
      assert.equal(signup.status, 201, JSON.stringify(signup.body));
      keys = signup.body.keys;
      store = signup.body.store;
    });

    after(async () => {
      if (available) await node.stop();
    });

    const skip = (t: { skip(reason: string): void }) => {
      if (available) return false;
      const reason = postgresMissing();
      if (reason) t.skip(reason);
      return true;
    };

    const invoice = async (body: Record<string, unknown> = {}, key = keys.test) => {
      const created = await node.call('POST', '/v1/invoices', key, { amount: '10.00', currency: 'USD', ...body });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body as { id: string; status: string };
    };
    const pay = (id: string, body: Record<string, unknown>) =>
      node.call('POST', `/v1/sandbox/invoices/${id}/pay`, keys.test, body);
    const get = async (id: string, key = keys.test) => (await node.call('GET', `/v1/invoices/${id}`, key)).body;
    const settled = (id: string) =>
      eventually(async () => {
        const current = await get(id);
        return current.status === 'Settled' ? current : undefined;
      });

    test('exact payment: New, Processing until sealed, then Settled with an offline-verifiable receipt', async (t) => {
      if (skip(t)) return;
      const created = await invoice({ order_id: 'order-1', metadata: { sku: 'm-1' } });
      assert.equal(created.status, 'New');
      const paid = await pay(created.id, { kind: 'exact' });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      assert.ok(['Processing', 'Settled'].includes(paid.body.invoice.status));
      const done = await settled(created.id);
      assert.equal(done.additional_status, 'None');
      assert.equal(done.amount_paid, '10.00');
      assert.equal(done.amount_due, '0.00');
      const [payment] = done.payments;
      assert.equal(payment.status, 'confirmed');
      assert.equal(payment.rail, 'ledger');
      assert.equal(payment.transaction_id, paid.body.transaction_id);
      const verified = await verifyReceipt(payment.receipt, [node.sandboxLedger.nodePublicKey]);
      assert.ok(verified.ok, JSON.stringify(verified));
      // A sandbox receipt never verifies as live money.
      assert.equal((await verifyReceipt(payment.receipt, [node.nodeKey.publicKey])).ok, false);
      const events = await node.call('GET', '/v1/events?limit=200', keys.test);
      const types = events.body.items
        .filter((e: { data: { invoice?: { id: string } } }) => e.data.invoice?.id === created.id)
        .map((e: { type: string }) => e.type)
        .reverse();
      // Processing is skipped only when a block sealed the payment before the processor saw it.
      const sealedFirst = !types.includes('invoice.processing');
      assert.deepEqual(
        types.filter((type: string) => type !== 'invoice.processing'),
        ['invoice.created', 'invoice.payment_received', 'invoice.settled'],
      );
      if (!sealedFirst) assert.equal(types.indexOf('invoice.processing'), 2);
    });

    test('partial then the rest: PaidPartial while New, then Settled', async (t) => {
      if (skip(t)) return;
      const created = await invoice();
      await pay(created.id, { kind: 'partial' });
      const partial = await get(created.id);
      assert.equal(partial.status, 'New');
      assert.equal(partial.additional_status, 'PaidPartial');
      assert.equal(partial.amount_due, '5.00');
      await pay(created.id, { kind: 'exact', payer: 2 });
      const done = await settled(created.id);
      assert.equal(done.payments.length, 2);
      assert.equal(done.additional_status, 'None');
    });

    test('overpayment: Settled with PaidOver', async (t) => {
      if (skip(t)) return;
      const created = await invoice();
      await pay(created.id, { kind: 'over' });
      const done = await settled(created.id);
      assert.equal(done.additional_status, 'PaidOver');
      assert.equal(done.amount_paid, '11.00');
    });

    test('tolerance: 99% paid with a 1% tolerance settles', async (t) => {
      if (skip(t)) return;
      const created = await invoice({ payment_tolerance_pct: 1 });
      await pay(created.id, { amount: '9.90' });
      assert.equal((await settled(created.id)).amount_due, '0.10');
    });

    test('expiry and a late payment within the monitoring window: Expired, then Settled with PaidLate', async (t) => {
      if (skip(t)) return;
      const created = await invoice();
      const expired = await node.call('POST', `/v1/sandbox/invoices/${created.id}/expire`, keys.test);
      assert.equal(expired.body.status, 'Expired');
      assert.equal(expired.body.additional_status, 'None');
      await pay(created.id, { kind: 'exact' });
      const done = await settled(created.id);
      assert.equal(done.additional_status, 'PaidLate');
      assert.equal(done.payments[0].late, true);
    });

    test('partial, then expiry by the sandbox clock: Expired with PaidPartial; after the window payments do not count', async (t) => {
      if (skip(t)) return;
      const created = await invoice({ expires_in_s: 60 });
      await pay(created.id, { kind: 'partial' });
      const advanced = await node.call('POST', '/v1/sandbox/clock/advance', keys.test, { seconds: 120 });
      assert.equal(advanced.status, 200);
      const expired = await get(created.id);
      assert.equal(expired.status, 'Expired');
      assert.equal(expired.additional_status, 'PaidPartial');
      await node.call('POST', '/v1/sandbox/clock/advance', keys.test, { seconds: 7200 });
      await pay(created.id, { kind: 'exact' });
      const after = await get(created.id);
      assert.equal(after.status, 'Expired');
      assert.equal(after.payments.length, 2, 'the late money is still recorded');
      assert.equal(after.payments[1].counted, false);
    });

    test('mark: Invalid and Settled by hand; a settled invoice cannot be marked', async (t) => {
      if (skip(t)) return;
      const a = await invoice();
      const invalid = await node.call('POST', `/v1/invoices/${a.id}/mark`, keys.test, { status: 'Invalid' });
      assert.equal(invalid.body.status, 'Invalid');
      assert.equal(invalid.body.additional_status, 'Marked');
      const b = await invoice();
      assert.equal(
        (await node.call('POST', `/v1/invoices/${b.id}/mark`, keys.test, { status: 'Settled' })).body.status,
        'Settled',
      );
      const again = await node.call('POST', `/v1/invoices/${b.id}/mark`, keys.test, { status: 'Invalid' });
      assert.equal(again.status, 409);
      assertErrorShape(again.body, 'invoice_state_invalid');
    });

    test('refunds: partial, then the rest, never more than paid; the payer gets the money back', async (t) => {
      if (skip(t)) return;
      const created = await invoice();
      const paid = await pay(created.id, { kind: 'exact', payer: 3 });
      const payer = paid.body.invoice.payments[0].from as string;
      await settled(created.id);
      const before = await node.sandboxLedger.account(payer);
      const first = await node.call('POST', '/v1/refunds', keys.test, { invoice_id: created.id, amount: '4.00' });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.status, 'succeeded');
      assert.equal(first.body.destination, payer);
      const tooMuch = await node.call('POST', '/v1/refunds', keys.test, { invoice_id: created.id, amount: '6.01' });
      assert.equal(tooMuch.status, 422);
      assert.equal(assertErrorShape(tooMuch.body, 'refund_exceeds_paid').details.refundable, '6.00');
      const rest = await node.call('POST', '/v1/refunds', keys.test, { invoice_id: created.id });
      assert.equal(rest.body.amount, '6.00');
      const none = await node.call('POST', '/v1/refunds', keys.test, { invoice_id: created.id });
      assertErrorShape(none.body, 'refund_exceeds_paid');
      assert.equal((await get(created.id)).amount_refunded, '10.00');
      const after = await node.sandboxLedger.account(payer);
      const usd = (v: typeof before) => Number(v?.balances.find((b) => b.currency === 'USD')?.balance);
      assert.equal(usd(after) - usd(before), 10);
      const listed = await node.call('GET', `/v1/refunds?invoice_id=${created.id}`, keys.test);
      assert.equal(listed.body.items.length, 2);
    });

    test('payouts: paid from the balance; more than the balance is refused and nothing moves', async (t) => {
      if (skip(t)) return;
      const created = await invoice({ amount: '50.00' });
      await pay(created.id, { kind: 'exact' });
      await settled(created.id);
      const balance = await node.call('GET', '/v1/balance', keys.test);
      const available = balance.body.balances.find((b: { currency: string }) => b.currency === 'USD').available;
      const destination = `acc_payer1_${store.id.slice(3)}`;
      const payout = await node.call('POST', '/v1/payouts', keys.test, {
        amount: '20.00',
        currency: 'USD',
        destination,
      });
      assert.equal(payout.status, 201, JSON.stringify(payout.body));
      assert.equal(payout.body.status, 'succeeded');
      const tooMuch = await node.call('POST', '/v1/payouts', keys.test, {
        amount: '1000000.00',
        currency: 'USD',
        destination,
      });
      assert.equal(tooMuch.status, 422);
      assertErrorShape(tooMuch.body, 'insufficient_funds');
      const after = await node.call('GET', '/v1/balance', keys.test);
      const now = after.body.balances.find((b: { currency: string }) => b.currency === 'USD').available;
      assert.equal(Number(available) - Number(now), 20);
      assert.equal((await node.call('GET', `/v1/payouts/${payout.body.id}`, keys.test)).body.status, 'succeeded');
    });

    test('Idempotency-Key: a retry replays the first response; other parameters or another endpoint are refused', async (t) => {
      if (skip(t)) return;
      const headers = { 'idempotency-key': `k-${Math.random()}` };
      const body = { amount: '3.00', currency: 'USD', order_id: 'idem' };
      const first = await node.call('POST', '/v1/invoices', keys.test, body, headers);
      const second = await node.call('POST', '/v1/invoices', keys.test, body, headers);
      assert.equal(second.status, 201);
      assert.equal(second.body.id, first.body.id);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      const changed = await node.call('POST', '/v1/invoices', keys.test, { ...body, amount: '4.00' }, headers);
      assert.equal(changed.status, 422);
      assertErrorShape(changed.body, 'idempotency_key_reused');
      const elsewhere = await node.call('POST', '/v1/refunds', keys.test, { invoice_id: first.body.id }, headers);
      assertErrorShape(elsewhere.body, 'idempotency_key_reused');
      const listed = await node.call('GET', '/v1/invoices?order_id=idem', keys.test);
      assert.equal(listed.body.items.length, 1, 'exactly one invoice was created');
      const bad = await node.call('POST', '/v1/invoices', keys.test, body, { 'idempotency-key': '' });
      assert.equal(bad.status, 400);
    });

    test('scopes: a read-only key reads but cannot write; keys cannot grant more than they hold; revoked keys stop', async (t) => {
      if (skip(t)) return;
      const made = await node.call('POST', '/v1/keys', keys.test, { name: 'reader', scopes: ['invoices:read'] });
      assert.equal(made.status, 201);
      assert.match(made.body.secret, /^ww_test_/);
      const reader = made.body.secret as string;
      assert.equal((await node.call('GET', '/v1/invoices', reader)).status, 200);
      const write = await node.call('POST', '/v1/invoices', reader, { amount: '1.00', currency: 'USD' });
      assert.equal(write.status, 403);
      assert.equal(assertErrorShape(write.body, 'scope_missing').details.scope, 'invoices:write');
      assertErrorShape((await node.call('POST', '/v1/refunds', reader, { invoice_id: 'inv_x' })).body, 'scope_missing');
      const escalate = await node.call('POST', '/v1/keys', reader, { scopes: ['payouts'] });
      assert.equal(escalate.status, 403);
      assert.equal((await node.call('DELETE', `/v1/keys/${made.body.id}`, keys.test)).status, 200);
      assertErrorShape((await node.call('GET', '/v1/invoices', reader)).body, 'api_key_revoked');
      assertErrorShape((await node.call('GET', '/v1/invoices', 'ww_test_nope')).body, 'api_key_invalid');
      assertErrorShape((await node.call('GET', '/v1/invoices')).body, 'api_key_invalid');
    });

    test('test and live are separate: a test key cannot read or move live data, sandbox endpoints refuse live keys', async (t) => {
      if (skip(t)) return;
      // Live money: a currency issued on the node's ledger and a self-custody payer holding some.
      const issuer = 'acc_issuer_live';
      const payerKeys = await generateKeyPair();
      const payer = encodePrefixed('pub', payerKeys.publicKey);
      const setup = [
        await transaction('ledger.account.create', { account: issuer }),
        await transaction('ledger.currency.issue', { issuer, currency: 'EUR', scale: 2 }),
        await transaction('ledger.account.create', { account: payer }, [payerKeys]),
        await transaction('ledger.trust.set', { holder: payer, currency: 'EUR', limit: '1000.00' }, [payerKeys]),
        await transaction('ledger.transfer', {
          legs: [{ from: issuer, to: payer, currency: 'EUR', amount: '100.00' }],
        }),
      ];
      for (const doc of setup) {
        const [result] = await node.ledger.submit([doc], { nodeAuthorized: true });
        assert.equal(result?.status, 'accepted', JSON.stringify(result));
      }
      const live = await invoice({ amount: '25.00', currency: 'EUR' }, keys.live);
      assert.equal(
        (await node.call('GET', `/v1/invoices/${live.id}`, keys.live)).headers.get('webwallet-mode'),
        'live',
      );
      // The test key sees nothing of it and cannot act on it.
      assertErrorShape((await node.call('GET', `/v1/invoices/${live.id}`, keys.test)).body, 'invoice_not_found');
      assertErrorShape((await pay(live.id, { kind: 'exact' })).body, 'invoice_not_found');
      assertErrorShape(
        (await node.call('POST', '/v1/refunds', keys.test, { invoice_id: live.id })).body,
        'invoice_not_found',
      );
      const testList = await node.call('GET', '/v1/invoices?limit=200', keys.test);
      assert.ok(testList.body.items.every((i: { mode: string }) => i.mode === 'test'));
      // Sandbox endpoints are test-only.
      const refused = await node.call('POST', `/v1/sandbox/invoices/${live.id}/pay`, keys.live, {});
      assert.equal(refused.status, 403);
      assertErrorShape(refused.body, 'sandbox_only');
      assertErrorShape(
        (await node.call('POST', '/v1/sandbox/clock/advance', keys.live, { seconds: 60 })).body,
        'sandbox_only',
      );
      // A wallet pays the live invoice through the checkout with a signed transfer.
      const document = await transaction(
        'ledger.transfer',
        { legs: [{ from: payer, to: store.live_account, currency: 'EUR', amount: '25.00' }], memo: live.id },
        [payerKeys],
      );
      const paid = await node.call('POST', `/v1/checkout/${live.id}/pay`, undefined, { document });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      const done = await eventually(async () => {
        const current = (await node.call('GET', `/v1/invoices/${live.id}`, keys.live)).body;
        return current.status === 'Settled' ? current : undefined;
      });
      assert.equal(done.mode, 'live');
      assert.ok((await verifyReceipt(done.payments[0].receipt, [node.nodeKey.publicKey])).ok);
      // The live store's money is on the live ledger only.
      const liveBalance = await node.call('GET', '/v1/balance', keys.live);
      assert.equal(liveBalance.body.balances.find((b: { currency: string }) => b.currency === 'EUR').balance, '25.00');
      const testBalance = await node.call('GET', '/v1/balance', keys.test);
      assert.equal(
        testBalance.body.balances.find((b: { currency: string }) => b.currency === 'EUR'),
        undefined,
      );
    });

    test('lists page newest first; reports are CSV', async (t) => {
      if (skip(t)) return;
      for (let i = 0; i < 3; i++) await invoice({ order_id: 'page' });
      const first = await node.call('GET', '/v1/invoices?order_id=page&limit=2', keys.test);
      assert.equal(first.body.items.length, 2);
      assert.ok(first.body.next_cursor);
      const second = await node.call(
        'GET',
        `/v1/invoices?order_id=page&limit=2&cursor=${first.body.next_cursor}`,
        keys.test,
      );
      assert.equal(second.body.items.length, 1);
      assert.equal(second.body.next_cursor, null);
      assert.ok(first.body.items[0].created_at >= first.body.items[1].created_at);
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() + 3 * 86_400_000).toISOString();
      const csv = await node.call('GET', `/v1/reports/invoices.csv?from=${from}&to=${to}`, keys.test);
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
      const lines = (csv.body as string).trim().split('\r\n');
      assert.equal(lines[0]?.split(',')[0], 'id');
      assert.ok(lines.filter((l) => l.includes(',page,')).length === 3);
      const payments = await node.call('GET', `/v1/reports/payments.csv?from=${from}&to=${to}`, keys.test);
      assert.ok((payments.body as string).split('\r\n').length > 2);
      const tooLong = await node.call('GET', `/v1/reports/payments.csv?from=2020-01-01T00:00:00Z&to=${to}`, keys.test);
      assert.equal(tooLong.status, 400);
    });

    test('malformed input is a 4xx in the one error shape and writes nothing', async (t) => {
      if (skip(t)) return;
      const cases: [unknown, string][] = [
        [{ amount: '10.00', currency: 'USD', surprise: 1 }, 'invalid_request'],
        [{ amount: 10, currency: 'USD' }, 'invalid_request'],
        [{ amount: '10.001', currency: 'USD' }, 'amount_too_precise'],
        [{ amount: '0', currency: 'USD' }, 'amount_not_positive'],
        [{ amount: '1.00', currency: 'USD', redirect_url: 'javascript:alert(1)' }, 'invalid_request'],
      ];
      const before = (await node.call('GET', '/v1/invoices?limit=200', keys.test)).body.items.length;
      for (const [body, code] of cases) {
        const response = await node.call('POST', '/v1/invoices', keys.test, body);
        assert.ok(response.status >= 400 && response.status < 500, `${JSON.stringify(body)} -> ${response.status}`);
        assertErrorShape(response.body, code);
      }
      const live = await node.call('POST', '/v1/invoices', keys.live, { amount: '1.00', currency: 'NOPE' });
      assertErrorShape(live.body, 'currency_not_found');
      assert.equal((await node.call('GET', '/v1/invoices?limit=200', keys.test)).body.items.length, before);
    });
  });
}
