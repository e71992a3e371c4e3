import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createDocument,
  encodePrefixed,
  fromHex,
  generateKeyPair,
  type KeyPair,
  randomBytes,
  sha256,
  toHex,
  unwrap,
  verifyConsistency,
  verifyReceipt,
} from '@webwallet/core';
import { auditLedger } from './audit.js';
import { newTransactionId, transaction } from './documents.js';
import type { Ledger, SubmitResult } from './ledger.js';
import {
  ENGINES,
  type EngineInstance,
  manualClock,
  newNodeKey,
  openLedger,
  requireEngine,
  type TestNodeKey,
  waitFor,
} from './test-support.js';

interface Party {
  readonly keys: KeyPair;
  readonly id: string;
}

async function party(): Promise<Party> {
  const keys = await generateKeyPair();
  return { keys, id: encodePrefixed('pub', keys.publicKey) };
}

function accepted(result: SubmitResult | undefined): Extract<SubmitResult, { status: 'accepted' }> {
  assert.ok(result, 'no result');
  assert.equal(result.status, 'accepted', JSON.stringify(result));
  return result as Extract<SubmitResult, { status: 'accepted' }>;
}

function rejectedWith(result: SubmitResult | undefined, code: string): void {
  assert.ok(result, 'no result');
  assert.equal(result.status, 'rejected', JSON.stringify(result));
  assert.equal((result as { error: { code: string } }).error.code, code, JSON.stringify(result));
}

for (const engine of ENGINES) {
  describe(`ledger on ${engine.name}`, () => {
    let instance: EngineInstance | undefined;
    let ledger: Ledger;
    let nodeKey: TestNodeKey;
    const clock = manualClock();
    let issuer: Party;
    let alice: Party;
    let bob: Party;
    let carol: Party;

    const submit = async (docs: unknown[], options: { atomic?: boolean; nodeAuthorized?: boolean } = {}) =>
      ledger.submit(docs, options);
    const one = async (doc: unknown, options: { nodeAuthorized?: boolean } = {}) => (await submit([doc], options))[0];
    const balance = async (account: string, currency: string) =>
      (await ledger.account(account))?.balances.find((b) => b.currency === currency);
    const at = () => clock.iso();

    before(async () => {
      if (engine.unavailable) return;
      instance = await engine.create();
      nodeKey = await newNodeKey();
      ledger = await openLedger(instance.storage, nodeKey, {
        clock: clock.now,
        block_transactions_max: 1_000_000,
        block_interval_ms: 1_000,
      });
      [issuer, alice, bob, carol] = await Promise.all([party(), party(), party(), party()]);
      for (const p of [issuer, alice, bob, carol]) {
        accepted(await one(await transaction('ledger.account.create', { account: p.id, created_at: at() }, [p.keys])));
      }
      accepted(
        await one(
          await transaction(
            'ledger.currency.issue',
            { issuer: issuer.id, currency: 'EUR', scale: 2, max_supply: '1000000.00', created_at: at() },
            [issuer.keys],
          ),
        ),
      );
      for (const p of [alice, bob, carol]) {
        accepted(
          await one(
            await transaction(
              'ledger.trust.set',
              { holder: p.id, currency: 'EUR', limit: '1000.00', created_at: at() },
              [p.keys],
            ),
          ),
        );
      }
      accepted(
        await one(
          await transaction(
            'ledger.transfer',
            { legs: [{ from: issuer.id, to: alice.id, currency: 'EUR', amount: '100.00' }], created_at: at() },
            [issuer.keys],
          ),
        ),
      );
    });

    after(async () => {
      if (!instance) return;
      await ledger.close();
      await instance.cleanup();
    });

    test('accounts: self-custody needs its key, custodial needs the node, ids are unique', async (t) => {
      if (!requireEngine(t, engine)) return;
      const dave = await party();
      rejectedWith(
        await one(await transaction('ledger.account.create', { account: dave.id, created_at: at() })),
        'authorization_insufficient',
      );
      rejectedWith(
        await one(await transaction('ledger.account.create', { account: dave.id, created_at: at() }, [alice.keys])),
        'authorization_insufficient',
      );
      accepted(
        await one(await transaction('ledger.account.create', { account: dave.id, created_at: at() }, [dave.keys])),
      );
      rejectedWith(
        await one(await transaction('ledger.account.create', { account: dave.id, created_at: at() }, [dave.keys])),
        'account_exists',
      );
      rejectedWith(
        await one(await transaction('ledger.account.create', { account: 'acc_shop1', created_at: at() })),
        'authorization_insufficient',
      );
      accepted(
        await one(await transaction('ledger.account.create', { account: 'acc_shop1', created_at: at() }), {
          nodeAuthorized: true,
        }),
      );
      const view = await ledger.account('acc_shop1');
      assert.equal(view?.custodial, true);
    });

    test('issuing: the issuer goes negative by the circulating supply, capped by max_supply', async (t) => {
      if (!requireEngine(t, engine)) return;
      assert.equal((await balance(issuer.id, 'EUR'))?.balance, '-100.00');
      assert.equal((await balance(alice.id, 'EUR'))?.balance, '100.00');
      const [eur] = await ledger.currencies({ limit: 10 });
      assert.equal(eur?.circulating, '100.00');
      const beyondSupply = await transaction(
        'ledger.transfer',
        { legs: [{ from: issuer.id, to: bob.id, currency: 'EUR', amount: '999999.00' }], created_at: at() },
        [issuer.keys],
      );
      rejectedWith(await one(beyondSupply), 'supply_exceeded');
      const beyondTrust = await transaction(
        'ledger.transfer',
        { legs: [{ from: issuer.id, to: bob.id, currency: 'EUR', amount: '1000.01' }], created_at: at() },
        [issuer.keys],
      );
      rejectedWith(await one(beyondTrust), 'trust_limit_exceeded');
      rejectedWith(
        await one(
          await transaction(
            'ledger.currency.issue',
            { issuer: alice.id, currency: 'EUR', scale: 2, created_at: at() },
            [alice.keys],
          ),
        ),
        'currency_exists',
      );
    });

    test('transfers check funds, trust lines, limits and amounts', async (t) => {
      if (!requireEngine(t, engine)) return;
      const stranger = await party();
      accepted(
        await one(
          await transaction('ledger.account.create', { account: stranger.id, created_at: at() }, [stranger.keys]),
        ),
      );
      const pay = async (from: Party, to: string, amount: string, currency = 'EUR') =>
        one(
          await transaction('ledger.transfer', { legs: [{ from: from.id, to, currency, amount }], created_at: at() }, [
            from.keys,
          ]),
        );
      rejectedWith(await pay(alice, bob.id, '100.01'), 'insufficient_funds');
      rejectedWith(await pay(alice, stranger.id, '1.00'), 'trust_line_not_found');
      rejectedWith(await pay(alice, bob.id, '1.001'), 'amount_too_precise');
      rejectedWith(await pay(alice, bob.id, '0'), 'amount_not_positive');
      rejectedWith(await pay(alice, alice.id, '1.00'), 'leg_invalid');
      rejectedWith(await pay(alice, bob.id, '1.00', 'USD'), 'currency_not_found');
      const forged = await transaction(
        'ledger.transfer',
        { legs: [{ from: alice.id, to: bob.id, currency: 'EUR', amount: '1.00' }], created_at: at() },
        [bob.keys],
      );
      rejectedWith(await one(forged), 'authorization_insufficient');
      accepted(await pay(alice, bob.id, '10.00'));
      assert.equal((await balance(alice.id, 'EUR'))?.balance, '90.00');
      assert.equal((await balance(bob.id, 'EUR'))?.balance, '10.00');
    });

    test('multi-leg transfers are all-or-nothing', async (t) => {
      if (!requireEngine(t, engine)) return;
      const before = (await balance(alice.id, 'EUR'))?.balance;
      const doc = await transaction(
        'ledger.transfer',
        {
          legs: [
            { from: alice.id, to: bob.id, currency: 'EUR', amount: '5.00' },
            { from: bob.id, to: carol.id, currency: 'EUR', amount: '5000.00' },
          ],
          created_at: at(),
        },
        [alice.keys, bob.keys],
      );
      rejectedWith(await one(doc), 'insufficient_funds');
      assert.equal((await balance(alice.id, 'EUR'))?.balance, before);
      const ok = await transaction(
        'ledger.transfer',
        {
          legs: [
            { from: alice.id, to: bob.id, currency: 'EUR', amount: '5.00' },
            { from: bob.id, to: carol.id, currency: 'EUR', amount: '3.00' },
          ],
          created_at: at(),
        },
        [alice.keys, bob.keys],
      );
      accepted(await one(ok));
      assert.equal((await balance(carol.id, 'EUR'))?.balance, '3.00');
    });

    test('ids are idempotent: same content returns the original, different content conflicts', async (t) => {
      if (!requireEngine(t, engine)) return;
      const doc = await transaction(
        'ledger.transfer',
        { id: 'pay-once-1', legs: [{ from: alice.id, to: bob.id, currency: 'EUR', amount: '1.00' }], created_at: at() },
        [alice.keys],
      );
      const first = accepted(await one(doc));
      const again = accepted(await one(doc));
      assert.equal(again.duplicate, true);
      assert.equal(again.seq, first.seq);
      assert.equal(again.accepted_at, first.accepted_at);
      const twice = await submit([doc, doc]);
      assert.ok(twice.every((r) => r.status === 'accepted' && r.duplicate));
      const other = await transaction(
        'ledger.transfer',
        { id: 'pay-once-1', legs: [{ from: alice.id, to: bob.id, currency: 'EUR', amount: '2.00' }], created_at: at() },
        [alice.keys],
      );
      rejectedWith(await one(other), 'transaction_id_conflict');
    });

    test('a bad document in a batch does not affect the others; an atomic group is all-or-nothing', async (t) => {
      if (!requireEngine(t, engine)) return;
      const good = await transaction(
        'ledger.transfer',
        { legs: [{ from: alice.id, to: bob.id, currency: 'EUR', amount: '1.00' }], created_at: at() },
        [alice.keys],
      );
      const bad = await transaction(
        'ledger.transfer',
        { legs: [{ from: alice.id, to: bob.id, currency: 'EUR', amount: '99999.00' }], created_at: at() },
        [alice.keys],
      );
      const unsigned = { type: 'ledger.transfer', version: 1, body: { nope: true }, signatures: [] };
      const results = await submit([good, bad, unsigned, { junk: 1 }]);
      accepted(results[0]);
      rejectedWith(results[1], 'insufficient_funds');
      rejectedWith(results[2], 'transaction_invalid');
      rejectedWith(results[3], 'document_invalid');

      const before = (await balance(bob.id, 'EUR'))?.balance;
      const g1 = await transaction(
        'ledger.transfer',
        { legs: [{ from: alice.id, to: bob.id, currency: 'EUR', amount: '1.00' }], created_at: at() },
        [alice.keys],
      );
      const g2 = await transaction(
        'ledger.transfer',
        { legs: [{ from: bob.id, to: carol.id, currency: 'EUR', amount: '99999.00' }], created_at: at() },
        [bob.keys],
      );
      const group = await submit([g1, g2], { atomic: true });
      rejectedWith(group[0], 'group_rejected');
      rejectedWith(group[1], 'insufficient_funds');
      assert.equal((await balance(bob.id, 'EUR'))?.balance, before);
      const g3 = await transaction(
        'ledger.transfer',
        { legs: [{ from: bob.id, to: carol.id, currency: 'EUR', amount: '1.00' }], created_at: at() },
        [bob.keys],
      );
      const okGroup = await submit([g1, g3], { atomic: true });
      assert.ok(okGroup.every((r) => r.status === 'accepted'));
    });

    test('timestamps far from the node clock are refused', async (t) => {
      if (!requireEngine(t, engine)) return;
      const old = await transaction(
        'ledger.transfer',
        {
          legs: [{ from: alice.id, to: bob.id, currency: 'EUR', amount: '1.00' }],
          created_at: new Date(clock.now() - 3_600_000).toISOString(),
        },
        [alice.keys],
      );
      rejectedWith(await one(old), 'timestamp_skew');
    });

    test('trust limits, freezing and credit limits', async (t) => {
      if (!requireEngine(t, engine)) return;
      rejectedWith(
        await one(
          await transaction('ledger.trust.set', { holder: bob.id, currency: 'EUR', limit: '0.50', created_at: at() }, [
            bob.keys,
          ]),
        ),
        'trust_limit_below_balance',
      );
      rejectedWith(
        await one(
          await transaction(
            'ledger.trust.set',
            { holder: issuer.id, currency: 'EUR', limit: '5.00', created_at: at() },
            [issuer.keys],
          ),
        ),
        'trust_line_self',
      );
      const freeze = await transaction(
        'ledger.holder.set',
        { currency: 'EUR', holder: bob.id, frozen: true, created_at: at() },
        [issuer.keys],
      );
      rejectedWith(
        await one(
          await transaction('ledger.holder.set', { currency: 'EUR', holder: bob.id, frozen: true, created_at: at() }, [
            bob.keys,
          ]),
        ),
        'authorization_insufficient',
      );
      accepted(await one(freeze));
      const toCarol = await transaction(
        'ledger.transfer',
        { legs: [{ from: bob.id, to: carol.id, currency: 'EUR', amount: '1.00' }], created_at: at() },
        [bob.keys],
      );
      rejectedWith(await one(toCarol), 'holder_frozen');
      const backToIssuer = await transaction(
        'ledger.transfer',
        { legs: [{ from: bob.id, to: issuer.id, currency: 'EUR', amount: '1.00' }], created_at: at() },
        [bob.keys],
      );
      accepted(await one(backToIssuer));
      accepted(
        await one(
          await transaction(
            'ledger.holder.set',
            { currency: 'EUR', holder: bob.id, frozen: false, credit_limit: '20.00', created_at: at() },
            [issuer.keys],
          ),
        ),
      );
      const bobBalance = (await balance(bob.id, 'EUR'))!;
      const overdraft = (Number(bobBalance.balance) + 15).toFixed(2);
      accepted(
        await one(
          await transaction(
            'ledger.transfer',
            { legs: [{ from: bob.id, to: carol.id, currency: 'EUR', amount: overdraft }], created_at: at() },
            [bob.keys],
          ),
        ),
      );
      assert.equal((await balance(bob.id, 'EUR'))?.balance, '-15.00');
      rejectedWith(
        await one(
          await transaction(
            'ledger.transfer',
            { legs: [{ from: bob.id, to: carol.id, currency: 'EUR', amount: '5.01' }], created_at: at() },
            [bob.keys],
          ),
        ),
        'insufficient_funds',
      );
      rejectedWith(
        await one(
          await transaction(
            'ledger.holder.set',
            { currency: 'EUR', holder: bob.id, credit_limit: '10.00', created_at: at() },
            [issuer.keys],
          ),
        ),
        'credit_limit_below_debt',
      );
    });

    test('m-of-n accounts need enough member signatures', async (t) => {
      if (!requireEngine(t, engine)) return;
      const [m1, m2, m3] = await Promise.all([party(), party(), party()]);
      const create = await transaction(
        'ledger.account.create',
        { account: m1.id, keys: [m1.id, m2.id, m3.id], threshold: 2, created_at: at() },
        [m1.keys, m3.keys],
      );
      accepted(await one(create));
      accepted(
        await one(
          await transaction('ledger.trust.set', { holder: m1.id, currency: 'EUR', limit: '100.00', created_at: at() }, [
            m1.keys,
            m2.keys,
          ]),
        ),
      );
      accepted(
        await one(
          await transaction(
            'ledger.transfer',
            { legs: [{ from: alice.id, to: m1.id, currency: 'EUR', amount: '10.00' }], created_at: at() },
            [alice.keys],
          ),
        ),
      );
      const spend = (signers: KeyPair[]) =>
        transaction(
          'ledger.transfer',
          { legs: [{ from: m1.id, to: carol.id, currency: 'EUR', amount: '1.00' }], created_at: at() },
          signers,
        );
      rejectedWith(await one(await spend([m2.keys])), 'authorization_insufficient');
      accepted(await one(await spend([m2.keys, m3.keys])));
    });

    test('spending policy: small payments need fewer signatures within a rolling cap; account.update replaces keys', async (t) => {
      if (!requireEngine(t, engine)) return;
      const [m1, m2, m3, n1, n2] = await Promise.all([party(), party(), party(), party(), party()]);
      const hour = 3_600_000;
      const policy = (amount_max: string, window_amount_max: string) => ({
        small_payments: [{ currency: 'EUR', amount_max, threshold: 1, window_ms: hour, window_amount_max }],
      });
      accepted(
        await one(
          await transaction(
            'ledger.account.create',
            {
              account: m1.id,
              keys: [m1.id, m2.id, m3.id],
              threshold: 2,
              spending_policy: policy('50.00', '80.00'),
              created_at: at(),
            },
            [m1.keys, m2.keys],
          ),
        ),
      );
      const trust = (signers: KeyPair[]) =>
        transaction(
          'ledger.trust.set',
          { holder: m1.id, currency: 'EUR', limit: '1000.00', created_at: at() },
          signers,
        );
      rejectedWith(await one(await trust([m1.keys])), 'authorization_insufficient');
      accepted(await one(await trust([m1.keys, m2.keys])));
      accepted(
        await one(
          await transaction(
            'ledger.transfer',
            { legs: [{ from: issuer.id, to: m1.id, currency: 'EUR', amount: '500.00' }], created_at: at() },
            [issuer.keys],
          ),
        ),
      );
      const spend = (amount: string, signers: KeyPair[], extra: object = {}) =>
        transaction(
          'ledger.transfer',
          { legs: [{ from: m1.id, to: carol.id, currency: 'EUR', amount }], created_at: at(), ...extra },
          signers,
        );
      const smallRefusal = (result: SubmitResult | undefined) => {
        rejectedWith(result, 'authorization_insufficient');
        return (result as { error: { details: { small_payment?: { reason: string; window_spent?: string } } } }).error
          .details.small_payment;
      };
      const windowSpent = async () => (await ledger.account(m1.id))?.spending_policy?.small_payments[0]?.window_spent;

      // At amount_max one signature is enough; a cent above it needs the full threshold.
      accepted(await one(await spend('50.00', [m2.keys])));
      assert.equal(await windowSpent(), '50.00');
      assert.match(smallRefusal(await one(await spend('50.01', [m2.keys])))!.reason, /amount_max/);
      accepted(await one(await spend('50.01', [m2.keys, m3.keys])));
      assert.equal(await windowSpent(), '50.00', 'fully signed payments do not use the small-payment window');
      // Pending transfers and anything but a plain debit need the full threshold.
      const hold = { pending: { expires_at: new Date(clock.now() + 60_000).toISOString() } };
      rejectedWith(await one(await spend('1.00', [m2.keys], hold)), 'authorization_insufficient');
      // Payments use the same rule; splitting stops at the rolling cap.
      const pay = (amount: string, signers: KeyPair[]) =>
        transaction(
          'ledger.payment',
          {
            from: m1.id,
            to: bob.id,
            deliver: { currency: 'EUR', amount },
            send_max: { currency: 'EUR', amount },
            created_at: at(),
          },
          signers,
        );
      accepted(await one(await pay('10.00', [m3.keys])));
      const split = smallRefusal(await one(await spend('25.00', [m1.keys])));
      assert.match(split!.reason, /window/);
      assert.equal(split!.window_spent, '60.00');
      accepted(await one(await spend('20.00', [m1.keys])));
      rejectedWith(await one(await pay('0.01', [m1.keys])), 'authorization_insufficient');
      accepted(await one(await spend('25.00', [m1.keys, m3.keys])));
      clock.advance(hour + hour / 64 + 1);
      assert.equal(await windowSpent(), '0.00');
      accepted(await one(await spend('25.00', [m1.keys])));
      assert.equal(await windowSpent(), '25.00');

      // account.update needs the current full threshold, and the new threshold of the new keys.
      const update = (keys: string[], threshold: number, signers: KeyPair[]) =>
        transaction(
          'ledger.account.update',
          { account: m1.id, keys, threshold, spending_policy: policy('10.00', '40.00'), created_at: at() },
          signers,
        );
      rejectedWith(await one(await update([m1.id, m3.id, n1.id], 2, [m1.keys])), 'authorization_insufficient');
      rejectedWith(await one(await update([n1.id, n2.id], 2, [m1.keys, m3.keys])), 'authorization_insufficient');
      accepted(await one(await update([m1.id, m3.id, n1.id], 2, [m1.keys, m3.keys])));
      const view = (await ledger.account(m1.id))!;
      assert.deepEqual(view.keys, [m1.id, m3.id, n1.id]);
      assert.equal(view.threshold, 2);
      assert.deepEqual(view.spending_policy, {
        small_payments: [
          {
            currency: 'EUR',
            amount_max: '10.00',
            threshold: 1,
            window_ms: hour,
            window_amount_max: '40.00',
            window_spent: '25.00',
          },
        ],
      });
      // The removed key no longer signs, alone or with an old partner; the new key does.
      rejectedWith(await one(await spend('1.00', [m2.keys])), 'authorization_insufficient');
      rejectedWith(await one(await spend('11.00', [m2.keys, m3.keys])), 'authorization_insufficient');
      accepted(await one(await spend('11.00', [n1.keys, m3.keys])));
      accepted(await one(await spend('10.00', [n1.keys])));
      assert.match(smallRefusal(await one(await spend('10.01', [n1.keys])))!.reason, /amount_max/);

      // The audit replays every transaction against the keys of its time and agrees.
      const report = await auditLedger(ledger.storage, { nodeKeys: [nodeKey.publicKey] });
      assert.deepEqual(report.problems, []);
      // A key slipped into the stored row, outside the log, is caught.
      const raw = ledger.storage as unknown as { unsafeExec(sql: string): unknown };
      const keysJson = (keys: string[]) => JSON.stringify(keys).replaceAll("'", "''");
      await raw.unsafeExec(`UPDATE accounts SET keys = '${keysJson([m1.id, m2.id, n2.id])}' WHERE id = '${m1.id}'`);
      const tampered = await auditLedger(ledger.storage, { nodeKeys: [nodeKey.publicKey] });
      assert.ok(
        tampered.problems.some((p) => p.includes(`account ${m1.id}: stored keys`)),
        tampered.problems.join('\n'),
      );
      await raw.unsafeExec(`UPDATE accounts SET keys = '${keysJson([m1.id, m3.id, n1.id])}' WHERE id = '${m1.id}'`);
      assert.deepEqual((await auditLedger(ledger.storage, { nodeKeys: [nodeKey.publicKey] })).problems, []);
    });

    test('spending policies and account updates with bad shapes are refused with details', async (t) => {
      if (!requireEngine(t, engine)) return;
      const [k1, k2] = await Promise.all([party(), party()]);
      const rule = {
        currency: 'EUR',
        amount_max: '5.00',
        threshold: 1,
        window_ms: 86_400_000,
        window_amount_max: '20.00',
      };
      const create = (small_payments: unknown[], extra: object = {}) =>
        createDocument(
          'ledger.account.create',
          1,
          {
            id: newTransactionId(),
            created_at: at(),
            account: k1.id,
            keys: [k1.id, k2.id],
            threshold: 2,
            spending_policy: { small_payments },
            ...extra,
          },
          [k1.keys, k2.keys],
        );
      const refused = async (doc: unknown, code = 'transaction_invalid') => {
        const result = await one(doc);
        rejectedWith(result, code);
        return (result as { error: { details: Record<string, unknown> } }).error.details;
      };
      const schemaPaths = (details: Record<string, unknown>) =>
        (details.errors as { path: string }[]).map((e) => e.path).join(' ');
      // Schema: caught before the ledger looks at state, with the offending paths.
      assert.match(
        schemaPaths(await refused(await create([{ ...rule, threshold: 0 }]))),
        /spending_policy\/small_payments\/0\/threshold/,
      );
      assert.match(schemaPaths(await refused(await create([{ ...rule, window_ms: 1_000 }]))), /window_ms/);
      assert.match(schemaPaths(await refused(await create([{ ...rule, limit: '1' }]))), /small_payments\/0/);
      assert.match(schemaPaths(await refused(await create([rule, rule, rule, rule, rule]))), /small_payments/);
      assert.match(schemaPaths(await refused(await create([{ ...rule, amount_max: 5 }]))), /amount_max/);
      // Rules: with the field and the reason.
      const field = async (doc: unknown, code?: string) => (await refused(doc, code)).field;
      assert.equal(
        await field(await create([{ ...rule, threshold: 2 }])),
        'spending_policy.small_payments[0].threshold',
      );
      assert.equal(await field(await create([rule, { ...rule }])), 'spending_policy.small_payments[1].currency');
      assert.equal(
        await field(await create([{ ...rule, amount_max: '5.001' }])),
        'spending_policy.small_payments[0].amount_max',
      );
      assert.equal(
        await field(await create([{ ...rule, window_amount_max: '4.99' }])),
        'spending_policy.small_payments[0].window_amount_max',
      );
      assert.equal(
        await field(await create([{ ...rule, currency: 'NOPE' }]), 'currency_not_found'),
        'spending_policy.small_payments[0]',
      );
      await refused(
        await createDocument(
          'ledger.account.create',
          1,
          {
            id: newTransactionId(),
            created_at: at(),
            account: 'acc_policy',
            spending_policy: { small_payments: [rule] },
          },
          [],
        ),
      );
      // A good one, then updates with bad shapes.
      accepted(await one(await create([rule])));
      const update = (body: object, signers = [k1.keys, k2.keys]) =>
        createDocument(
          'ledger.account.update',
          1,
          { id: newTransactionId(), created_at: at(), account: k1.id, keys: [k1.id, k2.id], threshold: 2, ...body },
          signers,
        );
      assert.match(schemaPaths(await refused(await update({ threshold: 0 }))), /threshold/);
      assert.match(schemaPaths(await refused(await update({ keys: [] }))), /keys/);
      assert.match(schemaPaths(await refused(await update({ keys: [k1.id, k1.id] }))), /keys/);
      assert.match(String((await refused(await update({ threshold: 3 }))).reason), /larger than the number of keys/);
      accepted(
        await one(await transaction('ledger.account.create', { account: 'acc_update', created_at: at() }), {
          nodeAuthorized: true,
        }),
      );
      const custodial = await refused(
        await update({ account: 'acc_update', keys: [k1.id], threshold: 1 }),
        'transaction_invalid',
      );
      assert.match(String(custodial.reason), /custodial/);
      await refused(await update({ account: 'acc_nobody', keys: [k1.id], threshold: 1 }), 'account_not_found');
      // Dropping the policy is an update without one; the account then needs both keys for everything.
      accepted(await one(await update({})));
      assert.equal((await ledger.account(k1.id))!.spending_policy, null);
    });

    test('two-phase transfers: hold, partial post, void, hashlock, expiry', async (t) => {
      if (!requireEngine(t, engine)) return;
      const start = (await balance(alice.id, 'EUR'))!;
      const expires = new Date(clock.now() + 60_000).toISOString();
      const hold = await transaction(
        'ledger.transfer',
        {
          legs: [{ from: alice.id, to: carol.id, currency: 'EUR', amount: '10.00' }],
          pending: { expires_at: expires },
          created_at: at(),
        },
        [alice.keys],
      );
      accepted(await one(hold));
      let view = (await balance(alice.id, 'EUR'))!;
      assert.equal(view.held, '10.00');
      assert.equal(view.balance, start.balance);
      assert.equal((await ledger.account(alice.id))?.pending.length, 1);
      rejectedWith(
        await one(
          await transaction('ledger.transfer.post', { pending_id: hold.body.id, created_at: at() }, [carol.keys]),
        ),
        'authorization_insufficient',
      );
      rejectedWith(
        await one(
          await transaction('ledger.transfer.post', { pending_id: hold.body.id, amount: '10.01', created_at: at() }, [
            alice.keys,
          ]),
        ),
        'post_amount_invalid',
      );
      accepted(
        await one(
          await transaction('ledger.transfer.post', { pending_id: hold.body.id, amount: '4.00', created_at: at() }, [
            alice.keys,
          ]),
        ),
      );
      view = (await balance(alice.id, 'EUR'))!;
      assert.equal(view.held, '0.00');
      assert.equal(Number(view.balance), Number(start.balance) - 4);
      rejectedWith(
        await one(
          await transaction('ledger.transfer.void', { pending_id: hold.body.id, created_at: at() }, [alice.keys]),
        ),
        'hold_closed',
      );
      rejectedWith(
        await one(
          await transaction('ledger.transfer.post', { pending_id: 'no-such-hold', created_at: at() }, [alice.keys]),
        ),
        'hold_not_found',
      );

      const voided = await transaction(
        'ledger.transfer',
        {
          legs: [{ from: alice.id, to: carol.id, currency: 'EUR', amount: '2.00' }],
          pending: { expires_at: expires },
          created_at: at(),
        },
        [alice.keys],
      );
      accepted(await one(voided));
      accepted(
        await one(
          await transaction('ledger.transfer.void', { pending_id: voided.body.id, created_at: at() }, [carol.keys]),
        ),
      );

      const preimage = randomBytes(32);
      const locked = await transaction(
        'ledger.transfer',
        {
          legs: [{ from: alice.id, to: carol.id, currency: 'EUR', amount: '3.00' }],
          pending: { expires_at: expires, hashlock: toHex(sha256(preimage)) },
          created_at: at(),
        },
        [alice.keys],
      );
      accepted(await one(locked));
      rejectedWith(
        await one(
          await transaction(
            'ledger.transfer.post',
            { pending_id: locked.body.id, preimage: toHex(randomBytes(32)), created_at: at() },
            [carol.keys],
          ),
        ),
        'preimage_invalid',
      );
      // Anyone revealing the preimage may post: no signature needed.
      accepted(
        await one(
          await transaction('ledger.transfer.post', {
            pending_id: locked.body.id,
            preimage: toHex(preimage),
            created_at: at(),
          }),
        ),
      );

      const expiring = await transaction(
        'ledger.transfer',
        {
          legs: [{ from: alice.id, to: carol.id, currency: 'EUR', amount: '7.00' }],
          pending: { expires_at: new Date(clock.now() + 5_000).toISOString() },
          created_at: at(),
        },
        [alice.keys],
      );
      accepted(await one(expiring));
      assert.equal((await balance(alice.id, 'EUR'))?.held, '7.00');
      clock.advance(6_000);
      await waitFor(async () => (await balance(alice.id, 'EUR'))?.held === '0.00');
      const expiry = await ledger.transaction(`sys:expire:${expiring.body.id}`);
      assert.equal(expiry?.type, 'ledger.transfer.expire');
      rejectedWith(
        await one(
          await transaction('ledger.transfer.post', { pending_id: expiring.body.id, created_at: at() }, [alice.keys]),
        ),
        'hold_closed',
      );
      const late = await transaction(
        'ledger.transfer',
        {
          legs: [{ from: alice.id, to: carol.id, currency: 'EUR', amount: '1.00' }],
          pending: { expires_at: new Date(clock.now() - 1).toISOString() },
          created_at: at(),
        },
        [alice.keys],
      );
      rejectedWith(await one(late), 'hold_expired');
    });

    test('transfer fees go to the issuer and keep the sum at zero', async (t) => {
      if (!requireEngine(t, engine)) return;
      accepted(
        await one(
          await transaction(
            'ledger.currency.issue',
            { issuer: issuer.id, currency: 'PTS', scale: 0, transfer_fee_bps: 100, created_at: at() },
            [issuer.keys],
          ),
        ),
      );
      for (const p of [alice, bob])
        accepted(
          await one(
            await transaction(
              'ledger.trust.set',
              { holder: p.id, currency: 'PTS', limit: '100000', created_at: at() },
              [p.keys],
            ),
          ),
        );
      accepted(
        await one(
          await transaction(
            'ledger.transfer',
            { legs: [{ from: issuer.id, to: alice.id, currency: 'PTS', amount: '1000' }], created_at: at() },
            [issuer.keys],
          ),
        ),
      );
      accepted(
        await one(
          await transaction(
            'ledger.transfer',
            { legs: [{ from: alice.id, to: bob.id, currency: 'PTS', amount: '150' }], created_at: at() },
            [alice.keys],
          ),
        ),
      );
      assert.equal((await balance(alice.id, 'PTS'))?.balance, '848'); // 150 + ceil(1.5) fee
      assert.equal((await balance(bob.id, 'PTS'))?.balance, '150');
      assert.equal((await balance(issuer.id, 'PTS'))?.balance, '-998');
    });

    test('multi-hop payments ripple through intermediaries, fees per hop, all-or-nothing', async (t) => {
      if (!requireEngine(t, engine)) return;
      const [bankX, bankY, maker, payer, payee] = await Promise.all([party(), party(), party(), party(), party()]);
      for (const p of [bankX, bankY, payer, payee])
        accepted(await one(await transaction('ledger.account.create', { account: p.id, created_at: at() }, [p.keys])));
      accepted(
        await one(
          await transaction('ledger.account.create', { account: maker.id, allow_rippling: true, created_at: at() }, [
            maker.keys,
          ]),
        ),
      );
      accepted(
        await one(
          await transaction(
            'ledger.currency.issue',
            { issuer: bankX.id, currency: 'USDX', scale: 2, created_at: at() },
            [bankX.keys],
          ),
        ),
      );
      accepted(
        await one(
          await transaction(
            'ledger.currency.issue',
            { issuer: bankY.id, currency: 'USDY', scale: 2, transfer_fee_bps: 100, created_at: at() },
            [bankY.keys],
          ),
        ),
      );
      const trust = (p: Party, currency: string) =>
        transaction('ledger.trust.set', { holder: p.id, currency, limit: '1000.00', created_at: at() }, [p.keys]);
      for (const doc of [
        await trust(payer, 'USDX'),
        await trust(maker, 'USDX'),
        await trust(maker, 'USDY'),
        await trust(payee, 'USDY'),
      ])
        accepted(await one(doc));
      accepted(
        await one(
          await transaction(
            'ledger.transfer',
            { legs: [{ from: bankX.id, to: payer.id, currency: 'USDX', amount: '100.00' }], created_at: at() },
            [bankX.keys],
          ),
        ),
      );
      accepted(
        await one(
          await transaction(
            'ledger.transfer',
            { legs: [{ from: bankY.id, to: maker.id, currency: 'USDY', amount: '100.00' }], created_at: at() },
            [bankY.keys],
          ),
        ),
      );

      const payment = (extra: Record<string, unknown>) =>
        transaction(
          'ledger.payment',
          {
            from: payer.id,
            to: payee.id,
            deliver: { currency: 'USDY', amount: '10.00' },
            send_max: { currency: 'USDX', amount: '10.10' },
            created_at: at(),
            ...extra,
          } as never,
          [payer.keys],
        );
      rejectedWith(await one(await payment({ send_max: { currency: 'USDX', amount: '10.09' } })), 'send_max_exceeded');
      rejectedWith(await one(await payment({ path: [{ account: payee.id, currency: 'USDY' }] })), 'path_invalid');
      // The node finds payer -USDX-> maker -USDY-> payee; the maker pays the 1% USDY fee and is made whole in USDX.
      accepted(await one(await payment({})));
      assert.equal((await balance(payer.id, 'USDX'))?.balance, '89.90');
      assert.equal((await balance(maker.id, 'USDX'))?.balance, '10.10');
      assert.equal((await balance(maker.id, 'USDY'))?.balance, '89.90');
      assert.equal((await balance(payee.id, 'USDY'))?.balance, '10.00');
      accepted(await one(await payment({ path: [{ account: maker.id, currency: 'USDY' }] })));
      assert.equal((await balance(payee.id, 'USDY'))?.balance, '20.00');
      const tooBig = await transaction(
        'ledger.payment',
        {
          from: payer.id,
          to: payee.id,
          deliver: { currency: 'USDY', amount: '95.00' },
          send_max: { currency: 'USDX', amount: '100.00' },
          created_at: at(),
        },
        [payer.keys],
      );
      rejectedWith(await one(tooBig), 'insufficient_funds');
      assert.equal((await balance(payer.id, 'USDX'))?.balance, '79.80', 'a failed payment moves nothing');
      const stranger = await party();
      accepted(
        await one(
          await transaction('ledger.account.create', { account: stranger.id, created_at: at() }, [stranger.keys]),
        ),
      );
      rejectedWith(
        await one(
          await transaction(
            'ledger.payment',
            {
              from: payer.id,
              to: stranger.id,
              deliver: { currency: 'USDY', amount: '1.00' },
              send_max: { currency: 'USDX', amount: '2.00' },
              created_at: at(),
            },
            [payer.keys],
          ),
        ),
        'path_not_found',
      );
    });

    test('blocks seal, receipts verify offline with only the node key, checkpoints stay consistent', async (t) => {
      if (!requireEngine(t, engine)) return;
      clock.advance(2_000);
      const first = await waitFor(async () => {
        const block = await ledger.latestBlock();
        return block?.block.body.tree_size === ledger.logSize ? block : undefined;
      });
      const doc = await transaction(
        'ledger.transfer',
        { legs: [{ from: alice.id, to: bob.id, currency: 'EUR', amount: '1.00' }], created_at: at() },
        [alice.keys],
      );
      const result = accepted(await one(doc));
      assert.equal((await ledger.transaction(doc.body.id))?.receipt, null, 'no receipt before the block is sealed');
      clock.advance(2_000);
      const view = await waitFor(async () => {
        const tx = await ledger.transaction(doc.body.id);
        return tx?.receipt ? tx : undefined;
      });
      assert.equal(view.seq, result.seq);
      const receipt = JSON.parse(JSON.stringify(view.receipt));
      const verified = await verifyReceipt(receipt, [nodeKey.publicKey]);
      assert.ok(verified.ok, JSON.stringify(verified));
      assert.equal(verified.value.index, result.seq);
      assert.equal(verified.value.document_id, result.document_id);

      const latest = (await ledger.latestBlock())!;
      assert.equal(latest.block.body.previous !== null, true);
      const proof = await ledger.consistencyProof(first.block.body.tree_size, latest.block.body.tree_size);
      assert.ok(!(proof instanceof Error));
      const consistent = verifyConsistency(
        first.block.body.tree_size,
        latest.block.body.tree_size,
        unwrap(fromHex(first.block.body.root)),
        unwrap(fromHex(latest.block.body.root)),
        proof.proof.map((h) => unwrap(fromHex(h))),
      );
      assert.ok(consistent.ok);
      const inclusion = await ledger.inclusionProof(doc.body.id);
      assert.ok(!(inclusion instanceof Error));
      assert.equal(inclusion.tree_size, latest.block.body.tree_size);
    });

    test('history, audit, and a restart that continues the chain', async (t) => {
      if (!requireEngine(t, engine)) return;
      const history = await ledger.accountTransactions(alice.id, { limit: 5 });
      assert.equal(history.length, 5);
      assert.ok(history[0]!.seq > history[4]!.seq, 'newest first');
      const older = await ledger.accountTransactions(alice.id, { limit: 5, after: history[4]!.seq });
      assert.ok(older[0]!.seq < history[4]!.seq);

      const report = await auditLedger(ledger.storage, { nodeKeys: [nodeKey.publicKey] });
      assert.deepEqual(report.problems, []);
      assert.equal(report.transactions, ledger.logSize);

      const aliceBefore = await ledger.account(alice.id);
      const sizeBefore = ledger.logSize;
      const latestBefore = (await ledger.latestBlock())!;
      await ledger.close();
      ledger = await openLedger(await instance!.reopen(), nodeKey, { clock: clock.now, block_interval_ms: 1_000 });
      assert.deepEqual(await ledger.account(alice.id), aliceBefore);
      assert.equal(ledger.logSize, sizeBefore);
      accepted(
        await one(
          await transaction(
            'ledger.transfer',
            { legs: [{ from: alice.id, to: bob.id, currency: 'EUR', amount: '1.00' }], created_at: at() },
            [alice.keys],
          ),
        ),
      );
      clock.advance(2_000);
      const next = await waitFor(async () => {
        const b = await ledger.latestBlock();
        return b && b.height > latestBefore.height ? b : undefined;
      });
      assert.equal(next.block.body.previous, latestBefore.hash);
      assert.deepEqual((await auditLedger(ledger.storage, { nodeKeys: [nodeKey.publicKey] })).problems, []);
    });
  });
}
