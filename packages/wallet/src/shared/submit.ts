import {
  documentId,
  encodePrefixed,
  err,
  type KeyPair,
  ok,
  type Receipt,
  type Result,
  verifyReceipt,
  WebWalletError,
} from '@webwallet/core';
import { type AccountView, type NodeClient, RECEIPT_WAIT_DEFAULT_MS } from '../node/node-client.js';
import {
  type Authority,
  authorityOf,
  mainAuthority,
  memberOf,
  noPettyCash,
  pettyCashAuthority,
  type SharedMember,
  type SharedWallet,
  type SharedWalletOptions,
  sharedWallet,
} from './model.js';
import {
  checkProposal,
  type Proposal,
  proposalExpired,
  proposalId,
  proposeAccountCreation,
  proposeTrust,
  signaturesNeeded,
} from './proposal.js';

/**
 * What talks to the node: submitting approved proposals, creating the shared accounts, and
 * checking a shared wallet description against the ledger.
 */

export interface SubmitOptions {
  /**
   * Node keys the wallet already trusts ("pub_…"). When given, a node presenting another key is
   * refused (node_key_untrusted) before anything is submitted.
   */
  readonly trusted_node_keys?: readonly string[];
  /** The time the expiry is judged at, ms since the epoch; default now. */
  readonly now_ms?: number;
  /** How long to wait for the block that seals the transaction. Default 10,000. */
  readonly wait_ms?: number;
  /** Delay between receipt lookups. Default 50. */
  readonly poll_ms?: number;
}

export interface Submitted {
  /** The ledger transaction id (the document body's id). */
  readonly transaction_id: string;
  /** "doc_…", the proposal's id. */
  readonly document_id: string;
  /** Verified against `node_key`: it proves the transaction offline. */
  readonly receipt: Receipt;
  readonly node_key: string;
  /** The node had accepted this document before (another member submitted it first). */
  readonly duplicate: boolean;
}

function addDetails(error: WebWalletError, details: Record<string, unknown>): { ok: false; error: WebWalletError } {
  return { ok: false, error: new WebWalletError(error.code, { ...error.details, ...details }, error.message) };
}

/**
 * Submits the proposal's document once enough members approved it, waits for the block that
 * seals it and verifies the receipt offline. Without enough approvals nothing is sent and the
 * answer is `authorization_insufficient` with details.needed; an expired proposal is
 * `timestamp_skew`. The ledger checks the signatures again and is the one that enforces the rule:
 * a rejection keeps its code (authorization_insufficient, insufficient_funds, …).
 *
 * Submitting again is safe: the node answers a document it accepted before as a duplicate, so
 * every member's device may submit once it sees the last approval.
 *
 * @example
 * const done = await submitWhenApproved(proposal, shared, new NodeClient({ url: shared.node }));
 * if (done.ok) await wallet.putReceipt(done.value.receipt);
 */
export async function submitWhenApproved(
  proposal: Proposal,
  shared: SharedWallet,
  node: NodeClient,
  options: SubmitOptions = {},
): Promise<Result<Submitted>> {
  const current = checkProposal(proposal, shared);
  if (!current.ok) return current;
  const document = current.value.document;
  const transaction_id = document.body.id;
  const now = options.now_ms ?? Date.now();
  if (proposalExpired(current.value, now)) {
    return err('timestamp_skew', {
      reason: 'the proposal expired: propose it again',
      expires_at: current.value.expires_at,
      now: new Date(now).toISOString(),
    });
  }
  const needed = signaturesNeeded(current.value, shared);
  if (needed > 0) {
    const authority = authorityOf(shared, current.value.account) as Authority;
    return err('authorization_insufficient', {
      account: authority.account,
      threshold: authority.threshold,
      keys: authority.keys,
      signed_by: document.signatures.map((s) => s.key),
      needed,
      submitted: false,
    });
  }
  const info = await node.info();
  if (!info.ok) return addDetails(info.error, { transaction_id });
  const trusted = options.trusted_node_keys;
  if (trusted !== undefined && !trusted.includes(info.value.public_key)) {
    return err('node_key_untrusted', { node: info.value.public_key, trusted, url: node.url });
  }
  const submitted = await node.submit([document]);
  if (!submitted.ok) return addDetails(submitted.error, { transaction_id });
  const [result] = submitted.value;
  if (result === undefined) return err('node_unreachable', { url: node.url, reason: 'no result', transaction_id });
  if (result.status === 'rejected') return addDetails(result.error, { transaction_id });
  const receipt = await node.waitForReceipt(transaction_id, {
    timeout_ms: options.wait_ms ?? RECEIPT_WAIT_DEFAULT_MS,
    ...(options.poll_ms === undefined ? {} : { poll_ms: options.poll_ms }),
  });
  if (!receipt.ok) return addDetails(receipt.error, { transaction_id });
  const verified = await verifyReceipt(receipt.value, [info.value.public_key]);
  if (!verified.ok) return addDetails(verified.error, { transaction_id });
  if (verified.value.document_id !== documentId(document.body)) {
    return err('receipt_invalid', { reason: 'the receipt is for another transaction', transaction_id });
  }
  return ok({
    transaction_id,
    document_id: proposalId(current.value),
    receipt: receipt.value,
    node_key: info.value.public_key,
    duplicate: result.duplicate === true,
  });
}

export interface CreateSharedOptions extends SubmitOptions, SharedWalletOptions {}

export interface SharedAccountStart {
  readonly shared: SharedWallet;
  /**
   * The account's ledger.account.create, signed by the creator. The ledger wants `threshold` of
   * the new account's keys on it: send it to the other signing members, who `approve` it, then
   * `submitWhenApproved` creates the account.
   */
  readonly proposal: Proposal;
  /** Set when the creator's signature alone was enough (threshold 1) and the account exists. */
  readonly created?: Submitted;
}

/**
 * Starts a shared wallet: its description (the account is the first signing member's key) and
 * the proposal that creates its m-of-n account on the ledger, which the other members approve.
 * Only an owner creates it (`authorization_insufficient` otherwise); `account_exists` when the
 * ledger already has an account by that key (give the shared wallet a key of its own);
 * `shared_wallet_invalid` for members or a threshold that do not make a shared wallet.
 *
 * @example
 * const start = await createSharedAccount(members, 2, aliceKeys, node);
 * if (start.ok) sendToMembers(start.value.shared, proposalToJson(start.value.proposal));
 */
export async function createSharedAccount(
  members: readonly SharedMember[],
  threshold: number,
  creator: KeyPair,
  node: NodeClient,
  options: CreateSharedOptions = {},
): Promise<Result<SharedAccountStart>> {
  const shared = sharedWallet(members, threshold, node.url, options);
  if (!shared.ok) return shared;
  const key = encodePrefixed('pub', creator.publicKey);
  if (memberOf(shared.value, key)?.role !== 'owner') {
    return err('authorization_insufficient', {
      account: shared.value.account,
      key,
      reason: 'only an owner creates it',
    });
  }
  const existing = await node.account(shared.value.account);
  if (!existing.ok) return existing;
  if (existing.value !== undefined) return err('account_exists', { account: shared.value.account });
  const proposal = await proposeAccountCreation(shared.value, creator, options);
  if (!proposal.ok) return proposal;
  if (signaturesNeeded(proposal.value, shared.value) > 0) return ok({ shared: shared.value, proposal: proposal.value });
  const created = await submitWhenApproved(proposal.value, shared.value, node, options);
  if (!created.ok) return created;
  return ok({ shared: shared.value, proposal: proposal.value, created: created.value });
}

export interface PettyCashCreated {
  readonly account: Submitted;
  /** The trust line whose limit caps what the petty cash holds. */
  readonly trust: Submitted;
}

/**
 * Creates the petty cash account of a shared wallet that describes one (`withPettyCash`): a
 * 1-of-n account with the signing members' keys and a trust line in its currency up to its
 * limit. One signing member does it alone; filling it takes the main account's approvals
 * (`proposeRefill`).
 *
 * @example
 * const petty = await createPettyCash(shared, aliceKeys, node);
 */
export async function createPettyCash(
  shared: SharedWallet,
  member: KeyPair,
  node: NodeClient,
  options: SubmitOptions = {},
): Promise<Result<PettyCashCreated>> {
  const petty = shared.petty_cash;
  if (petty === undefined) return noPettyCash();
  const proposeOptions = options.now_ms === undefined ? {} : { now_ms: options.now_ms };
  const create = await proposeAccountCreation(shared, member, { ...proposeOptions, from: 'petty_cash' });
  if (!create.ok) return create;
  const account = await submitWhenApproved(create.value, shared, node, options);
  if (!account.ok) return account;
  const line = await proposeTrust(shared, petty.currency, petty.limit, member, {
    ...proposeOptions,
    from: 'petty_cash',
  });
  if (!line.ok) return line;
  const trust = await submitWhenApproved(line.value, shared, node, options);
  if (!trust.ok) return trust;
  return ok({ account: account.value, trust: trust.value });
}

function sameAuthority(view: AccountView, authority: Authority): boolean {
  const sorted = (keys: readonly string[]) => [...keys].sort().join(',');
  return !view.custodial && view.threshold === authority.threshold && sorted(view.keys) === sorted(authority.keys);
}

/**
 * Checks a shared wallet description against the ledger: each of its accounts exists with
 * exactly the signing members' keys and the threshold. A description arrives from another
 * device; only the ledger says who can really spend. `shared_wallet_invalid` (details.field names
 * the account, details.ledger what the ledger holds) on a mismatch, `account_not_found` when
 * an account does not exist (yet).
 *
 * @example
 * const checked = await verifySharedWallet(shared, node);
 */
export async function verifySharedWallet(shared: SharedWallet, node: NodeClient): Promise<Result<AccountView>> {
  const petty = pettyCashAuthority(shared);
  let main: AccountView | undefined;
  for (const [field, authority] of [
    ['account', mainAuthority(shared)],
    ['petty_cash.account', petty],
  ] as const) {
    if (authority === undefined) continue;
    const view = await node.account(authority.account);
    if (!view.ok) return view;
    if (view.value === undefined) return err('account_not_found', { account: authority.account, node: node.url });
    if (!sameAuthority(view.value, authority)) {
      return err('shared_wallet_invalid', {
        field,
        reason: 'the ledger account has other keys or another threshold than the description',
        ledger: { keys: view.value.keys, threshold: view.value.threshold },
      });
    }
    main ??= view.value;
  }
  return ok(main as AccountView);
}
