/**
 * Shared wallets without a node: the description and its checks (small-payment rules as the
 * ledger checks them), how many approvals a proposal needs (a small payment fewer; an account
 * update both the old and the new members' threshold), proposals, approvals (a viewer cannot
 * approve), expiry, the JSON that travels between devices, and merging copies of one
 * proposal (a property test: commutative, associative, idempotent, the union of valid signatures).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type DocumentSignature,
  encodePrefixed,
  generateKeyPair,
  type KeyPair,
  type Result,
  signDocument,
  unwrap,
} from '@webwallet/core';
import fc from 'fast-check';
import type { PaymentRequest } from '../pay/payment-uri.js';
import {
  changedSharedWallet,
  compareDecimal,
  paymentThreshold,
  type SharedMember,
  type SharedWallet,
  type SmallPaymentRule,
  SPENDING_WINDOW_MS_MAX,
  SPENDING_WINDOW_MS_MIN,
  sharedWallet,
  signingKeys,
  smallPaymentRuleFor,
  sumDecimal,
  validateSharedWallet,
} from './model.js';
import {
  approve,
  approvers,
  mergeProposals,
  PROPOSAL_LIFETIME_MAX_MS,
  type Proposal,
  parseProposal,
  proposalExpired,
  proposalId,
  proposalToJson,
  proposeAccountCreation,
  proposeAccountUpdate,
  proposePayment,
  reviewProposal,
  signaturesNeeded,
  type TransferBody,
} from './proposal.js';

const NODE = 'https://node.example';
const NOW = Date.parse('2026-03-01T12:00:00.000Z');

interface Person {
  readonly keys: KeyPair;
  readonly key: string;
}

async function person(): Promise<Person> {
  const keys = await generateKeyPair();
  return { keys, key: encodePrefixed('pub', keys.publicKey) };
}

function code<T>(result: Result<T>): string {
  assert.equal(result.ok, false, 'expected a failure');
  return result.ok ? '' : result.error.code;
}

function reason<T>(result: Result<T>): string {
  return result.ok ? '' : `${String(result.error.details.field)}: ${String(result.error.details.reason)}`;
}

const alice = await person();
const bob = await person();
const carol = await person();
const victor = await person();
const outsider = await person();

const MEMBERS: SharedMember[] = [
  { key: alice.key, name: 'Alice', role: 'owner' },
  { key: bob.key, name: 'Bob', role: 'spender' },
  { key: victor.key, name: 'Victor', role: 'viewer' },
  { key: carol.key, name: 'Carol', role: 'spender' },
];
const shared: SharedWallet = unwrap(sharedWallet(MEMBERS, 2, NODE));
const EUR_RULE: SmallPaymentRule = {
  currency: 'EUR',
  amount_max: '50.00',
  threshold: 1,
  window_ms: 86_400_000,
  window_amount_max: '200.00',
};
const withRule: SharedWallet = unwrap(sharedWallet(MEMBERS, 2, NODE, { small_payments: [EUR_RULE] }));
const payee = (await person()).key;
const request: PaymentRequest = { node: NODE, to: payee, amount: '30.00', currency: 'EUR', memo: 'rent share' };

describe('shared wallet description', () => {
  test('the account is the first signing key; viewers are not among the keys', () => {
    assert.equal(shared.account, alice.key);
    assert.deepEqual(signingKeys(shared), [alice.key, bob.key, carol.key]);
    assert.deepEqual(unwrap(validateSharedWallet(JSON.parse(JSON.stringify(shared)))), shared);
  });

  test('inconsistent descriptions are refused with the field that is wrong', () => {
    const cases: [unknown, string][] = [
      [{ ...shared, threshold: 4 }, 'threshold'],
      [{ ...shared, threshold: 0 }, 'threshold'],
      [{ ...shared, threshold: 1.5 }, 'threshold'],
      [{ ...shared, account: bob.key }, 'account'],
      [{ ...shared, node: 'ftp://node.example' }, 'node'],
      [{ ...shared, node: `${NODE}/` }, 'node'],
      [{ ...shared, extra: 1 }, 'extra'],
      [{ ...shared, members: [] }, 'members'],
      [{ ...shared, members: MEMBERS.map((m) => ({ ...m, role: 'spender' })) }, 'members'],
      [{ ...shared, members: [...MEMBERS, { ...MEMBERS[1] }] }, 'members[4].key'],
      [{ ...shared, members: [{ ...MEMBERS[0], role: 'admin' }] }, 'members[0].role'],
      [{ ...shared, members: [{ ...MEMBERS[0], name: '' }] }, 'members[0].name'],
      [{ ...shared, members: [{ ...MEMBERS[0], key: 'pub_short' }] }, 'members[0].key'],
      [{ ...shared, small_payments: [{ ...EUR_RULE, threshold: 2 }] }, 'small_payments[0].threshold'],
      [{ ...shared, small_payments: [{ ...EUR_RULE, threshold: 0 }] }, 'small_payments[0].threshold'],
      [{ ...shared, small_payments: [{ ...EUR_RULE, amount_max: '0' }] }, 'small_payments[0].amount_max'],
      [{ ...shared, small_payments: [{ ...EUR_RULE, amount_max: '-1' }] }, 'small_payments[0].amount_max'],
      [
        { ...shared, small_payments: [{ ...EUR_RULE, window_amount_max: '49.99' }] },
        'small_payments[0].window_amount_max',
      ],
      [
        { ...shared, small_payments: [{ ...EUR_RULE, window_ms: SPENDING_WINDOW_MS_MIN - 1 }] },
        'small_payments[0].window_ms',
      ],
      [
        { ...shared, small_payments: [{ ...EUR_RULE, window_ms: SPENDING_WINDOW_MS_MAX + 1 }] },
        'small_payments[0].window_ms',
      ],
      [{ ...shared, small_payments: [{ ...EUR_RULE, currency: 'eur' }] }, 'small_payments[0].currency'],
      [{ ...shared, small_payments: [{ ...EUR_RULE, limit: '1' }] }, 'small_payments[0].limit'],
      [{ ...shared, small_payments: [EUR_RULE, { ...EUR_RULE }] }, 'small_payments[1].currency'],
      [
        { ...shared, small_payments: ['A', 'B', 'C', 'D', 'E'].map((c) => ({ ...EUR_RULE, currency: c })) },
        'small_payments',
      ],
      [{ ...shared, small_payments: EUR_RULE }, 'small_payments'],
      ['text', ''],
    ];
    for (const [value, field] of cases) {
      const result = validateSharedWallet(value);
      assert.equal(code(result), 'shared_wallet_invalid', field);
      assert.equal(result.ok ? '' : result.error.details.field, field, reason(result));
    }
  });

  test('at most ten owners and spenders, as the ledger allows keys per account', async () => {
    const many = await Promise.all(Array.from({ length: 11 }, person));
    const members = many.map((p, i): SharedMember => ({ key: p.key, name: `M${i}`, role: i ? 'spender' : 'owner' }));
    assert.equal(code(sharedWallet(members, 2, NODE)), 'shared_wallet_invalid');
    assert.ok(sharedWallet(members.slice(0, 10), 2, NODE).ok);
    const viewers = members.map((m, i) => (i >= 10 ? { ...m, role: 'viewer' as const } : m));
    assert.ok(sharedWallet(viewers, 10, NODE).ok, 'viewers do not count');
  });

  test('valid small-payment rules pass as the ledger takes them; an empty list is no rule', () => {
    assert.deepEqual(withRule.small_payments, [EUR_RULE]);
    assert.deepEqual(unwrap(validateSharedWallet(JSON.parse(JSON.stringify(withRule)))), withRule);
    const four = ['EUR', 'USD', 'CHF', 'GBP'].map((c) => ({ ...EUR_RULE, currency: c }));
    const edges = [
      { ...EUR_RULE, window_ms: SPENDING_WINDOW_MS_MIN, window_amount_max: '50' },
      { ...EUR_RULE, window_ms: SPENDING_WINDOW_MS_MAX },
    ];
    for (const rules of [four, ...edges.map((r) => [r])]) {
      assert.ok(sharedWallet(MEMBERS, 2, NODE, { small_payments: rules }).ok, JSON.stringify(rules));
    }
    assert.equal(unwrap(sharedWallet(MEMBERS, 2, NODE, { small_payments: [] })).small_payments, undefined);
    const solo = unwrap(sharedWallet([MEMBERS[0] as SharedMember], 1, NODE));
    const refused = validateSharedWallet({ ...solo, small_payments: [EUR_RULE] });
    assert.equal(code(refused), 'shared_wallet_invalid', 'a 1-of-n account has no lower threshold to give');
    assert.match(reason(refused), /small_payments\[0\]\.threshold: lower than the shared wallet's threshold \(1\)/);
  });

  test('a transfer needs the rule threshold when its debit is in one currency and at most amount_max', () => {
    const leg = (amount: string, currency = 'EUR', from = withRule.account) => ({ from, to: payee, currency, amount });
    assert.equal(paymentThreshold(withRule, [leg('50')]), 1);
    assert.equal(paymentThreshold(withRule, [leg('0.01')]), 1);
    assert.equal(smallPaymentRuleFor(withRule, [leg('50.00')]), withRule.small_payments?.[0]);
    assert.equal(paymentThreshold(withRule, [leg('50.01')]), 2, 'above amount_max');
    assert.equal(paymentThreshold(withRule, [leg('30.00'), leg('20.01')]), 2, 'legs add up: 50.01 in all');
    assert.equal(paymentThreshold(withRule, [leg('30.00'), leg('20')]), 1);
    assert.equal(paymentThreshold(withRule, [leg('5.00', 'USD')]), 2, 'no rule for USD');
    assert.equal(paymentThreshold(withRule, [leg('5.00'), leg('5.00', 'USD')]), 2, 'two currencies');
    assert.equal(paymentThreshold(shared, [leg('0.01')]), 2, 'no rules at all');
    const two = unwrap(
      sharedWallet(MEMBERS, 2, NODE, { small_payments: [{ ...EUR_RULE, currency: 'USD', amount_max: '5' }, EUR_RULE] }),
    );
    assert.equal(paymentThreshold(two, [leg('5', 'USD')]), 1, "each currency's own rule");
    assert.equal(paymentThreshold(two, [leg('6', 'USD')]), 2);
    assert.equal(paymentThreshold(two, [leg('6')]), 1);
  });

  test('decimal sums are exact', () => {
    assert.equal(sumDecimal(['0.1', '0.2']), '0.3');
    assert.equal(sumDecimal(['30.00', '20.01']), '50.01');
    assert.equal(sumDecimal(['0.5', '0.5']), '1');
    assert.equal(sumDecimal(['7']), '7');
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 25n }), { minLength: 1, maxLength: 16 }), (values) => {
        const text = (v: bigint) => `${v / 1000n}.${(v % 1000n).toString().padStart(3, '0')}`;
        const total = values.reduce((a, b) => a + b, 0n);
        assert.equal(compareDecimal(sumDecimal(values.map(text)), text(total)), 0);
      }),
    );
  });

  test('decimal comparison is exact', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 30n }), (a, b) => {
        const text = (v: bigint) =>
          (v / 100n).toString() + (v % 100n === 0n ? '' : `.${(v % 100n).toString().padStart(2, '0')}`);
        assert.equal(compareDecimal(text(a), text(b)), a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });
});

describe('proposals and approvals', () => {
  test('the proposer signs; each approval counts once; two of three are enough', async () => {
    const proposal = unwrap(await proposePayment(request, shared, alice.keys, { now_ms: NOW }));
    assert.equal(proposal.document.type, 'ledger.transfer');
    assert.deepEqual(proposal.document.body, {
      id: (proposal.document.body as { id: string }).id,
      created_at: new Date(NOW).toISOString(),
      legs: [{ from: shared.account, to: payee, currency: 'EUR', amount: '30.00' }],
      memo: 'rent share',
    });
    assert.equal(signaturesNeeded(proposal, shared), 1);
    const again = unwrap(await approve(proposal, shared, alice.keys, { now_ms: NOW }));
    assert.equal(signaturesNeeded(again, shared), 1, 'the proposer approving again changes nothing');
    const approved = unwrap(await approve(proposal, shared, bob.keys, { now_ms: NOW }));
    assert.equal(signaturesNeeded(approved, shared), 0);
    assert.deepEqual(
      approvers(approved, shared)
        .map((m) => m.name)
        .sort(),
      ['Alice', 'Bob'],
    );
    const review = reviewProposal(approved, shared, NOW);
    assert.equal(review.kind, 'payment');
    assert.equal(review.small_payment, false);
    assert.equal(review.proposer.name, 'Alice');
    assert.equal(review.needed, 0);
    assert.equal(review.threshold, 2);
    assert.equal(review.expired, false);
    assert.equal(review.id, proposalId(proposal));
  });

  test('a viewer or an outsider can neither propose nor approve', async () => {
    const proposal = unwrap(await proposePayment(request, shared, alice.keys, { now_ms: NOW }));
    for (const who of [victor, outsider]) {
      const approval = await approve(proposal, shared, who.keys, { now_ms: NOW });
      assert.equal(code(approval), 'authorization_insufficient');
      assert.equal(
        code(await proposePayment(request, shared, who.keys, { now_ms: NOW })),
        'authorization_insufficient',
      );
    }
    // A viewer's signature added by other means is not counted, as the ledger would not count it.
    const signed = await signDocument(proposal.document, victor.keys);
    const smuggled = { ...proposal, document: signed };
    assert.equal(signaturesNeeded(smuggled, shared), 1);
    assert.equal(unwrap(parseProposal(smuggled, shared)).document.signatures.length, 1);
  });

  test('a proposal expires; its lifetime is within the ledger clock window', async () => {
    const proposal = unwrap(await proposePayment(request, shared, alice.keys, { now_ms: NOW, lifetime_ms: 60_000 }));
    assert.equal(proposalExpired(proposal, NOW + 60_000), false);
    assert.equal(proposalExpired(proposal, NOW + 60_001), true);
    assert.equal(code(await approve(proposal, shared, bob.keys, { now_ms: NOW + 60_001 })), 'timestamp_skew');
    assert.ok(reviewProposal(proposal, shared, NOW + 60_001).expired);
    await assert.rejects(
      proposePayment(request, shared, alice.keys, { lifetime_ms: PROPOSAL_LIFETIME_MAX_MS + 1 }),
      RangeError,
    );
    const stretched = { ...proposal, expires_at: new Date(NOW + PROPOSAL_LIFETIME_MAX_MS + 1).toISOString() };
    assert.equal(code(parseProposal(stretched, shared)), 'proposal_invalid');
  });

  test('a proposal survives a JSON round trip, and what does not match is refused', async () => {
    const proposal = unwrap(await proposePayment(request, shared, alice.keys, { now_ms: NOW }));
    const text = proposalToJson(proposal);
    assert.deepEqual(unwrap(parseProposal(text, shared)), proposal);
    assert.equal(proposalToJson(unwrap(parseProposal(text, shared))), text);
    const body = proposal.document.body as TransferBody;
    const tampered: unknown[] = [
      'not json',
      '[]',
      { ...proposal, type: 'other' },
      { ...proposal, account: outsider.key },
      { ...proposal, proposer: bob.key },
      { ...proposal, proposer: victor.key },
      { ...proposal, created_at: new Date(NOW + 1).toISOString() },
      { ...proposal, document: { ...proposal.document, body: { ...body, memo: 'changed' } } },
      { ...proposal, document: { ...proposal.document, type: 'ledger.currency.issue' } },
      { ...proposal, document: { ...proposal.document, signatures: [] } },
      'x'.repeat(40_000),
    ];
    for (const value of tampered) assert.equal(code(parseProposal(value, shared)), 'proposal_invalid', String(value));
    // A transfer paying from someone else's account is not the shared wallet's to approve.
    const foreign = { ...body, legs: [{ ...body.legs[0], from: outsider.key }] };
    const signed = await signDocument({ ...proposal.document, body: foreign, signatures: [] }, alice.keys);
    const result = parseProposal({ ...proposal, document: signed }, shared);
    assert.equal(code(result), 'proposal_invalid');
    assert.match(reason(result), /another account/);
  });

  test('the account creation lists exactly the signing keys and the threshold', async () => {
    const proposal = unwrap(await proposeAccountCreation(shared, alice.keys, { now_ms: NOW }));
    assert.deepEqual(proposal.document.body, {
      id: (proposal.document.body as { id: string }).id,
      created_at: new Date(NOW).toISOString(),
      account: alice.key,
      keys: [alice.key, bob.key, carol.key],
      threshold: 2,
    });
    const sneaky = { ...proposal.document.body, keys: [alice.key, bob.key, carol.key, outsider.key] };
    const signed = await signDocument({ ...proposal.document, body: sneaky, signatures: [] }, alice.keys);
    assert.equal(code(parseProposal({ ...proposal, document: signed }, shared)), 'proposal_invalid');
    const other = { ...request, node: 'https://other.example' };
    assert.equal(code(await proposePayment(other, shared, alice.keys, { now_ms: NOW })), 'payment_uri_invalid');
  });

  test('with small-payment rules: the creation carries them as its spending policy; small payments need fewer approvals', async () => {
    const create = unwrap(await proposeAccountCreation(withRule, alice.keys, { now_ms: NOW }));
    assert.deepEqual((create.document.body as { spending_policy?: unknown }).spending_policy, {
      small_payments: [EUR_RULE],
    });
    assert.equal(signaturesNeeded(create, withRule), 1, 'opening the account takes its full threshold');
    const body = create.document.body as unknown as Record<string, unknown>;
    const { spending_policy: _dropped, ...withoutPolicy } = body;
    for (const altered of [
      withoutPolicy,
      { ...body, spending_policy: { small_payments: [{ ...EUR_RULE, threshold: 0 }] } },
    ]) {
      const signed = await signDocument(
        { ...create.document, body: altered as typeof body, signatures: [] },
        alice.keys,
      );
      assert.equal(code(parseProposal({ ...create, document: signed }, withRule)), 'proposal_invalid');
    }

    const small = unwrap(await proposePayment({ ...request, amount: '50.00' }, withRule, bob.keys, { now_ms: NOW }));
    assert.equal(small.account, withRule.account);
    assert.equal(signaturesNeeded(small, withRule), 0, "the proposer's signature is the rule's one");
    assert.equal(signaturesNeeded(small, withRule, { full_threshold: true }), 1, 'once the window cap is reached');
    const review = reviewProposal(small, withRule, NOW);
    assert.equal(review.small_payment, true);
    assert.equal(review.threshold, 1);
    const large = unwrap(await proposePayment({ ...request, amount: '50.01' }, withRule, bob.keys, { now_ms: NOW }));
    assert.equal(signaturesNeeded(large, withRule), 1);
    assert.equal(reviewProposal(large, withRule, NOW).small_payment, false);
    const dollars = unwrap(
      await proposePayment({ ...request, amount: '1.00', currency: 'USD' }, withRule, bob.keys, { now_ms: NOW }),
    );
    assert.equal(signaturesNeeded(dollars, withRule), 1);
  });

  test('an account update needs the old threshold of the old keys and the new threshold of the new keys', async () => {
    const dan = await person();
    const members = [...MEMBERS, { key: dan.key, name: 'Dan', role: 'spender' as const }];
    const next = unwrap(changedSharedWallet(shared, members, 3, { small_payments: [EUR_RULE] }));
    assert.equal(next.account, shared.account);
    assert.equal(
      code(await proposeAccountUpdate(shared, next, bob.keys, { now_ms: NOW })),
      'authorization_insufficient',
      'only an owner proposes it',
    );
    const update = unwrap(await proposeAccountUpdate(shared, next, alice.keys, { now_ms: NOW }));
    assert.equal(update.document.type, 'ledger.account.update');
    assert.deepEqual(update.document.body, {
      id: (update.document.body as { id: string }).id,
      created_at: new Date(NOW).toISOString(),
      account: alice.key,
      keys: [alice.key, bob.key, carol.key, dan.key],
      threshold: 3,
      spending_policy: { small_payments: [EUR_RULE] },
    });
    assert.deepEqual(update.next, next);
    // Alice alone: 1 of the old 2, 1 of the new 3.
    assert.equal(signaturesNeeded(update, shared), 2);
    const review = reviewProposal(update, shared, NOW);
    assert.equal(review.kind, 'members');
    assert.equal(review.threshold, 3);
    assert.deepEqual(review.next, next);
    // Dan, a new member, may approve: his key counts for the new threshold only.
    const withDan = unwrap(await approve(update, shared, dan.keys, { now_ms: NOW }));
    assert.equal(signaturesNeeded(withDan, shared), 1, 'old keys: 1 of 2; new keys: 2 of 3');
    assert.deepEqual(
      approvers(withDan, shared)
        .map((m) => m.name)
        .sort(),
      ['Alice', 'Dan'],
    );
    const withBob = unwrap(await approve(withDan, shared, bob.keys, { now_ms: NOW }));
    assert.equal(signaturesNeeded(withBob, shared), 0);
    const oldOnly = unwrap(await approve(update, shared, bob.keys, { now_ms: NOW }));
    assert.equal(signaturesNeeded(oldOnly, shared), 1, 'two old keys meet the old 2 but not the new 3');

    // The proposal must say what its next description says, and keep the account and node.
    const tampered: unknown[] = [
      { ...update, next: { ...next, threshold: 2 } },
      { ...update, next: { ...next, node: 'https://other.example' } },
      { ...update, next: { ...next, account: dan.key } },
      { ...update, next: undefined },
      { ...update, next: { ...next, small_payments: [{ ...EUR_RULE, threshold: 3 }] } },
    ];
    for (const value of tampered) assert.equal(code(parseProposal(value, shared)), 'proposal_invalid');
    const payment = unwrap(await proposePayment(request, shared, alice.keys, { now_ms: NOW }));
    assert.equal(code(parseProposal({ ...payment, next }, shared)), 'proposal_invalid', 'only updates carry one');

    // Removing the member whose key names the account: the ledger keeps the name.
    const withoutAlice = unwrap(
      changedSharedWallet(
        shared,
        members.slice(1).map((m) => ({ ...m, role: m.key === bob.key ? ('owner' as const) : m.role })),
        2,
      ),
    );
    assert.equal(withoutAlice.account, alice.key);
    assert.deepEqual(signingKeys(withoutAlice), [bob.key, carol.key, dan.key]);
    const handOver = unwrap(await proposeAccountUpdate(shared, withoutAlice, alice.keys, { now_ms: NOW }));
    assert.equal(signaturesNeeded(handOver, shared), 2, "Alice's key counts for the old keys only");
  });
});

describe('merging approvals from two devices', () => {
  test('the union of valid signatures, the same whichever device merges', async () => {
    const proposal = unwrap(await proposePayment(request, shared, alice.keys, { now_ms: NOW }));
    // Each device receives the proposal as JSON and approves its own copy.
    const onBob = unwrap(
      await approve(unwrap(parseProposal(proposalToJson(proposal), shared)), shared, bob.keys, { now_ms: NOW }),
    );
    const onCarol = unwrap(
      await approve(unwrap(parseProposal(proposalToJson(proposal), shared)), shared, carol.keys, { now_ms: NOW }),
    );
    const merged = unwrap(mergeProposals(onBob, onCarol, shared));
    assert.equal(proposalToJson(merged), proposalToJson(unwrap(mergeProposals(onCarol, onBob, shared))));
    assert.deepEqual(
      merged.document.signatures.map((s) => s.key),
      [alice.key, bob.key, carol.key].sort(),
    );
    const other = unwrap(await proposePayment(request, shared, alice.keys, { now_ms: NOW }));
    assert.equal(code(mergeProposals(onBob, other, shared)), 'proposal_invalid', 'another proposal (another id)');
  });

  test('property: merge is commutative, associative, idempotent and keeps exactly the valid member signatures', async () => {
    const proposal = unwrap(await proposePayment(request, shared, alice.keys, { now_ms: NOW }));
    const full = await [bob, carol, victor, outsider].reduce(
      async (doc, p) => signDocument(await doc, p.keys),
      Promise.resolve(proposal.document),
    );
    const sigOf = (key: string) => full.signatures.find((s) => s.key === key) as DocumentSignature;
    const forged: DocumentSignature = { key: carol.key, sig: sigOf(bob.key).sig };
    const entries = [sigOf(bob.key), sigOf(carol.key), sigOf(victor.key), sigOf(outsider.key), forged];
    const copy = (picks: boolean[]): Proposal => {
      const chosen = entries.filter((_, i) => picks[i]);
      // One entry per key, as a document allows: a forged signature stands in for Carol's.
      const signatures = chosen.filter((s, i) => chosen.findIndex((t) => t.key === s.key) === i);
      return { ...proposal, document: { ...proposal.document, signatures: [sigOf(alice.key), ...signatures] } };
    };
    const picks = fc.array(fc.boolean(), { minLength: entries.length, maxLength: entries.length });
    const merge = (a: Proposal, b: Proposal) => unwrap(mergeProposals(a, b, shared));
    fc.assert(
      fc.property(picks, picks, picks, (x, y, z) => {
        const [a, b, c] = [copy(x), copy(y), copy(z)];
        const json = proposalToJson;
        assert.equal(json(merge(a, b)), json(merge(b, a)));
        assert.equal(json(merge(a, merge(b, c))), json(merge(merge(a, b), c)));
        assert.equal(json(merge(a, a)), json(unwrap(parseProposal(a, shared))));
        const valid = new Set([alice.key]);
        for (const s of [...a.document.signatures, ...b.document.signatures]) {
          if (s === sigOf(bob.key) || s === sigOf(carol.key)) valid.add(s.key);
        }
        assert.deepEqual(
          merge(a, b).document.signatures.map((s) => s.key),
          [...valid].sort(),
        );
        assert.equal(signaturesNeeded(merge(a, b), shared), Math.max(0, 2 - valid.size));
      }),
      { numRuns: 100 },
    );
  });
});
