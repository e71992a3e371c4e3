import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  encodePrefixed,
  generateKeyPair,
  type KeyPair,
  randomBytes,
  type SignedDocument,
  sha256,
  toHex,
} from '@webwallet/core';
import fc from 'fast-check';
import { auditLedger } from './audit.js';
import { transaction } from './documents.js';
import { SPENT_SLICES_PER_WINDOW } from './engine/policy.js';
import type { Ledger, SubmitResult } from './ledger.js';
import { ENGINES, manualClock, newNodeKey, openLedger, requireEngine } from './test-support.js';

/**
 * Random streams of every transaction kind, submitted in concurrent waves so that several land in
 * one group commit. After every wave: the invariants hold (each currency sums to zero, no balance
 * beyond its limits, holds match pending transfers) and resubmitting accepted documents is
 * idempotent. At the end, replaying the log from empty state (the audit) reproduces the stored
 * balances and every block hash.
 */

const ACCOUNTS = 5;
const CURRENCIES = ['GOLD', 'PTS'] as const;

type Command =
  | { kind: 'transfer'; from: number; to: number; currency: number; amount: number; extraLeg: boolean }
  | { kind: 'hold'; from: number; to: number; currency: number; amount: number; ttl_s: number; locked: boolean }
  | { kind: 'post'; hold: number; partial: number; withPreimage: boolean }
  | { kind: 'void'; hold: number; byPayee: boolean }
  | { kind: 'trust'; holder: number; currency: number; limit: number }
  | { kind: 'holder'; holder: number; currency: number; frozen: boolean; credit: number }
  | { kind: 'pay'; from: number; to: number; currency: number; amount: number; slack: number }
  | { kind: 'tick'; seconds: number }
  | { kind: 'replay'; pick: number };

const account = fc.integer({ min: 0, max: ACCOUNTS - 1 });
/** Holders, or the issuer (index ACCOUNTS), for transfers. */
const anyone = fc.integer({ min: 0, max: ACCOUNTS });
const currency = fc.integer({ min: 0, max: CURRENCIES.length - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('transfer' as const),
      from: anyone,
      to: anyone,
      currency,
      amount: fc.integer({ min: 1, max: 400 }),
      extraLeg: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('hold' as const),
      from: account,
      to: account,
      currency,
      amount: fc.integer({ min: 1, max: 300 }),
      ttl_s: fc.integer({ min: 1, max: 20 }),
      locked: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('post' as const),
      hold: fc.nat(),
      partial: fc.integer({ min: 0, max: 100 }),
      withPreimage: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), hold: fc.nat(), byPayee: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('trust' as const),
      holder: account,
      currency,
      limit: fc.integer({ min: 0, max: 3000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('holder' as const),
      holder: account,
      currency,
      frozen: fc.boolean(),
      credit: fc.integer({ min: 0, max: 200 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), seconds: fc.integer({ min: 1, max: 15 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      from: account,
      to: account,
      currency,
      amount: fc.integer({ min: 1, max: 300 }),
      slack: fc.integer({ min: 0, max: 20 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }) },
);

interface Party {
  keys: KeyPair;
  id: string;
}

for (const engine of ENGINES) {
  describe(`ledger properties on ${engine.name}`, () => {
    test('random streams keep every invariant, resubmission is idempotent, replay reproduces the ledger', {
      timeout: 300_000,
    }, async (t) => {
      if (!requireEngine(t, engine)) return;
      const parties: Party[] = [];
      for (let i = 0; i <= ACCOUNTS; i++) {
        const keys = await generateKeyPair();
        parties.push({ keys, id: encodePrefixed('pub', keys.publicKey) });
      }
      const issuer = parties[ACCOUNTS]!;
      const holders = parties.slice(0, ACCOUNTS);
      let runs = 0;

      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(command, { minLength: 1, maxLength: 6 }), { minLength: 3, maxLength: 8 }),
          async (waves) => {
            runs++;
            const instance = await engine.create();
            const clock = manualClock();
            const nodeKey = await newNodeKey();
            const ledger = await openLedger(instance.storage, nodeKey, {
              clock: clock.now,
              block_transactions_max: 7,
              block_interval_ms: 5_000,
            });
            try {
              const at = () => clock.iso();
              const accepted: SignedDocument[] = [];
              const holds: { id: string; from: Party; to: Party; preimage: Uint8Array | null }[] = [];
              const expectAll = async (docs: unknown[]) => {
                for (const r of await ledger.submit(docs)) assert.equal(r.status, 'accepted', JSON.stringify(r));
              };
              await expectAll(
                await Promise.all(
                  parties.map((p) =>
                    transaction('ledger.account.create', { account: p.id, created_at: at() }, [p.keys]),
                  ),
                ),
              );
              await expectAll([
                await transaction(
                  'ledger.currency.issue',
                  { issuer: issuer.id, currency: 'GOLD', scale: 2, max_supply: '50.00', created_at: at() },
                  [issuer.keys],
                ),
                await transaction(
                  'ledger.currency.issue',
                  { issuer: issuer.id, currency: 'PTS', scale: 0, transfer_fee_bps: 250, created_at: at() },
                  [issuer.keys],
                ),
              ]);
              const lines = holders.flatMap((h) =>
                CURRENCIES.map((c) =>
                  transaction('ledger.trust.set', { holder: h.id, currency: c, limit: '2000', created_at: at() }, [
                    h.keys,
                  ]),
                ),
              );
              await expectAll(await Promise.all(lines));
              await expectAll(
                await Promise.all(
                  holders.map((h) =>
                    transaction(
                      'ledger.transfer',
                      { legs: [{ from: issuer.id, to: h.id, currency: 'PTS', amount: '500' }], created_at: at() },
                      [issuer.keys],
                    ),
                  ),
                ),
              );
              await expectAll(
                await Promise.all(
                  holders.map((h) =>
                    transaction(
                      'ledger.transfer',
                      { legs: [{ from: issuer.id, to: h.id, currency: 'GOLD', amount: '5.00' }], created_at: at() },
                      [issuer.keys],
                    ),
                  ),
                ),
              );

              const amountText = (c: number, minor: number) =>
                CURRENCIES[c] === 'GOLD' ? (minor / 100).toFixed(2) : String(minor);
              const party = (i: number) => (i === ACCOUNTS ? issuer : holders[i]!);

              const build = async (cmd: Command): Promise<unknown | undefined> => {
                switch (cmd.kind) {
                  case 'transfer': {
                    const from = party(cmd.from);
                    const legs = [
                      {
                        from: from.id,
                        to: party(cmd.to).id,
                        currency: CURRENCIES[cmd.currency]!,
                        amount: amountText(cmd.currency, cmd.amount),
                      },
                    ];
                    if (cmd.extraLeg)
                      legs.push({
                        from: party(cmd.to).id,
                        to: party((cmd.to + 1) % ACCOUNTS).id,
                        currency: CURRENCIES[cmd.currency]!,
                        amount: amountText(cmd.currency, 1),
                      });
                    const signers = [...new Set(legs.map((l) => l.from))].map(
                      (id) => parties.find((p) => p.id === id)!.keys,
                    );
                    return transaction('ledger.transfer', { legs, created_at: at() }, signers);
                  }
                  case 'hold': {
                    const preimage = cmd.locked ? randomBytes(32) : null;
                    const from = party(cmd.from);
                    const to = party(cmd.to);
                    const doc = await transaction(
                      'ledger.transfer',
                      {
                        legs: [
                          {
                            from: from.id,
                            to: to.id,
                            currency: CURRENCIES[cmd.currency]!,
                            amount: amountText(cmd.currency, cmd.amount),
                          },
                        ],
                        pending: {
                          expires_at: new Date(clock.now() + cmd.ttl_s * 1000).toISOString(),
                          ...(preimage ? { hashlock: toHex(sha256(preimage)) } : {}),
                        },
                        created_at: at(),
                      },
                      [from.keys],
                    );
                    holds.push({ id: doc.body.id, from, to, preimage });
                    return doc;
                  }
                  case 'post': {
                    const hold = holds[cmd.hold % Math.max(1, holds.length)];
                    if (!hold) return undefined;
                    const partial = cmd.partial > 50 ? { amount: '1' } : {};
                    const preimage = hold.preimage && cmd.withPreimage ? { preimage: toHex(hold.preimage) } : {};
                    return transaction(
                      'ledger.transfer.post',
                      { pending_id: hold.id, ...partial, ...preimage, created_at: at() },
                      [hold.from.keys],
                    );
                  }
                  case 'void': {
                    const hold = holds[cmd.hold % Math.max(1, holds.length)];
                    if (!hold) return undefined;
                    return transaction('ledger.transfer.void', { pending_id: hold.id, created_at: at() }, [
                      cmd.byPayee ? hold.to.keys : hold.from.keys,
                    ]);
                  }
                  case 'trust':
                    return transaction(
                      'ledger.trust.set',
                      {
                        holder: holders[cmd.holder]!.id,
                        currency: CURRENCIES[cmd.currency]!,
                        limit: amountText(cmd.currency, cmd.limit),
                        created_at: at(),
                      },
                      [holders[cmd.holder]!.keys],
                    );
                  case 'holder':
                    return transaction(
                      'ledger.holder.set',
                      {
                        holder: holders[cmd.holder]!.id,
                        currency: CURRENCIES[cmd.currency]!,
                        frozen: cmd.frozen,
                        credit_limit: amountText(cmd.currency, cmd.credit),
                        created_at: at(),
                      },
                      [issuer.keys],
                    );
                  case 'pay': {
                    const from = party(cmd.from);
                    const code = CURRENCIES[cmd.currency]!;
                    return transaction(
                      'ledger.payment',
                      {
                        from: from.id,
                        to: party(cmd.to).id,
                        deliver: { currency: code, amount: amountText(cmd.currency, cmd.amount) },
                        send_max: { currency: code, amount: amountText(cmd.currency, cmd.amount + cmd.slack) },
                        created_at: at(),
                      },
                      [from.keys],
                    );
                  }
                  case 'tick':
                    clock.advance(cmd.seconds * 1000);
                    return undefined;
                  case 'replay':
                    return accepted[cmd.pick % Math.max(1, accepted.length)];
                }
              };

              for (const wave of waves) {
                const docs = (await Promise.all(wave.map(build))).filter((d) => d !== undefined);
                // Concurrent submissions: several land in one sequencer batch.
                const results = (await Promise.all(docs.map((d) => ledger.submit([d])))).flat();
                results.forEach((r: SubmitResult, i) => {
                  if (r.status === 'accepted' && !r.duplicate) accepted.push(docs[i] as SignedDocument);
                });
                assert.deepEqual(ledger.checkInvariants(), []);
                const sample = accepted.slice(-3);
                for (const r of await ledger.submit(sample)) {
                  assert.equal(r.status, 'accepted');
                  assert.equal((r as { duplicate: boolean }).duplicate, true);
                }
              }
              clock.advance(30_000); // expire the remaining holds and seal the last block
              await waitUntilSettled(
                ledger,
                holders.map((h) => h.id),
                clock,
              );
              assert.deepEqual(ledger.checkInvariants(), []);
              const report = await auditLedger(ledger.storage, { nodeKeys: [nodeKey.publicKey] });
              assert.deepEqual(report.problems, []);
              assert.equal(report.transactions, ledger.logSize);
            } finally {
              await ledger.close();
              await instance.cleanup();
            }
          },
        ),
        { numRuns: Number(process.env.PROP_RUNS ?? 12) },
      );
      assert.ok(runs >= 1);
    });
  });
}

/** Keys the policy property draws account keys and signers from. */
const POLICY_KEYS = 5;

type PolicyCommand =
  | { kind: 'spend'; percent: number; signing: Signing; payment: boolean }
  | { kind: 'tick'; ms: number }
  | { kind: 'update'; keys: number[]; threshold: number; small: number; amountMax: number; signers: number[] };

/** Who signs a spend: the small-payment threshold of current keys, the full one, or any keys. */
type Signing = { by: 'small' | 'full'; from: number } | { by: 'keys'; keys: number[] };

const keySet = fc.uniqueArray(fc.integer({ min: 0, max: POLICY_KEYS - 1 }), { minLength: 0, maxLength: POLICY_KEYS });
const policyCommand: fc.Arbitrary<PolicyCommand> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('spend' as const),
      // Of the current amount_max: mostly small payments, some just above it.
      percent: fc.integer({ min: 1, max: 120 }),
      signing: fc.oneof(
        { weight: 3, arbitrary: fc.record({ by: fc.constant('small' as const), from: fc.nat() }) },
        { weight: 1, arbitrary: fc.record({ by: fc.constant('full' as const), from: fc.nat() }) },
        { weight: 1, arbitrary: fc.record({ by: fc.constant('keys' as const), keys: keySet }) },
      ),
      payment: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 20_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      keys: fc.uniqueArray(fc.integer({ min: 0, max: POLICY_KEYS - 1 }), { minLength: 1, maxLength: 4 }),
      threshold: fc.integer({ min: 1, max: 4 }),
      small: fc.integer({ min: 1, max: 3 }),
      amountMax: fc.integer({ min: 100, max: 600 }),
      signers: keySet,
    }),
  },
);

/** Signers for a spend: `by` many consecutive current keys from a drawn offset, or the drawn keys. */
function pickSigners(signing: Signing, model: PolicyModel): number[] {
  if (signing.by === 'keys') return signing.keys;
  const count = signing.by === 'full' ? model.threshold : (model.rule?.threshold ?? 1);
  return Array.from({ length: count }, (_, i) => model.keys[(signing.from + i) % model.keys.length]!);
}

/** What the ledger should know about the account, kept by the test independently of it. */
interface PolicyModel {
  keys: number[];
  threshold: number;
  rule: { threshold: number; amountMax: number } | null;
  /** Accepted debits that used the small-payment threshold: [accepted_at_ms, minor units]. */
  small: [number, number][];
}

for (const engine of ENGINES) {
  describe(`spending policy properties on ${engine.name}`, () => {
    test('small payments pass below the threshold only within amount_max and the rolling cap; updates swap keys', {
      timeout: 300_000,
    }, async (t) => {
      if (!requireEngine(t, engine)) return;
      const keys = await Promise.all(Array.from({ length: POLICY_KEYS }, () => generateKeyPair()));
      const ids = keys.map((k) => encodePrefixed('pub', k.publicKey));
      const [issuerKeys, payeeKeys] = [await generateKeyPair(), await generateKeyPair()];
      const issuer = encodePrefixed('pub', issuerKeys.publicKey);
      const payee = encodePrefixed('pub', payeeKeys.publicKey);
      const account = ids[0]!;
      const windowMs = 60_000;
      const sliceMs = Math.ceil(windowMs / SPENT_SLICES_PER_WINDOW);
      const capOf = (amountMax: number) => amountMax * 2;
      /** How the ledger's answers fell, so the test can show it reached the interesting cases. */
      const seen = { full: 0, small: 0, capped: 0, either: 0 };
      let runs = 0;

      await fc.assert(
        fc.asyncProperty(fc.array(policyCommand, { minLength: 5, maxLength: 40 }), async (commands) => {
          runs++;
          const instance = await engine.create();
          const clock = manualClock();
          const nodeKey = await newNodeKey();
          const ledger = await openLedger(instance.storage, nodeKey, { clock: clock.now, block_transactions_max: 9 });
          try {
            const at = () => clock.iso();
            const policy = (small: number, amountMax: number) => ({
              small_payments: [
                {
                  currency: 'EUR',
                  amount_max: (amountMax / 100).toFixed(2),
                  threshold: small,
                  window_ms: windowMs,
                  window_amount_max: (capOf(amountMax) / 100).toFixed(2),
                },
              ],
            });
            const must = async (doc: unknown) => {
              const [r] = await ledger.submit([doc]);
              assert.equal(r?.status, 'accepted', JSON.stringify(r));
            };
            await must(await transaction('ledger.account.create', { account: issuer, created_at: at() }, [issuerKeys]));
            await must(await transaction('ledger.account.create', { account: payee, created_at: at() }, [payeeKeys]));
            await must(
              await transaction('ledger.currency.issue', { issuer, currency: 'EUR', scale: 2, created_at: at() }, [
                issuerKeys,
              ]),
            );
            await must(
              await transaction(
                'ledger.account.create',
                {
                  account,
                  keys: ids.slice(0, 3),
                  threshold: 2,
                  spending_policy: policy(1, 500),
                  created_at: at(),
                },
                [keys[0]!, keys[1]!],
              ),
            );
            for (const [holder, signers] of [
              [payee, [payeeKeys]],
              [account, [keys[0]!, keys[1]!]],
            ] as const) {
              await must(
                await transaction(
                  'ledger.trust.set',
                  { holder, currency: 'EUR', limit: '1000000.00', created_at: at() },
                  signers,
                ),
              );
            }
            await must(
              await transaction(
                'ledger.transfer',
                { legs: [{ from: issuer, to: account, currency: 'EUR', amount: '100000.00' }], created_at: at() },
                [issuerKeys],
              ),
            );

            const model: PolicyModel = {
              keys: [0, 1, 2],
              threshold: 2,
              rule: { threshold: 1, amountMax: 500 },
              small: [],
            };
            const count = (signers: number[], of: number[]) => signers.filter((s) => of.includes(s)).length;
            const spentSince = (from_ms: number) =>
              model.small.filter(([when]) => when > from_ms).reduce((sum, [, minor]) => sum + minor, 0);

            for (const cmd of commands) {
              if (cmd.kind === 'tick') {
                clock.advance(cmd.ms);
                continue;
              }
              if (cmd.kind === 'update') {
                const signerKeys = cmd.signers.map((i) => keys[i]!);
                const threshold = Math.min(cmd.threshold, cmd.keys.length);
                const rule =
                  threshold > 1 ? { threshold: Math.min(cmd.small, threshold - 1), amountMax: cmd.amountMax } : null;
                const doc = await transaction(
                  'ledger.account.update',
                  {
                    account,
                    keys: cmd.keys.map((i) => ids[i]!),
                    threshold,
                    ...(rule ? { spending_policy: policy(rule.threshold, rule.amountMax) } : {}),
                    created_at: at(),
                  },
                  signerKeys,
                );
                const [r] = await ledger.submit([doc]);
                const allowed =
                  count(cmd.signers, model.keys) >= model.threshold && count(cmd.signers, cmd.keys) >= threshold;
                assert.equal(r?.status, allowed ? 'accepted' : 'rejected', JSON.stringify({ r, model, cmd }));
                if (!allowed) {
                  assert.equal((r as { error: { code: string } }).error.code, 'authorization_insufficient');
                  continue;
                }
                Object.assign(model, { keys: cmd.keys, threshold, rule, small: rule ? model.small : [] });
                continue;
              }
              const signers = pickSigners(cmd.signing, model);
              const signerKeys = signers.map((i) => keys[i]!);
              const minor = Math.max(1, Math.round(((model.rule?.amountMax ?? 500) * cmd.percent) / 100));
              const amount = (minor / 100).toFixed(2);
              const doc = cmd.payment
                ? await transaction(
                    'ledger.payment',
                    {
                      from: account,
                      to: payee,
                      deliver: { currency: 'EUR', amount },
                      send_max: { currency: 'EUR', amount },
                      created_at: at(),
                    },
                    signerKeys,
                  )
                : await transaction(
                    'ledger.transfer',
                    { legs: [{ from: account, to: payee, currency: 'EUR', amount }], created_at: at() },
                    signerKeys,
                  );
              const now = clock.now();
              const signed = count(signers, model.keys);
              const rule = model.rule;
              let expected: 'accepted' | 'rejected' | 'either';
              let small = false;
              if (signed >= model.threshold) expected = 'accepted';
              else if (!rule || signed < rule.threshold || minor > rule.amountMax) expected = 'rejected';
              else {
                small = true;
                const cap = capOf(rule.amountMax);
                // A debit surely counts inside window_ms, and may count up to one slice longer.
                if (spentSince(now - windowMs - sliceMs) + minor <= cap) expected = 'accepted';
                else if (spentSince(now - windowMs) + minor > cap) expected = 'rejected';
                else expected = 'either';
              }
              const [r] = await ledger.submit([doc]);
              const context = JSON.stringify({ r, model, cmd, now });
              if (expected !== 'either') assert.equal(r?.status, expected, context);
              if (expected === 'either') seen.either++;
              else if (!small) seen.full += expected === 'accepted' ? 1 : 0;
              else if (expected === 'accepted') seen.small++;
              else seen.capped++;
              if (r?.status === 'rejected')
                assert.equal((r as { error: { code: string } }).error.code, 'authorization_insufficient', context);
              else if (small) model.small.push([now, minor]);
            }
            assert.deepEqual(ledger.checkInvariants(), []);
            const view = (await ledger.account(account))!;
            assert.deepEqual(
              view.keys,
              model.keys.map((i) => ids[i]),
            );
            assert.equal(view.threshold, model.threshold);
            const report = await auditLedger(ledger.storage, { nodeKeys: [nodeKey.publicKey] });
            assert.deepEqual(report.problems, []);
          } finally {
            await ledger.close();
            await instance.cleanup();
          }
        }),
        { numRuns: Number(process.env.PROP_RUNS ?? 12) },
      );
      assert.ok(runs >= 1);
      t.diagnostic(`spends: ${JSON.stringify(seen)}`);
      assert.ok(seen.small > 0, 'no run reached a small payment');
    });
  });
}

/**
 * Waits until every hold has expired (the sequencer's timer writes the expiries) and the log is
 * sealed; the expiries themselves wait a block interval to be sealed, so the clock moves on.
 */
async function waitUntilSettled(
  ledger: Ledger,
  accounts: readonly string[],
  clock: { advance(ms: number): void },
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const views = await Promise.all(accounts.map((id) => ledger.account(id)));
    const block = await ledger.latestBlock();
    if (views.every((v) => v?.pending.length === 0) && block?.block.body.tree_size === ledger.logSize) return;
    clock.advance(6_000);
    if (Date.now() > deadline) throw new Error('holds did not expire or blocks were not sealed');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
