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
  noPettyCash,
  paymentRoute,
  pettyCashAuthority,
  type SharedMember,
  type SharedWallet,
} from './model.js';

/**
 * Proposals: a payment (or another transaction of the shared account) that one member signed and
 * the others approve from their own devices. A proposal is plain JSON, so it travels through
 * the wallet's sync channel; each device adds its member's signature and `mergeProposals`
 * combines the copies. Nothing here talks to a node: `submitWhenApproved` does.
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

/** The ledger bodies a shared account signs (the ledger's AccountCreate, TrustSet, Transfer). */
export interface AccountCreateBody {
  readonly id: string;
  readonly created_at: string;
  readonly account: string;
  readonly keys: readonly string[];
  readonly threshold: number;
}

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

export type ProposalBody = AccountCreateBody | TrustSetBody | TransferBody;

export const PROPOSAL_DOCUMENT_TYPES = ['ledger.account.create', 'ledger.trust.set', 'ledger.transfer'] as const;
export type ProposalDocumentType = (typeof PROPOSAL_DOCUMENT_TYPES)[number];

export interface Proposal {
  readonly type: typeof PROPOSAL_TYPE;
  readonly version: typeof PROPOSAL_VERSION;
  /** The shared wallet's account whose keys must sign: the main account or the petty cash. */
  readonly account: string;
  /** The member who proposed it ("pub_…"); their signature is on the document. */
  readonly proposer: string;
  /** The document's created_at. */
  readonly created_at: string;
  /** After this, members no longer approve it and it is not submitted. */
  readonly expires_at: string;
  /** The ledger document with the signatures gathered so far, sorted by key. */
  readonly document: SignedDocument<ProposalBody>;
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

/** Why `key` may not sign for the authority, or undefined when it may. */
function signerProblem(shared: SharedWallet, authority: Authority, key: string): Result<never> | undefined {
  const member = memberOf(shared, key);
  if (member === undefined) return refused(authority.account, key, 'not a member of this shared wallet');
  if (!canSign(member)) {
    return refused(authority.account, key, 'viewers hold no signing key: the ledger would not count the signature');
  }
  return authority.keys.includes(key) ? undefined : refused(authority.account, key, 'not one of the account keys');
}

const is =
  (pattern: RegExp, what: string): Check =>
  (value) =>
    typeof value === 'string' && pattern.test(value) ? undefined : what;

const required = (check: Check) => ({ check, required: true });
const equals =
  (expected: unknown, what: string): Check =>
  (value) =>
    value === expected ? undefined : what;

function bodyRules(type: ProposalDocumentType, proposal: Proposal, authority: Authority) {
  const common = {
    id: required(is(TRANSACTION_ID, '1 to 64 letters, digits, "_" or "-"')),
    created_at: required(equals(proposal.created_at, "the proposal's created_at")),
  };
  const own = equals(authority.account, "the shared wallet's account");
  switch (type) {
    case 'ledger.account.create':
      return {
        ...common,
        account: required(own),
        keys: required((v) =>
          Array.isArray(v) && canonicalize(v) === canonicalize(authority.keys)
            ? undefined
            : "the signing members' keys, in member order",
        ),
        threshold: required(equals(authority.threshold, "the shared wallet's threshold")),
      };
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
        legs: required((v) => legsProblem(v, authority.account)),
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
};

function lifetimeProblem(proposal: Proposal): Result<never> | undefined {
  const lifetime = Date.parse(proposal.expires_at) - Date.parse(proposal.created_at);
  if (lifetime > 0 && lifetime <= PROPOSAL_LIFETIME_MAX_MS) return undefined;
  return invalid('expires_at', `after created_at, by at most ${PROPOSAL_LIFETIME_MAX_MS / 60_000} minutes`);
}

/** The signatures the ledger will count: valid, by the authority's keys, one per key, sorted. */
function countedSignatures(document: SignedDocument, authority: Authority): DocumentSignature[] {
  const payload = signingPayload(document.type, document.version, documentId(document.body));
  const byKey = new Map<string, string>();
  for (const entry of document.signatures) {
    if (!authority.keys.includes(entry.key) || !signatureValid(entry, payload)) continue;
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

/**
 * Checks a proposal against the shared wallet: its shape, that its document is one the account
 * signs and says what it should (a transfer pays only from the shared account; an account
 * creation lists exactly the members' keys and the threshold), and that the proposer, a signing
 * member, signed it. `proposal_invalid` with details {field, reason} otherwise. Returns the
 * proposal keeping only the signatures the ledger will count, sorted by key.
 */
export function checkProposal(value: unknown, shared: SharedWallet): Result<Proposal> {
  const problem = checkRecord(value, PROPOSAL_RULES);
  if (problem) return invalid(problem.field, problem.reason);
  const proposal = value as Proposal;
  const authority = authorityOf(shared, proposal.account);
  if (authority === undefined) return invalid('account', "not one of the shared wallet's accounts");
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
  const bodyProblem = checkRecord(document.body, bodyRules(type, proposal, authority));
  if (bodyProblem) return invalid(`document.body.${bodyProblem.field}`, bodyProblem.reason);
  if (!authority.keys.includes(proposal.proposer) || !memberOf(shared, proposal.proposer)) {
    return invalid('proposer', 'a signing member of the shared wallet');
  }
  const signatures = countedSignatures(document, authority);
  if (!signatures.some((s) => s.key === proposal.proposer)) {
    return invalid('proposer', "the proposer's signature is missing or does not verify");
  }
  // A copy sharing no objects with the caller's value: proposals arrive from other devices.
  return ok(withSignatures(jsonCopy(proposal), signatures));
}

function checked(proposal: Proposal, shared: SharedWallet): { proposal: Proposal; authority: Authority } {
  const result = checkProposal(proposal, shared);
  if (!result.ok) throw new TypeError(`not a proposal of this shared wallet: ${result.error.message}`);
  return { proposal: result.value, authority: authorityOf(shared, proposal.account) as Authority };
}

// --- making and approving ------------------------------------------------------------------------

async function propose(
  shared: SharedWallet,
  authority: Authority,
  type: ProposalDocumentType,
  fields: Record<string, unknown>,
  proposer: KeyPair,
  options: ProposeOptions,
): Promise<Result<Proposal>> {
  const key = encodePrefixed('pub', proposer.publicKey);
  const refusal = signerProblem(shared, authority, key);
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
    account: authority.account,
    proposer: key,
    created_at,
    expires_at: new Date(now + lifetime).toISOString(),
    document,
  };
  // Through the same check every other device applies, so a proposal made here is never one
  // the others refuse (a memo too long, an amount the ledger's pattern refuses, …).
  return checkProposal(proposal, shared);
}

export interface ProposePaymentOptions extends ProposeOptions {
  /** Which account pays; default `paymentRoute` (the petty cash for small payments, if any). */
  readonly from?: 'main' | 'petty_cash';
}

function routeAuthority(shared: SharedWallet, route: 'main' | 'petty_cash'): Result<Authority> {
  if (route === 'main') return ok(mainAuthority(shared));
  const petty = pettyCashAuthority(shared);
  if (petty === undefined) return noPettyCash();
  return ok(petty);
}

/**
 * A payment request (a parsed payment URI) as a proposal signed by the proposer: a
 * ledger.transfer from the shared account, waiting for the other members' approvals.
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
  options: ProposePaymentOptions = {},
): Promise<Result<Proposal>> {
  if (request.node.replace(/\/+$/, '') !== shared.node) {
    return err('payment_uri_invalid', {
      reason: `the request is paid on ${request.node}; the shared account is on ${shared.node}`,
      field: 'node',
    });
  }
  const authority = routeAuthority(shared, options.from ?? paymentRoute(shared, request));
  if (!authority.ok) return authority;
  const memo = request.memo ?? request.invoice;
  const leg = { from: authority.value.account, to: request.to, currency: request.currency, amount: request.amount };
  const fields = { legs: [leg], ...(memo === undefined ? {} : { memo }) };
  return propose(shared, authority.value, 'ledger.transfer', fields, proposer, options);
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
  options: ProposePaymentOptions = {},
): Promise<Result<Proposal>> {
  const authority = routeAuthority(shared, options.from ?? 'main');
  if (!authority.ok) return authority;
  const fields = { holder: authority.value.account, currency, limit };
  return propose(shared, authority.value, 'ledger.trust.set', fields, proposer, options);
}

/**
 * Moves `amount` from the main account to the petty cash: it needs the main account's approvals,
 * which is what bounds what one signature can spend.
 *
 * @example
 * const refill = await proposeRefill(shared, '50.00', aliceKeys);
 */
export async function proposeRefill(
  shared: SharedWallet,
  amount: string,
  proposer: KeyPair,
  options: ProposeOptions = {},
): Promise<Result<Proposal>> {
  const petty = shared.petty_cash;
  if (petty === undefined) return noPettyCash();
  const legs = [{ from: shared.account, to: petty.account, currency: petty.currency, amount }];
  return propose(
    shared,
    mainAuthority(shared),
    'ledger.transfer',
    { legs, memo: 'petty cash refill' },
    proposer,
    options,
  );
}

/**
 * The ledger.account.create of one of the shared wallet's accounts, signed by the creator. The
 * ledger wants `threshold` of the new account's keys on it, so the main account's creation is a
 * proposal like a payment; the petty cash's (1-of-n) is complete at once.
 */
export async function proposeAccountCreation(
  shared: SharedWallet,
  creator: KeyPair,
  options: ProposePaymentOptions = {},
): Promise<Result<Proposal>> {
  const authority = routeAuthority(shared, options.from ?? 'main');
  if (!authority.ok) return authority;
  const { account, keys, threshold } = authority.value;
  return propose(shared, authority.value, 'ledger.account.create', { account, keys, threshold }, creator, options);
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
 * `proposal_invalid` for a proposal that is not this shared wallet's.
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
  const authority = authorityOf(shared, current.value.account) as Authority;
  const refusal = signerProblem(shared, authority, encodePrefixed('pub', keyPair.publicKey));
  if (refusal) return refusal;
  const signed = await signDocument(current.value.document, keyPair);
  return ok(withSignatures(current.value, countedSignatures(signed, authority)));
}

/**
 * How many more approvals the ledger needs: the account's threshold minus the valid signatures
 * by its keys (0 when it can be submitted). Throws for a proposal that is not this shared
 * wallet's (check it with `parseProposal` first).
 */
export function signaturesNeeded(proposal: Proposal, shared: SharedWallet): number {
  const { proposal: current, authority } = checked(proposal, shared);
  return Math.max(0, authority.threshold - current.document.signatures.length);
}

/** The members whose valid signatures the proposal carries, in key order. */
export function approvers(proposal: Proposal, shared: SharedWallet): SharedMember[] {
  const { proposal: current } = checked(proposal, shared);
  return current.document.signatures.map((s) => memberOf(shared, s.key) as SharedMember);
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
  const authority = authorityOf(shared, left.value.account) as Authority;
  const union = [...left.value.document.signatures, ...right.value.document.signatures];
  const document = { ...left.value.document, signatures: union };
  return ok(withSignatures(left.value, countedSignatures(document, authority)));
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
  readonly kind: 'payment' | 'trust' | 'account';
  /** Which of the shared wallet's accounts it acts for. */
  readonly from: 'main' | 'petty_cash';
  readonly proposer: SharedMember;
  /** Transfers: what goes where. */
  readonly legs: readonly LegBody[];
  readonly memo: string | undefined;
  readonly approved_by: readonly SharedMember[];
  readonly needed: number;
  readonly threshold: number;
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
  const { proposal: current, authority } = checked(proposal, shared);
  const body = current.document.body as Partial<TransferBody>;
  const kinds = { 'ledger.transfer': 'payment', 'ledger.trust.set': 'trust', 'ledger.account.create': 'account' };
  return {
    id: proposalId(current),
    kind: kinds[current.document.type as ProposalDocumentType] as ProposalReview['kind'],
    from: current.account === shared.account ? 'main' : 'petty_cash',
    proposer: memberOf(shared, current.proposer) as SharedMember,
    legs: body.legs ?? [],
    memo: body.memo,
    approved_by: current.document.signatures.map((s) => memberOf(shared, s.key) as SharedMember),
    needed: Math.max(0, authority.threshold - current.document.signatures.length),
    threshold: authority.threshold,
    expires_at: current.expires_at,
    expired: proposalExpired(current, now_ms),
  };
}
