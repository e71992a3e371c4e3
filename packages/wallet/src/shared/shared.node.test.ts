/**
 * Shared wallets against a real node: a 2-of-3 account (Alice owner, Bob and Carol spenders,
 * Victor viewer) is created with two members' signatures and funded; the ledger itself refuses a
 * payment one member signed and accepts it with two, with a receipt that verifies offline; a
 * viewer's signature does not count on the ledger either; approvals gathered on two devices are
 * merged; an expired proposal is refused by the wallet and by the ledger. With a small-payment rule
 * (the ledger's spending policy) one signature pays up to 50.00 until the rolling window cap,
 * after which the proposal collects the full threshold; and an account update that adds a member
 * and raises the threshold needs both the old and the new threshold, after which the old
 * approvals no longer pay.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  encodePrefixed,
  generateKeyPair,
  type KeyPair,
  type Result,
  type SignedDocument,
  signDocument,
  unwrap,
  verifyReceipt,
} from '@webwallet/core';
import { ACCOUNT_KEYS_MAX, TIMESTAMP_SKEW_MS_MAX, transaction } from '@webwallet/ledger';
import { type RunningNode, startNode } from '@webwallet/server';
import { NodeClient } from '../node/node-client.js';
import type { PaymentRequest } from '../pay/payment-uri.js';
import {
  changedSharedWallet,
  paymentThreshold,
  SHARED_SIGNERS_MAX,
  type SharedMember,
  type SharedWallet,
  type SmallPaymentRule,
} from './model.js';
import {
  approve,
  mergeProposals,
  PROPOSAL_LIFETIME_MAX_MS,
  type Proposal,
  parseProposal,
  proposalToJson,
  proposeAccountUpdate,
  proposePayment,
  proposeTrust,
  reviewProposal,
  signaturesNeeded,
  type TransferBody,
} from './proposal.js';
import { createSharedAccount, submitWhenApproved, verifySharedWallet } from './submit.js';

interface Person {
  readonly keys: KeyPair;
  readonly key: string;
}

async function person(): Promise<Person> {
  const keys = await generateKeyPair();
  return { keys, key: encodePrefixed('pub', keys.publicKey) };
}

const CURRENCY = 'EUR';

function failure<T>(result: Result<T>): { code: string; details: Readonly<Record<string, unknown>> } {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return result.ok ? { code: '', details: {} } : { code: result.error.code, details: result.error.details };
}

/** A proposal as it arrives on another member's device: through JSON. */
function onAnotherDevice(proposal: Proposal, shared: SharedWallet): Proposal {
  return unwrap(parseProposal(proposalToJson(proposal), shared));
}

describe('shared wallet on a real node', () => {
  let dir: string;
  let node: RunningNode;
  let client: NodeClient;
  let nodeKey: string;
  const issuer = { keys: undefined as unknown as KeyPair, key: '' };
  let payee: Person;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let victor: Person;
  let shared: SharedWallet;

  async function submitAll(documents: SignedDocument[]): Promise<void> {
    const submitted = unwrap(await client.submit(documents));
    for (const result of submitted) assert.equal(result.status, 'accepted', JSON.stringify(result));
  }

  async function available(account: string): Promise<string> {
    const view = unwrap(await client.account(account));
    assert.ok(view, `no account ${account}`);
    return view.balances.find((b) => b.currency === CURRENCY)?.available ?? '0';
  }

  /** The ledger's own answer to a document, bypassing the wallet's checks. */
  async function ledgerVerdict(document: SignedDocument): Promise<string> {
    const [result] = unwrap(await client.submit([document]));
    return result?.status === 'rejected' ? result.error.code : 'accepted';
  }

  function request(amount: string, memo?: string): PaymentRequest {
    return { node: node.url, to: payee.key, amount, currency: CURRENCY, ...(memo ? { memo } : {}) };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ww-wallet-shared-'));
    node = await startNode({ port: 0, data_dir: dir, log_level: 'silent', block_interval_ms: 50 });
    client = new NodeClient({ url: node.url });
    nodeKey = unwrap(await client.info()).public_key;
    const issuerPerson = await person();
    Object.assign(issuer, issuerPerson);
    [payee, alice, bob, carol, victor] = await Promise.all([person(), person(), person(), person(), person()]);
    const documents: SignedDocument[] = [];
    for (const p of [issuerPerson, payee]) {
      documents.push(await transaction('ledger.account.create', { account: p.key }, [p.keys]));
    }
    documents.push(
      await transaction('ledger.currency.issue', { issuer: issuer.key, currency: CURRENCY, scale: 2 }, [issuer.keys]),
    );
    documents.push(
      await transaction('ledger.trust.set', { holder: payee.key, currency: CURRENCY, limit: '1000000.00' }, [
        payee.keys,
      ]),
    );
    await submitAll(documents);
  });

  after(async () => {
    await node?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the wallet mirrors the ledger limits', () => {
    assert.equal(PROPOSAL_LIFETIME_MAX_MS, TIMESTAMP_SKEW_MS_MAX);
    assert.equal(SHARED_SIGNERS_MAX, ACCOUNT_KEYS_MAX);
  });

  test('a 2-of-3 account: the ledger refuses to create it with one signature, accepts it with two', async () => {
    const members: SharedMember[] = [
      { key: alice.key, name: 'Alice', role: 'owner' },
      { key: bob.key, name: 'Bob', role: 'spender' },
      { key: carol.key, name: 'Carol', role: 'spender' },
      { key: victor.key, name: 'Victor', role: 'viewer' },
    ];
    const spender = failure(await createSharedAccount(members, 2, bob.keys, client));
    assert.equal(spender.code, 'authorization_insufficient', 'only an owner creates it');
    const start = unwrap(await createSharedAccount(members, 2, alice.keys, client));
    shared = start.shared;
    assert.equal(start.created, undefined);
    assert.equal(shared.account, alice.key);
    assert.equal(signaturesNeeded(start.proposal, shared), 1);
    assert.equal(await ledgerVerdict(start.proposal.document), 'authorization_insufficient');
    assert.equal(failure(await verifySharedWallet(shared, client)).code, 'account_not_found');

    const approved = unwrap(await approve(onAnotherDevice(start.proposal, shared), shared, bob.keys));
    const created = unwrap(await submitWhenApproved(approved, shared, client));
    assert.ok((await verifyReceipt(created.receipt, [nodeKey])).ok);
    const view = unwrap(await verifySharedWallet(shared, client));
    assert.deepEqual([...view.keys].sort(), [alice.key, bob.key, carol.key].sort());
    assert.equal(view.threshold, 2);
    assert.equal(failure(await createSharedAccount(members, 2, alice.keys, client)).code, 'account_exists');

    // Its trust line is the shared account's act too: two approvals, then the issuer funds it.
    const trust = unwrap(await proposeTrust(shared, CURRENCY, '10000.00', carol.keys));
    assert.equal(await ledgerVerdict(trust.document), 'authorization_insufficient');
    unwrap(await submitWhenApproved(unwrap(await approve(trust, shared, alice.keys)), shared, client));
    const fund = [{ from: issuer.key, to: shared.account, currency: CURRENCY, amount: '100.00' }];
    await submitAll([await transaction('ledger.transfer', { legs: fund }, [issuer.keys])]);
    assert.equal(await available(shared.account), '100.00');
  });

  test('a payment with one signature is refused by the ledger; with two it is accepted and its receipt verifies', async () => {
    const proposal = unwrap(await proposePayment(request('30.00', 'groceries'), shared, alice.keys));
    const id = (proposal.document.body as { id: string }).id;

    const early = failure(await submitWhenApproved(proposal, shared, client));
    assert.equal(early.code, 'authorization_insufficient');
    assert.equal(early.details.needed, 1);
    assert.equal(early.details.submitted, false);
    assert.equal(unwrap(await client.transaction(id)), undefined, 'the wallet sent nothing');

    // Past the wallet's check, straight to the node: the ledger is the one enforcing the rule.
    const [refused] = unwrap(await client.submit([proposal.document]));
    assert.equal(refused?.status, 'rejected');
    assert.equal(refused?.status === 'rejected' && refused.error.code, 'authorization_insufficient');
    assert.equal(refused?.status === 'rejected' && refused.error.details.threshold, 2);
    assert.equal(await available(shared.account), '100.00');

    const approved = unwrap(await approve(onAnotherDevice(proposal, shared), shared, bob.keys));
    assert.equal(approved.document.signatures.length, 2);
    const paid = unwrap(await submitWhenApproved(approved, shared, client));
    assert.equal(paid.transaction_id, id);
    assert.equal(paid.node_key, nodeKey);
    const verified = unwrap(await verifyReceipt(paid.receipt, [nodeKey]));
    assert.equal(verified.document_id, paid.document_id);
    assert.equal(await available(shared.account), '70.00');
    assert.equal(await available(payee.key), '30.00');

    // Every member's device may submit once it sees the last approval: the node says duplicate.
    const again = unwrap(await submitWhenApproved(approved, shared, client));
    assert.equal(again.duplicate, true);
    assert.equal(await available(shared.account), '70.00');
  });

  test("a viewer cannot approve, and the ledger would not count a viewer's signature", async () => {
    const proposal = unwrap(await proposePayment(request('5.00'), shared, alice.keys));
    const refused = failure(await approve(proposal, shared, victor.keys));
    assert.equal(refused.code, 'authorization_insufficient');
    assert.match(String(refused.details.reason), /viewer/);
    assert.equal(
      failure(await proposePayment(request('5.00'), shared, victor.keys)).code,
      'authorization_insufficient',
    );

    const withViewer = await signDocument(proposal.document, victor.keys);
    assert.equal(withViewer.signatures.length, 2);
    assert.equal(await ledgerVerdict(withViewer), 'authorization_insufficient');
    assert.equal(signaturesNeeded({ ...proposal, document: withViewer }, shared), 1);
    assert.equal(await available(shared.account), '70.00');
  });

  test('approvals given on two devices are merged and submitted', async () => {
    const proposal = unwrap(await proposePayment(request('10.00'), shared, bob.keys));
    const text = proposalToJson(proposal);
    // Alice's phone and Carol's laptop each approve their own copy, offline from each other.
    const onAlice = unwrap(await approve(unwrap(parseProposal(text, shared)), shared, alice.keys));
    const onCarol = unwrap(await approve(unwrap(parseProposal(text, shared)), shared, carol.keys));
    const merged = unwrap(mergeProposals(onAlice, onCarol, shared));
    assert.equal(proposalToJson(merged), proposalToJson(unwrap(mergeProposals(onCarol, onAlice, shared))));
    assert.equal(merged.document.signatures.length, 3);
    assert.equal(signaturesNeeded(merged, shared), 0);
    unwrap(await submitWhenApproved(onAnotherDevice(merged, shared), shared, client));
    assert.equal(await available(shared.account), '60.00');
  });

  test('an expired proposal is refused by the wallet and by the ledger', async () => {
    const then = Date.now() - TIMESTAMP_SKEW_MS_MAX - 60_000;
    const proposal = unwrap(
      await proposePayment(request('1.00'), shared, alice.keys, {
        now_ms: then,
        lifetime_ms: PROPOSAL_LIFETIME_MAX_MS,
      }),
    );
    assert.equal(failure(await approve(proposal, shared, bob.keys)).code, 'timestamp_skew');
    // Approved in time but submitted too late:
    const approved = unwrap(await approve(proposal, shared, bob.keys, { now_ms: then + 1_000 }));
    assert.equal(signaturesNeeded(approved, shared), 0);
    assert.equal(failure(await submitWhenApproved(approved, shared, client)).code, 'timestamp_skew');
    assert.equal(await ledgerVerdict(approved.document), 'timestamp_skew');
    assert.equal(await available(shared.account), '60.00');
  });

  describe('with a small-payment rule: one signature up to 50.00 EUR, 120.00 per hour', () => {
    const RULE: SmallPaymentRule = {
      currency: CURRENCY,
      amount_max: '50.00',
      threshold: 1,
      window_ms: 3_600_000,
      window_amount_max: '120.00',
    };
    let olga: Person;
    let pete: Person;
    let quinn: Person;
    let dan: Person;
    let ruled: SharedWallet;

    /** A payment proposed by `proposer` and approved by `others`, as the wallet submits it. */
    async function pay(amount: string, wallet: SharedWallet, proposer: Person, ...others: Person[]) {
      let proposal = unwrap(await proposePayment(request(amount), wallet, proposer.keys));
      for (const other of others)
        proposal = unwrap(await approve(onAnotherDevice(proposal, wallet), wallet, other.keys));
      return { proposal, submitted: await submitWhenApproved(proposal, wallet, client) };
    }

    async function windowSpent(): Promise<string | undefined> {
      const view = unwrap(await client.account(ruled.account)) as {
        spending_policy?: { small_payments: { window_spent: string }[] };
      };
      return view.spending_policy?.small_payments[0]?.window_spent;
    }

    before(async () => {
      [olga, pete, quinn, dan] = await Promise.all([person(), person(), person(), person()]);
    });

    test('the rule goes into the ledger.account.create, and the ledger shows it back', async () => {
      const members: SharedMember[] = [
        { key: olga.key, name: 'Olga', role: 'owner' },
        { key: pete.key, name: 'Pete', role: 'spender' },
        { key: quinn.key, name: 'Quinn', role: 'spender' },
      ];
      // The wallet refuses what the ledger would: a rule needing as many signatures as the account.
      const same = failure(
        await createSharedAccount(members, 2, olga.keys, client, { small_payments: [{ ...RULE, threshold: 2 }] }),
      );
      assert.equal(same.code, 'shared_wallet_invalid');
      assert.equal(same.details.field, 'small_payments[0].threshold');
      const start = unwrap(await createSharedAccount(members, 2, olga.keys, client, { small_payments: [RULE] }));
      ruled = start.shared;
      const created = unwrap(
        await submitWhenApproved(unwrap(await approve(start.proposal, ruled, quinn.keys)), ruled, client),
      );
      assert.ok((await verifyReceipt(created.receipt, [nodeKey])).ok);
      const view = unwrap(await verifySharedWallet(ruled, client)) as unknown as { spending_policy: unknown };
      assert.deepEqual(view.spending_policy, { small_payments: [{ ...RULE, window_spent: '0.00' }] });
      const { small_payments: _rules, ...withoutRules } = ruled;
      const mismatch = failure(await verifySharedWallet(withoutRules, client));
      assert.equal(mismatch.code, 'shared_wallet_invalid');
      assert.equal(mismatch.details.field, 'small_payments');

      const trust = unwrap(await proposeTrust(ruled, CURRENCY, '10000.00', olga.keys));
      assert.equal(signaturesNeeded(trust, ruled), 1, 'a trust line needs the full threshold');
      unwrap(await submitWhenApproved(unwrap(await approve(trust, ruled, pete.keys)), ruled, client));
      const fund = [{ from: issuer.key, to: ruled.account, currency: CURRENCY, amount: '500.00' }];
      await submitAll([await transaction('ledger.transfer', { legs: fund }, [issuer.keys])]);
      assert.equal(await available(ruled.account), '500.00');
    });

    test('a rule for a currency the ledger does not have is refused by the ledger', async () => {
      const [x, y] = await Promise.all([person(), person()]);
      const members: SharedMember[] = [
        { key: x.key, name: 'X', role: 'owner' },
        { key: y.key, name: 'Y', role: 'spender' },
      ];
      const start = unwrap(
        await createSharedAccount(members, 2, x.keys, client, { small_payments: [{ ...RULE, currency: 'NOPE' }] }),
      );
      const approved = unwrap(await approve(start.proposal, start.shared, y.keys));
      assert.equal(failure(await submitWhenApproved(approved, start.shared, client)).code, 'currency_not_found');
    });

    test('30.00 approved by one member is paid; 60.00 is refused with one approval and paid with two', async () => {
      const small = await pay('30.00', ruled, pete);
      assert.equal(signaturesNeeded(small.proposal, ruled), 0);
      assert.equal(small.proposal.document.signatures.length, 1);
      assert.ok((await verifyReceipt(unwrap(small.submitted).receipt, [nodeKey])).ok);
      assert.equal(await available(ruled.account), '470.00');
      assert.equal(await windowSpent(), '30.00');

      const large = unwrap(await proposePayment(request('60.00'), ruled, pete.keys));
      assert.equal(paymentThreshold(ruled, (large.document.body as TransferBody).legs), 2);
      assert.equal(failure(await submitWhenApproved(large, ruled, client)).details.submitted, false);
      const [refused] = unwrap(await client.submit([large.document]));
      assert.equal(refused?.status === 'rejected' && refused.error.code, 'authorization_insufficient');
      assert.match(
        String(refused?.status === 'rejected' && (refused.error.details.small_payment as { reason: string }).reason),
        /amount_max/,
      );
      unwrap(await submitWhenApproved(unwrap(await approve(large, ruled, quinn.keys)), ruled, client));
      assert.equal(await available(ruled.account), '410.00');
      assert.equal(await windowSpent(), '30.00', 'payments with the full threshold leave the window alone');
    });

    test('three 30.00 fill the window; the next small payment collects the full threshold', async () => {
      for (const who of [quinn, olga]) unwrap((await pay('30.00', ruled, who)).submitted);
      assert.equal(await windowSpent(), '90.00');
      assert.equal(await available(ruled.account), '350.00');

      const next = await pay('40.00', ruled, pete);
      assert.equal(reviewProposal(next.proposal, ruled).small_payment, true);
      const capped = failure(next.submitted);
      assert.equal(capped.code, 'authorization_insufficient');
      assert.equal(capped.details.full_threshold, true);
      assert.equal(capped.details.needed, 1);
      assert.match(String(capped.details.reason), /window cap.*needs 2 approvals; collect 1 more/);
      assert.match(String((capped.details.small_payment as { reason: string }).reason), /window/);
      assert.equal((capped.details.small_payment as { window_spent: string }).window_spent, '90.00');
      assert.equal(signaturesNeeded(next.proposal, ruled, { full_threshold: true }), 1);
      const approved = unwrap(await approve(next.proposal, ruled, olga.keys));
      assert.equal(signaturesNeeded(approved, ruled, { full_threshold: true }), 0);
      unwrap(await submitWhenApproved(approved, ruled, client));
      assert.equal(await available(ruled.account), '310.00');
      assert.equal(await windowSpent(), '90.00');
      // 30.00 still fits under the cap with one signature.
      unwrap((await pay('30.00', ruled, quinn)).submitted);
      assert.equal(await windowSpent(), '120.00');
      assert.equal(failure((await pay('0.01', ruled, quinn)).submitted).details.full_threshold, true);
    });

    test('adding a 4th member and raising the threshold to 3 takes both thresholds; then two old approvals no longer pay', async () => {
      const members: SharedMember[] = [...ruled.members, { key: dan.key, name: 'Dan', role: 'spender' }];
      const next = unwrap(changedSharedWallet(ruled, members, 3, { small_payments: [RULE] }));
      assert.equal(
        failure(await proposeAccountUpdate(ruled, next, pete.keys)).code,
        'authorization_insufficient',
        'only an owner proposes it',
      );
      const update = unwrap(await proposeAccountUpdate(ruled, next, olga.keys));
      assert.equal(signaturesNeeded(update, ruled), 2);
      assert.equal(await ledgerVerdict(update.document), 'authorization_insufficient', 'one approval');
      const early = failure(await submitWhenApproved(update, ruled, client));
      assert.equal(early.details.needed, 2);
      // The old threshold met, the new one not: the ledger refuses too.
      const twoOld = unwrap(await approve(onAnotherDevice(update, ruled), ruled, pete.keys));
      assert.equal(signaturesNeeded(twoOld, ruled), 1);
      const [refused] = unwrap(await client.submit([twoOld.document]));
      assert.equal(refused?.status === 'rejected' && refused.error.code, 'authorization_insufficient');
      assert.match(String(refused?.status === 'rejected' && refused.error.details.reason), /new keys must sign/);

      // Dan approves on his device, which holds the new description's key.
      const approved = unwrap(await approve(onAnotherDevice(twoOld, ruled), ruled, dan.keys));
      assert.equal(signaturesNeeded(approved, ruled), 0);
      const done = unwrap(await submitWhenApproved(approved, ruled, client));
      assert.deepEqual(done.shared_wallet, next);
      const view = unwrap(await verifySharedWallet(next, client));
      assert.equal(view.threshold, 3);
      assert.equal(failure(await verifySharedWallet(ruled, client)).code, 'shared_wallet_invalid');
      ruled = next;

      // Olga and Pete were enough before; now a large payment needs a third.
      const large = unwrap(await proposePayment(request('60.00'), ruled, olga.keys));
      const twoSigned = unwrap(await approve(large, ruled, pete.keys));
      assert.equal(signaturesNeeded(twoSigned, ruled), 1);
      assert.equal(await ledgerVerdict(twoSigned.document), 'authorization_insufficient');
      unwrap(await submitWhenApproved(unwrap(await approve(twoSigned, ruled, dan.keys)), ruled, client));
      assert.equal(await available(ruled.account), '220.00');
      assert.equal(await windowSpent(), '120.00', 'the window carries over the update');
    });
  });

  test('a description that does not match the ledger is refused', async () => {
    const lying = { ...shared, threshold: 1 };
    const refused = failure(await verifySharedWallet(lying, client));
    assert.equal(refused.code, 'shared_wallet_invalid');
    assert.deepEqual(refused.details.ledger, { keys: [alice.key, bob.key, carol.key], threshold: 2 });
  });
});
