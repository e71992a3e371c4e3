/**
 * Shared wallets against a real node: a 2-of-3 account (Alice owner, Bob and Carol spenders,
 * Victor viewer) is created with two members' signatures and funded; the ledger itself refuses a
 * payment one member signed and accepts it with two, with a receipt that verifies offline; a
 * viewer's signature does not count on the ledger either; approvals gathered on two devices are
 * merged; an expired proposal is refused by the wallet and by the ledger; and the petty cash
 * pattern gives one-signature payments up to a limit the main account's approvals fund.
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
import { paymentRoute, SHARED_SIGNERS_MAX, type SharedMember, type SharedWallet, withPettyCash } from './model.js';
import {
  approve,
  mergeProposals,
  PROPOSAL_LIFETIME_MAX_MS,
  type Proposal,
  parseProposal,
  proposalToJson,
  proposePayment,
  proposeRefill,
  proposeTrust,
  signaturesNeeded,
} from './proposal.js';
import { createPettyCash, createSharedAccount, submitWhenApproved, verifySharedWallet } from './submit.js';

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

  test('petty cash: one signature up to its limit, refilled only with the main approvals', async () => {
    const petty = unwrap(withPettyCash(shared, CURRENCY, '50.00'));
    const pettyAccount = petty.petty_cash?.account as string;
    const opened = unwrap(await createPettyCash(petty, bob.keys, client));
    assert.ok((await verifyReceipt(opened.trust.receipt, [nodeKey])).ok);
    unwrap(await verifySharedWallet(petty, client));

    // Filling it beyond its limit: the ledger refuses (trust_limit_exceeded), even when approved.
    const tooMuch = unwrap(await proposeRefill(petty, '50.01', alice.keys));
    assert.equal(await ledgerVerdict(tooMuch.document), 'authorization_insufficient', 'one signature');
    const tooMuchApproved = unwrap(await approve(tooMuch, petty, carol.keys));
    assert.equal(failure(await submitWhenApproved(tooMuchApproved, petty, client)).code, 'trust_limit_exceeded');
    const refill = unwrap(await proposeRefill(petty, '50.00', alice.keys));
    unwrap(await submitWhenApproved(unwrap(await approve(refill, petty, carol.keys)), petty, client));
    assert.equal(await available(pettyAccount), '50.00');
    assert.equal(await available(shared.account), '10.00');

    // Small payments go through the petty cash with Carol's signature alone.
    assert.equal(paymentRoute(petty, request('20.00')), 'petty_cash');
    const small = unwrap(await proposePayment(request('20.00'), petty, carol.keys));
    assert.equal(small.account, pettyAccount);
    assert.equal(signaturesNeeded(small, petty), 0);
    const paid = unwrap(await submitWhenApproved(small, petty, client));
    assert.ok((await verifyReceipt(paid.receipt, [nodeKey])).ok);
    assert.equal(await available(pettyAccount), '30.00');

    // One signature cannot spend more than the petty cash holds...
    const over = unwrap(await proposePayment(request('40.00'), petty, carol.keys, { from: 'petty_cash' }));
    assert.equal(failure(await submitWhenApproved(over, petty, client)).code, 'insufficient_funds');
    // ...and a larger payment is a main account proposal, which needs two.
    assert.equal(paymentRoute(petty, request('60.00')), 'main');
    const large = unwrap(await proposePayment(request('60.00'), petty, carol.keys));
    assert.equal(large.account, shared.account);
    assert.equal(await ledgerVerdict(large.document), 'authorization_insufficient');
  });

  test('a description that does not match the ledger is refused', async () => {
    const lying = { ...shared, threshold: 1 };
    const refused = failure(await verifySharedWallet(lying, client));
    assert.equal(refused.code, 'shared_wallet_invalid');
    assert.deepEqual(refused.details.ledger, { keys: [alice.key, bob.key, carol.key], threshold: 2 });
  });
});
