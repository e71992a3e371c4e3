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
