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
  compareDecimal,
  mainAuthority,
  memberOf,
  type SharedMember,
  type SharedWallet,
  type SharedWalletOptions,
  type SmallPaymentRule,
  sharedWallet,
} from './model.js';
import {
  checkProposal,
  type Proposal,
  proposalExpired,
  proposalId,
  proposeAccountCreation,
  requiredAuthorities,
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
  /**
   * An accepted ledger.account.update: the shared wallet as it is now (the proposal's `next`).
   * Keep it in place of the old description.
   */
  readonly shared_wallet?: SharedWallet;
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
 * A small payment goes out once its small-payment rule's threshold approved it. When the ledger
 * still wants the full threshold (the rule's rolling window cap is reached, or the issuer's fee
 * took the debit above amount_max), the answer is `authorization_insufficient` with
 * details.full_threshold true, details.needed the approvals still to collect and
 * details.small_payment the ledger's reason: the proposal keeps collecting approvals (count them
 * with `signaturesNeeded(proposal, shared, { full_threshold: true })`) and is submitted again.
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
    const authorities = requiredAuthorities(current.value, shared);
    return err('authorization_insufficient', {
      account: shared.account,
      threshold: Math.max(...authorities.map((a) => a.threshold)),
      keys: [...new Set(authorities.flatMap((a) => a.keys))],
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
  if (result.status === 'rejected') return rejected(result.error, current.value, shared, transaction_id);
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
    ...(current.value.next === undefined ? {} : { shared_wallet: current.value.next }),
  });
}

/**
 * The ledger's rejection, with what to do next when it refused a small payment the rule's
 * threshold signed: collect approvals up to the full threshold.
 */
function rejected(
  error: WebWalletError,
  proposal: Proposal,
  shared: SharedWallet,
  transaction_id: string,
): { ok: false; error: WebWalletError } {
  const small = error.details.small_payment as { reason?: unknown; threshold?: unknown } | undefined;
  const signed = proposal.document.signatures.length;
  const fewerThanRule = typeof small?.threshold === 'number' && signed < small.threshold;
  if (error.code !== 'authorization_insufficient' || small === undefined || fewerThanRule) {
    return addDetails(error, { transaction_id });
  }
  const needed = signaturesNeeded(proposal, shared, { full_threshold: true });
  const why = /window/.test(String(small.reason))
    ? 'small payments reached their rolling window cap'
    : `the ledger does not count it as a small payment (${String(small.reason)})`;
  return addDetails(error, {
    transaction_id,
    full_threshold: true,
    threshold: shared.threshold,
    needed,
    submitted: true,
    reason: `${why}: this payment needs ${shared.threshold} approvals; collect ${needed} more, then submit it again`,
  });
}

export interface CreateSharedOptions extends SubmitOptions {
  /**
   * Fewer approvals for small payments: the account's spending policy on the ledger, given in its
   * ledger.account.create (each currency must exist on the ledger already).
   */
  readonly small_payments?: SharedWalletOptions['small_payments'];
}

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
  const rules = options.small_payments;
  const shared = sharedWallet(members, threshold, node.url, rules === undefined ? {} : { small_payments: rules });
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

/** The ledger's view of a spending policy (GET /v1/accounts/{id}), window_spent included. */
interface PolicyView {
  readonly small_payments: readonly (SmallPaymentRule & { readonly window_spent: string })[];
}

/** Whether the ledger's rules are the description's: same order, amounts compared as numbers. */
function samePolicy(view: PolicyView | null | undefined, rules: readonly SmallPaymentRule[]): boolean {
  const ledger = view?.small_payments ?? [];
  if (ledger.length !== rules.length) return false;
  return rules.every((rule, i) => {
    const other = ledger[i];
    return (
      other !== undefined &&
      other.currency === rule.currency &&
      other.threshold === rule.threshold &&
      other.window_ms === rule.window_ms &&
      compareDecimal(other.amount_max, rule.amount_max) === 0 &&
      compareDecimal(other.window_amount_max, rule.window_amount_max) === 0
    );
  });
}

/**
 * Checks a shared wallet description against the ledger: its account exists with exactly the
 * signing members' keys, the threshold and the small-payment rules. A description arrives from
 * another device; only the ledger says who can really spend. `shared_wallet_invalid` (details.field
 * names what differs, details.ledger what the ledger holds) on a mismatch, `account_not_found`
 * when the account does not exist (yet).
 *
 * @example
 * const checked = await verifySharedWallet(shared, node);
 */
export async function verifySharedWallet(shared: SharedWallet, node: NodeClient): Promise<Result<AccountView>> {
  const authority = mainAuthority(shared);
  const view = await node.account(authority.account);
  if (!view.ok) return view;
  if (view.value === undefined) return err('account_not_found', { account: authority.account, node: node.url });
  const ledger = view.value;
  const sorted = (keys: readonly string[]) => [...keys].sort().join(',');
  if (ledger.custodial || ledger.threshold !== authority.threshold || sorted(ledger.keys) !== sorted(authority.keys)) {
    return err('shared_wallet_invalid', {
      field: 'account',
      reason: 'the ledger account has other keys or another threshold than the description',
      ledger: { keys: ledger.keys, threshold: ledger.threshold },
    });
  }
  const policy = (ledger as AccountView & { spending_policy?: PolicyView | null }).spending_policy;
  if (!samePolicy(policy, shared.small_payments ?? [])) {
    return err('shared_wallet_invalid', {
      field: 'small_payments',
      reason: 'the ledger account has other small-payment rules than the description',
      ledger: { spending_policy: policy ?? null },
    });
  }
  return ok(ledger);
}
