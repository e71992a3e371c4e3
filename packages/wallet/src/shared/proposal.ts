import {
  CURRENCY_CODE,
  canonicalize,
  createDocument,
  type DocumentSignature,
  decodePrefixed,
  documentId,
  encodePrefixed,
  err,
  type KeyPair,
  ok,
  parseDocument,
  type Result,
  randomBytes,
  type SignedDocument,
  signDocument,
  signingPayload,
  toBase64Url,
  verifySync,
} from '@webwallet/core';
import { type Check, checkRecord, DECIMAL, jsonCopy, positiveDecimal, timestamp } from '../instruments/validate.js';
import type { PaymentRequest } from '../pay/payment-uri.js';
import {
  type Authority,
  authorityOf,
  canSign,
  mainAuthority,
  memberOf,
  paymentThreshold,
  type SharedMember,
  type SharedWallet,
  type SmallPaymentRule,
  signingKeys,
  validateSharedWallet,
} from './model.js';

/**
 * Proposals: a payment (or another transaction of the shared account) that one member signed and
 * the others approve from their own devices. A proposal is plain JSON, so it travels through
 * the wallet's sync channel; each device adds its member's signature and `mergeProposals`
 * combines the copies. Nothing here talks to a node: `submitWhenApproved` does.
 *
 * Each proposal names the approvals it needs (`signaturesNeeded`): a payment the shared wallet's
 * threshold, or a small-payment rule's lower one; a change of members, threshold or rules
 * (ledger.account.update) both the current members' threshold and the new members' threshold.
 *
 * A proposal lives at most 5 minutes: every member signs the same ledger document, whose
 * created_at the node refuses once it is more than 5 minutes from its clock (the ledger's
 * TIMESTAMP_SKEW_MS_MAX). Approvals that take longer need a new proposal.
 */

export const PROPOSAL_TYPE = 'webwallet.shared.proposal';
export const PROPOSAL_VERSION = 1;
/** The ledger's TIMESTAMP_SKEW_MS_MAX: a document older than this is refused (timestamp_skew). */
export const PROPOSAL_LIFETIME_MAX_MS = 5 * 60_000;
/** A minute short of the maximum, for the members' clocks and the submission itself. */
export const PROPOSAL_LIFETIME_DEFAULT_MS = 4 * 60_000;
/** Longest proposal text `parseProposal` reads: ten signatures and a 16-leg transfer fit easily. */
export const PROPOSAL_TEXT_LENGTH_MAX = 32_768;
/** The ledger's transaction version. */
const LEDGER_VERSION = 1;
/** The ledger's limits (packages/ledger/src/model/schemas.ts). */
const LEGS_MAX = 16;
const MEMO_LENGTH_MAX = 256;

export interface LegBody {
  readonly from: string;
  readonly to: string;
  readonly currency: string;
  readonly amount: string;
}

/** The ledger's SpendingPolicy body. */
export interface SpendingPolicyBody {
  readonly small_payments: readonly SmallPaymentRule[];
}

/**
 * The ledger bodies a shared account signs (the ledger's AccountCreate, AccountUpdate, TrustSet,
 * Transfer).
 */
export interface AccountCreateBody {
  readonly id: string;
  readonly created_at: string;
  readonly account: string;
  readonly keys: readonly string[];
  readonly threshold: number;
  readonly spending_policy?: SpendingPolicyBody;
}

/** Replaces the account's keys, threshold and spending policy (none when omitted): the create body's fields. */
export type AccountUpdateBody = AccountCreateBody;

export interface TrustSetBody {
  readonly id: string;
  readonly created_at: string;
  readonly holder: string;
  readonly currency: string;
  readonly limit: string;
}

export interface TransferBody {
  readonly id: string;
  readonly created_at: string;
  readonly legs: readonly LegBody[];
  readonly memo?: string;
}

export type ProposalBody = AccountCreateBody | AccountUpdateBody | TrustSetBody | TransferBody;

export const PROPOSAL_DOCUMENT_TYPES = [
  'ledger.account.create',
  'ledger.account.update',
  'ledger.trust.set',
  'ledger.transfer',
] as const;
export type ProposalDocumentType = (typeof PROPOSAL_DOCUMENT_TYPES)[number];

export interface Proposal {
  readonly type: typeof PROPOSAL_TYPE;
  readonly version: typeof PROPOSAL_VERSION;
  /** The shared wallet's account, whose keys must sign. */
  readonly account: string;
  /** The member who proposed it ("pub_…"); their signature is on the document. */
  readonly proposer: string;
  /** The document's created_at. */
  readonly created_at: string;
  /** After this, members no longer approve it and it is not submitted. */
  readonly expires_at: string;
  /** The ledger document with the signatures gathered so far, sorted by key. */
  readonly document: SignedDocument<ProposalBody>;
  /**
   * ledger.account.update only: the shared wallet as it will be (names and roles included, which
   * the ledger does not hold). Once the ledger accepts the update, it is the shared wallet.
   */
  readonly next?: SharedWallet;
}

export interface ProposeOptions {
  /** Signing time, ms since the epoch; default now. */
  readonly now_ms?: number;
  /** How long members have to approve: default 4 minutes, at most 5 (the ledger's clock window). */
  readonly lifetime_ms?: number;
  /** The ledger transaction id; default 128 random bits. */
  readonly id?: string;
}

// --- checking ----------------------------------------------------------------------------------

const ACCOUNT = /^(pub_[A-Za-z0-9_-]{43}|acc_[A-Za-z0-9_-]{4,40})$/;
const TRANSACTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

function invalid(field: string, reason: string): Result<never> {
  return err('proposal_invalid', { field, reason });
}

function refused(account: string, key: string, reason: string): Result<never> {
  return err('authorization_insufficient', { account, key, reason });
}

/** Why `key` may not sign for the authorities, or undefined when it may. */
function signerProblem(
  shared: SharedWallet,
  authorities: readonly Authority[],
  key: string,
  next?: SharedWallet,
): Result<never> | undefined {
  const account = shared.account;
  const member = memberOf(shared, key) ?? (next && memberOf(next, key));
  if (member === undefined) return refused(account, key, 'not a member of this shared wallet');
  if (!canSign(member)) {
    return refused(account, key, 'viewers hold no signing key: the ledger would not count the signature');
  }
  return keysOf(authorities).includes(key) ? undefined : refused(account, key, 'not one of the account keys');
}

/** Every key whose signature counts for one of the authorities. */
function keysOf(authorities: readonly Authority[]): string[] {
  return [...new Set(authorities.flatMap((a) => a.keys))];
}

/** The ledger's spending policy body for the shared wallet's rules, or undefined for none. */
export function spendingPolicyOf(shared: SharedWallet): SpendingPolicyBody | undefined {
  const rules = shared.small_payments ?? [];
  return rules.length === 0 ? undefined : { small_payments: rules };
}

const samePolicy =
  (expected: SharedWallet, what: string): Check =>
  (value) =>
    canonicalize(value ?? null) === canonicalize(spendingPolicyOf(expected) ?? null) ? undefined : what;

const is =
  (pattern: RegExp, what: string): Check =>
  (value) =>
    typeof value === 'string' && pattern.test(value) ? undefined : what;

const required = (check: Check) => ({ check, required: true });
const equals =
  (expected: unknown, what: string): Check =>
  (value) =>
    value === expected ? undefined : what;

function accountRules(wallet: SharedWallet, which: string) {
  return {
    account: required(equals(wallet.account, "the shared wallet's account")),
    keys: required((v) =>
      Array.isArray(v) && canonicalize(v) === canonicalize(signingKeys(wallet))
        ? undefined
        : `the ${which} signing members' keys, in member order`,
    ),
    threshold: required(equals(wallet.threshold, `the ${which} threshold`)),
    spending_policy: {
      check: samePolicy(wallet, `the ${which} small-payment rules`),
      required: spendingPolicyOf(wallet) !== undefined,
    },
  };
}

function bodyRules(type: ProposalDocumentType, proposal: Proposal, shared: SharedWallet) {
  const common = {
    id: required(is(TRANSACTION_ID, '1 to 64 letters, digits, "_" or "-"')),
    created_at: required(equals(proposal.created_at, "the proposal's created_at")),
  };
  const own = equals(shared.account, "the shared wallet's account");
  switch (type) {
    case 'ledger.account.create':
      return { ...common, ...accountRules(shared, "shared wallet's") };
    // checkNext made sure the proposal carries the next description.
    case 'ledger.account.update':
      return { ...common, ...accountRules(proposal.next as SharedWallet, 'new') };
    case 'ledger.trust.set':
      return {
        ...common,
        holder: required(own),
        currency: required(is(CURRENCY_CODE, 'a currency code')),
        limit: required(is(DECIMAL, 'a decimal string')),
      };
    case 'ledger.transfer':
      return {
        ...common,
        legs: required((v) => legsProblem(v, shared.account)),
        memo: {
          check: (v: unknown) =>
            typeof v === 'string' && v.length <= MEMO_LENGTH_MAX ? undefined : `at most ${MEMO_LENGTH_MAX} characters`,
          required: false,
        },
      };
  }
}

const LEG_RULES = {
  from: required(is(ACCOUNT, 'an account id')),
  to: required(is(ACCOUNT, 'an account id')),
  currency: required(is(CURRENCY_CODE, 'a currency code')),
  amount: required(positiveDecimal),
};

/** Every leg pays from the shared account: another payer's authorization is not ours to gather. */
function legsProblem(value: unknown, account: string): string | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > LEGS_MAX) return `1 to ${LEGS_MAX} legs`;
  for (const [index, leg] of value.entries()) {
    const problem = checkRecord(leg, LEG_RULES);
    if (problem) return `leg ${index}: ${problem.field} ${problem.reason}`;
    if ((leg as LegBody).from !== account) return `leg ${index} pays from another account than the shared wallet's`;
  }
  return undefined;
}

const PROPOSAL_RULES = {
  type: required(equals(PROPOSAL_TYPE, PROPOSAL_TYPE)),
  version: required(equals(PROPOSAL_VERSION, String(PROPOSAL_VERSION))),
  account: required(is(ACCOUNT, 'an account id')),
  proposer: required(is(/^pub_[A-Za-z0-9_-]{43}$/, 'a "pub_…" key')),
  created_at: required(timestamp),
  expires_at: required(timestamp),
  document: required(() => undefined),
  next: { check: () => undefined, required: false },
};

function lifetimeProblem(proposal: Proposal): Result<never> | undefined {
  const lifetime = Date.parse(proposal.expires_at) - Date.parse(proposal.created_at);
  if (lifetime > 0 && lifetime <= PROPOSAL_LIFETIME_MAX_MS) return undefined;
  return invalid('expires_at', `after created_at, by at most ${PROPOSAL_LIFETIME_MAX_MS / 60_000} minutes`);
}

/** The signatures the ledger will count: valid, by the authorities' keys, one per key, sorted. */
function countedSignatures(document: SignedDocument, authorities: readonly Authority[]): DocumentSignature[] {
  const keys = keysOf(authorities);
  const payload = signingPayload(document.type, document.version, documentId(document.body));
  const byKey = new Map<string, string>();
  for (const entry of document.signatures) {
    if (!keys.includes(entry.key) || !signatureValid(entry, payload)) continue;
    const seen = byKey.get(entry.key);
    // Ed25519 signatures are deterministic, so two valid ones for one key only come from an
    // unusual signer; keeping the smaller makes every device pick the same.
    if (seen === undefined || entry.sig < seen) byKey.set(entry.key, entry.sig);
  }
  return [...byKey.keys()].sort().map((key) => ({ key, sig: byKey.get(key) as string }));
}

function signatureValid(entry: DocumentSignature, payload: Uint8Array): boolean {
  const key = decodePrefixed('pub', entry.key);
  const sig = decodePrefixed('sig', entry.sig);
  return key.ok && sig.ok && verifySync(sig.value, payload, key.value);
}

function withSignatures(proposal: Proposal, signatures: DocumentSignature[]): Proposal {
  return { ...proposal, document: { ...proposal.document, signatures } };
}

/** What a proposal needs, besides its authorities' thresholds. */
export interface RequirementOptions {
  /**
   * Count a payment against the shared wallet's full threshold even when a small-payment rule
   * covers its amount: after the ledger refused it under the rule (its rolling window cap is
   * reached), `submitWhenApproved` says so with details.full_threshold.
   */
  readonly full_threshold?: boolean;
}

/**
 * The authorities whose thresholds the proposal must each meet: the shared account's (with a
 * small-payment rule's lower threshold for a small transfer); for ledger.account.update also the
 * new keys with the new threshold, as the ledger wants both.
 */
export function requiredAuthorities(
  proposal: Proposal,
  shared: SharedWallet,
  options: RequirementOptions = {},
): Authority[] {
  const main = mainAuthority(shared);
  const document = proposal.document;
  if (document.type === 'ledger.transfer' && options.full_threshold !== true) {
    return [{ ...main, threshold: paymentThreshold(shared, (document.body as TransferBody).legs) }];
  }
  if (document.type === 'ledger.account.update' && proposal.next !== undefined) {
    return [main, { ...mainAuthority(proposal.next), account: shared.account }];
  }
  return [main];
}

function neededFor(authorities: readonly Authority[], signatures: readonly DocumentSignature[]): number {
  const signed = (a: Authority) => signatures.filter((s) => a.keys.includes(s.key)).length;
  return Math.max(0, ...authorities.map((a) => a.threshold - signed(a)));
}

/** Why the next description of an account update is not one, or undefined when it is. */
function nextProblem(proposal: Proposal, shared: SharedWallet): Result<never> | undefined {
  const isUpdate = proposal.document?.type === 'ledger.account.update';
  if (!isUpdate) return proposal.next === undefined ? undefined : invalid('next', 'only for ledger.account.update');
  const next = validateSharedWallet(proposal.next);
  if (!next.ok) {
    const { field, reason } = next.error.details as { field?: string; reason?: string };
    return invalid(`next${field ? `.${field}` : ''}`, String(reason));
  }
  if (next.value.account !== shared.account || next.value.node !== shared.node) {
    return invalid('next', "the same account on the same node as the shared wallet's");
  }
  return undefined;
}

/**
 * Checks a proposal against the shared wallet: its shape, that its document is one the account
 * signs and says what it should (a transfer pays only from the shared account; an account
 * creation lists exactly the members' keys, the threshold and the small-payment rules; an account
 * update exactly those of the description it carries in `next`), and that the proposer, a signing
 * member, signed it. `proposal_invalid` with details {field, reason} otherwise. Returns the
 * proposal keeping only the signatures the ledger will count, sorted by key.
 */
export function checkProposal(value: unknown, shared: SharedWallet): Result<Proposal> {
  const problem = checkRecord(value, PROPOSAL_RULES);
  if (problem) return invalid(problem.field, problem.reason);
  const proposal = value as Proposal;
  if (authorityOf(shared, proposal.account) === undefined) {
    return invalid('account', "not the shared wallet's account");
  }
  const lifetime = lifetimeProblem(proposal);
  if (lifetime) return lifetime;
  const parsed = parseDocument(proposal.document);
  if (!parsed.ok)
    return invalid('document', `${parsed.error.code}: ${parsed.error.details.reason ?? parsed.error.message}`);
  const document = parsed.value.document;
  const type = document.type as ProposalDocumentType;
  if (!PROPOSAL_DOCUMENT_TYPES.includes(type) || document.version !== LEDGER_VERSION) {
    return invalid('document.type', `one of ${PROPOSAL_DOCUMENT_TYPES.join(', ')}, version ${LEDGER_VERSION}`);
  }
  const next = nextProblem(proposal, shared);
  if (next) return next;
  const bodyProblem = checkRecord(document.body, bodyRules(type, proposal, shared));
  if (bodyProblem) return invalid(`document.body.${bodyProblem.field}`, bodyProblem.reason);
  if (!signingKeys(shared).includes(proposal.proposer)) {
    return invalid('proposer', 'a signing member of the shared wallet');
  }
  if (type === 'ledger.account.update' && memberOf(shared, proposal.proposer)?.role !== 'owner') {
    return invalid('proposer', 'an owner: only owners change the members, threshold or rules');
  }
  const signatures = countedSignatures(document, requiredAuthorities(proposal, shared));
  if (!signatures.some((s) => s.key === proposal.proposer)) {
    return invalid('proposer', "the proposer's signature is missing or does not verify");
  }
  // A copy sharing no objects with the caller's value: proposals arrive from other devices.
  return ok(withSignatures(jsonCopy(proposal), signatures));
}

function checked(proposal: Proposal, shared: SharedWallet): Proposal {
  const result = checkProposal(proposal, shared);
  if (!result.ok) throw new TypeError(`not a proposal of this shared wallet: ${result.error.message}`);
  return result.value;
}

// --- making and approving ------------------------------------------------------------------------

async function propose(
  shared: SharedWallet,
  type: ProposalDocumentType,
  fields: Record<string, unknown>,
  proposer: KeyPair,
  options: ProposeOptions,
  next?: SharedWallet,
): Promise<Result<Proposal>> {
  const key = encodePrefixed('pub', proposer.publicKey);
  const refusal = signerProblem(shared, [mainAuthority(shared)], key);
  if (refusal) return refusal;
  const lifetime = options.lifetime_ms ?? PROPOSAL_LIFETIME_DEFAULT_MS;
  if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > PROPOSAL_LIFETIME_MAX_MS) {
    throw new RangeError(`lifetime_ms must be 1 to ${PROPOSAL_LIFETIME_MAX_MS}, got ${options.lifetime_ms}`);
  }
  const now = options.now_ms ?? Date.now();
  const created_at = new Date(now).toISOString();
  const body = { id: options.id ?? toBase64Url(randomBytes(16)), created_at, ...fields } as ProposalBody;
  const document = await createDocument(type, LEDGER_VERSION, body, [proposer]);
  const proposal: Proposal = {
    type: PROPOSAL_TYPE,
    version: PROPOSAL_VERSION,
    account: shared.account,
    proposer: key,
    created_at,
    expires_at: new Date(now + lifetime).toISOString(),
    document,
    ...(next === undefined ? {} : { next }),
  };
  // Through the same check every other device applies, so a proposal made here is never one
  // the others refuse (a memo too long, an amount the ledger's pattern refuses, …).
  return checkProposal(proposal, shared);
}

/**
 * A payment request (a parsed payment URI) as a proposal signed by the proposer: a
 * ledger.transfer from the shared account, waiting for the other members' approvals (fewer when
 * a small-payment rule covers the amount, see `paymentThreshold`).
 * `authorization_insufficient` when the proposer is a viewer or not a member;
 * `payment_uri_invalid` when the request is payable on another node than the shared account's.
 *
 * @example
 * const proposal = await proposePayment(request, shared, aliceKeys);
 * if (proposal.ok) sendToMembers(proposalToJson(proposal.value));
 */
export async function proposePayment(
  request: PaymentRequest,
  shared: SharedWallet,
  proposer: KeyPair,
  options: ProposeOptions = {},
): Promise<Result<Proposal>> {
  if (request.node.replace(/\/+$/, '') !== shared.node) {
    return err('payment_uri_invalid', {
      reason: `the request is paid on ${request.node}; the shared account is on ${shared.node}`,
      field: 'node',
    });
  }
  const memo = request.memo ?? request.invoice;
  const leg = { from: shared.account, to: request.to, currency: request.currency, amount: request.amount };
  const fields = { legs: [leg], ...(memo === undefined ? {} : { memo }) };
  return propose(shared, 'ledger.transfer', fields, proposer, options);
}

/**
 * A trust line of the shared account (needed before it can receive a currency), as a proposal.
 *
 * @example
 * const proposal = await proposeTrust(shared, 'EUR', '10000.00', aliceKeys);
 */
export async function proposeTrust(
  shared: SharedWallet,
  currency: string,
  limit: string,
  proposer: KeyPair,
  options: ProposeOptions = {},
): Promise<Result<Proposal>> {
  const fields = { holder: shared.account, currency, limit };
  return propose(shared, 'ledger.trust.set', fields, proposer, options);
}

function accountFields(wallet: SharedWallet): Record<string, unknown> {
  const policy = spendingPolicyOf(wallet);
  return {
    account: wallet.account,
    keys: signingKeys(wallet),
    threshold: wallet.threshold,
    ...(policy === undefined ? {} : { spending_policy: policy }),
  };
}

/**
 * The ledger.account.create of the shared account, signed by the creator, with the small-payment
 * rules as its spending policy. The ledger wants `threshold` of the new account's keys on it, so
 * it is a proposal like a payment.
 */
export async function proposeAccountCreation(
  shared: SharedWallet,
  creator: KeyPair,
  options: ProposeOptions = {},
): Promise<Result<Proposal>> {
  return propose(shared, 'ledger.account.create', accountFields(shared), creator, options);
}

/**
 * Changes the shared wallet's members, threshold or small-payment rules: a ledger.account.update
 * to `next` (from `changedSharedWallet`), which the ledger accepts only when the current
 * threshold of the current signing members AND the new threshold of the new ones signed it.
 * Once `submitWhenApproved` succeeds, its `shared_wallet` (the proposal's `next`) is the shared
 * wallet. Only an owner proposes it (`authorization_insufficient` otherwise); a new member who
 * holds a key may approve it too.
 *
 * @example
 * const next = unwrap(changedSharedWallet(shared, [...shared.members, dan], 3));
 * const proposal = await proposeAccountUpdate(shared, next, aliceKeys);
 */
export async function proposeAccountUpdate(
  shared: SharedWallet,
  next: SharedWallet,
  proposer: KeyPair,
  options: ProposeOptions = {},
): Promise<Result<Proposal>> {
  const key = encodePrefixed('pub', proposer.publicKey);
  if (memberOf(shared, key)?.role !== 'owner') {
    return refused(shared.account, key, 'only an owner changes the members, threshold or rules');
  }
  return propose(shared, 'ledger.account.update', accountFields(next), proposer, options, next);
}

/** Whether the proposal is past its expires_at. */
export function proposalExpired(proposal: Proposal, now_ms: number = Date.now()): boolean {
  return now_ms > Date.parse(proposal.expires_at);
}

function expiredError(proposal: Proposal, now_ms: number): Result<never> {
  return err('timestamp_skew', {
    reason: 'the proposal expired: propose it again',
    expires_at: proposal.expires_at,
    now: new Date(now_ms).toISOString(),
  });
}

/**
 * Adds the member's approval (their signature on the ledger document). Checks the proposal first,
 * so a member never signs a document that says something else than what the proposal shows.
 * `authorization_insufficient` for a viewer or a non-member, `timestamp_skew` once expired,
 * `proposal_invalid` for a proposal that is not this shared wallet's. A member an account update
 * adds may approve it (the ledger counts the new keys for the new threshold).
 *
 * @example
 * const approved = await approve(proposal, shared, bobKeys);
 * if (approved.ok) signaturesNeeded(approved.value, shared); // 0 for 2-of-3 after two signatures
 */
export async function approve(
  proposal: Proposal,
  shared: SharedWallet,
  keyPair: KeyPair,
  options: { readonly now_ms?: number } = {},
): Promise<Result<Proposal>> {
  const current = checkProposal(proposal, shared);
  if (!current.ok) return current;
  const now = options.now_ms ?? Date.now();
  if (proposalExpired(current.value, now)) return expiredError(current.value, now);
  // Every key that may count, whatever threshold the ledger ends up asking for.
  const authorities = requiredAuthorities(current.value, shared, { full_threshold: true });
  const refusal = signerProblem(shared, authorities, encodePrefixed('pub', keyPair.publicKey), current.value.next);
  if (refusal) return refusal;
  const signed = await signDocument(current.value.document, keyPair);
  return ok(withSignatures(current.value, countedSignatures(signed, authorities)));
}

/**
 * How many more approvals the ledger needs (0 when it can be submitted): for each required
 * authority (`requiredAuthorities`), its threshold minus the valid signatures by its keys, the
 * largest of these. A small payment needs its rule's threshold, unless `full_threshold` (the
 * ledger refused it under the rule). Throws for a proposal that is not this shared wallet's
 * (check it with `parseProposal` first).
 */
export function signaturesNeeded(proposal: Proposal, shared: SharedWallet, options: RequirementOptions = {}): number {
  const current = checked(proposal, shared);
  return neededFor(requiredAuthorities(current, shared, options), current.document.signatures);
}

function memberOfEither(proposal: Proposal, shared: SharedWallet, key: string): SharedMember {
  const next = proposal.next;
  return (memberOf(shared, key) ?? (next && memberOf(next, key))) as SharedMember;
}

/** The members whose valid signatures the proposal carries, in key order. */
export function approvers(proposal: Proposal, shared: SharedWallet): SharedMember[] {
  const current = checked(proposal, shared);
  return current.document.signatures.map((s) => memberOfEither(current, shared, s.key));
}

/** A proposal's id: the ledger document's id ("doc_…"), the same on every copy. */
export function proposalId(proposal: Proposal): string {
  return documentId(proposal.document.body);
}

/**
 * Combines two copies of one proposal, e.g. one approved on Bob's phone and one on Carol's
 * laptop: the union of their valid signatures by the account's keys, sorted by key. Pure and
 * deterministic: commutative, associative and idempotent, so devices merging in any order agree.
 * `proposal_invalid` when either copy is invalid or the copies are of different proposals.
 *
 * @example
 * const merged = mergeProposals(fromBob, fromCarol, shared);
 */
export function mergeProposals(a: Proposal, b: Proposal, shared: SharedWallet): Result<Proposal> {
  const left = checkProposal(a, shared);
  if (!left.ok) return left;
  const right = checkProposal(b, shared);
  if (!right.ok) return right;
  const envelope = (p: Proposal) => canonicalize({ ...p, document: { ...p.document, signatures: [] } });
  if (envelope(left.value) !== envelope(right.value)) {
    return invalid('', 'the copies are of different proposals');
  }
  const authorities = requiredAuthorities(left.value, shared, { full_threshold: true });
  const union = [...left.value.document.signatures, ...right.value.document.signatures];
  const document = { ...left.value.document, signatures: union };
  return ok(withSignatures(left.value, countedSignatures(document, authorities)));
}

/** The proposal as canonical JSON (RFC 8785): equal proposals give equal text. */
export function proposalToJson(proposal: Proposal): string {
  return canonicalize(proposal);
}

/**
 * Reads a proposal from another device: the JSON text (or its parsed value), checked as
 * `checkProposal` does.
 *
 * @example
 * const proposal = parseProposal(text, shared);
 * if (proposal.ok) showPendingApproval(reviewProposal(proposal.value, shared));
 */
export function parseProposal(input: unknown, shared: SharedWallet): Result<Proposal> {
  let value = input;
  if (typeof input === 'string') {
    if (input.length > PROPOSAL_TEXT_LENGTH_MAX) {
      return invalid('', `longer than ${PROPOSAL_TEXT_LENGTH_MAX} characters`);
    }
    try {
      value = JSON.parse(input);
    } catch {
      return invalid('', 'not JSON');
    }
  }
  return checkProposal(value, shared);
}

/** What a member sees of a pending proposal before approving it. */
export interface ProposalReview {
  readonly id: string;
  /** `members`: a change of members, threshold or small-payment rules (ledger.account.update). */
  readonly kind: 'payment' | 'trust' | 'account' | 'members';
  readonly proposer: SharedMember;
  /** Transfers: what goes where. */
  readonly legs: readonly LegBody[];
  readonly memo: string | undefined;
  readonly approved_by: readonly SharedMember[];
  readonly needed: number;
  /** The approvals it needs in all: lower than the shared wallet's for a small payment. */
  readonly threshold: number;
  /** A payment a small-payment rule covers: the ledger may still ask for more (window cap). */
  readonly small_payment: boolean;
  /** kind `members`: the shared wallet as it will be. */
  readonly next: SharedWallet | undefined;
  readonly expires_at: string;
  readonly expired: boolean;
}

/**
 * The pending approval as a member's screen shows it.
 *
 * @example
 * const review = reviewProposal(proposal, shared);
 * // "Alice proposes 30.00 EUR to pub_…; approved by Alice; 1 more approval needed"
 */
export function reviewProposal(proposal: Proposal, shared: SharedWallet, now_ms: number = Date.now()): ProposalReview {
  const current = checked(proposal, shared);
  const body = current.document.body as Partial<TransferBody>;
  const kinds = {
    'ledger.transfer': 'payment',
    'ledger.trust.set': 'trust',
    'ledger.account.create': 'account',
    'ledger.account.update': 'members',
  } as const;
  const authorities = requiredAuthorities(current, shared);
  const threshold = Math.max(...authorities.map((a) => a.threshold));
  return {
    id: proposalId(current),
    kind: kinds[current.document.type as ProposalDocumentType],
    proposer: memberOf(shared, current.proposer) as SharedMember,
    legs: body.legs ?? [],
    memo: body.memo,
    approved_by: current.document.signatures.map((s) => memberOfEither(current, shared, s.key)),
    needed: neededFor(authorities, current.document.signatures),
    threshold,
    small_payment: current.document.type === 'ledger.transfer' && threshold < shared.threshold,
    next: current.next,
    expires_at: current.expires_at,
    expired: proposalExpired(current, now_ms),
  };
}
