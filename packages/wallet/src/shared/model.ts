import { decodePrefixed, err, ok, type Result } from '@webwallet/core';
import {
  type Check,
  checkRecord,
  currency,
  httpUrl,
  jsonCopy,
  positiveDecimal,
  text,
} from '../instruments/validate.js';

/**
 * A shared wallet: several people, each with their own key on their own devices, paying from one
 * ledger account. The ledger enforces the approval rule, not the wallet: the account is a
 * self-custody m-of-n account (`ledger.account.create` with `keys` and `threshold`), so the
 * ledger refuses any transfer that fewer than `threshold` of the members' keys signed. Optional
 * small-payment rules (the account's spending policy on the ledger) let small payments go with
 * fewer signatures, within a rolling cap the ledger keeps.
 *
 * Roles: owners and spenders hold signing keys, which are the account's keys on the ledger;
 * viewers only see (their key names them, e.g. to the sync relay, but the ledger does not know
 * it). Owners differ from spenders in the wallet only: they create the account and edit the
 * description (names, viewers). The ledger has one key set and cannot tell them apart.
 *
 * The ledger names a self-custody account by one of its keys; a shared account takes the first
 * signing member's key, and keeps that name when members change (ledger.account.update). A key names at most one account, so each member should give the shared
 * wallet a key used for nothing else (e.g. `accountKeyPair(seed, n)` with an index of its own),
 * not the key of their personal account.
 */

export const MEMBER_ROLES = ['owner', 'spender', 'viewer'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** Most signing members: the ledger's ACCOUNT_KEYS_MAX (keys one account may list). */
export const SHARED_SIGNERS_MAX = 10;
/** Most members in all, viewers included. */
export const SHARED_MEMBERS_MAX = 50;
export const MEMBER_NAME_LENGTH_MAX = 100;

export interface SharedMember {
  /** The member's Ed25519 key, "pub_…". For owners and spenders, one of the account's keys. */
  readonly key: string;
  /** What the other members call them. */
  readonly name: string;
  readonly role: MemberRole;
}

/** The ledger's SMALL_PAYMENT_RULES_MAX: small-payment rules per account, one per currency. */
export const SMALL_PAYMENT_RULES_MAX = 4;
/** The ledger's SPENDING_WINDOW_MS_MIN: the shortest rolling window, one minute. */
export const SPENDING_WINDOW_MS_MIN = 60_000;
/** The ledger's SPENDING_WINDOW_MS_MAX: the longest rolling window, 31 days. */
export const SPENDING_WINDOW_MS_MAX = 31 * 24 * 3600_000;

/**
 * The ledger's small-payment rule (its SmallPaymentRule, part of the account's spending policy):
 * a payment that debits the account at most `amount_max` of `currency` (fees included, one
 * currency only) needs only `threshold` signatures, as long as such payments within any
 * `window_ms` add up to at most `window_amount_max`. That rolling cap is what stops a member from
 * splitting a large payment into small ones. The ledger enforces it, not the wallet.
 */
export interface SmallPaymentRule {
  readonly currency: string;
  readonly amount_max: string;
  /** Lower than the shared wallet's threshold. */
  readonly threshold: number;
  readonly window_ms: number;
  /** At least amount_max. */
  readonly window_amount_max: string;
}

/**
 * What every member's wallet keeps about a shared wallet (plain JSON: it travels through the
 * sync channel). Check it against the ledger with `verifySharedWallet` before trusting it.
 */
export interface SharedWallet {
  /** The ledger account: the first signing member's key. */
  readonly account: string;
  /** Base URL of the node whose ledger holds the account. */
  readonly node: string;
  readonly members: readonly SharedMember[];
  /** How many signing members must sign a payment (m of the n signing members). */
  readonly threshold: number;
  /** The account's spending policy on the ledger: fewer approvals for small payments. */
  readonly small_payments?: readonly SmallPaymentRule[];
}

/** Which keys must sign for an account, and how many of them. */
export interface Authority {
  readonly account: string;
  /** The account's keys on the ledger, in member order. */
  readonly keys: readonly string[];
  readonly threshold: number;
}

const PUB = /^pub_[A-Za-z0-9_-]{43}$/;

function invalid(field: string, reason: string): Result<never> {
  return err('shared_wallet_invalid', { field, reason });
}

/** Whether the member holds one of the account's keys (owners and spenders). */
export function canSign(member: SharedMember): boolean {
  return member.role !== 'viewer';
}

/** The keys of the owners and spenders, in member order: the account's keys on the ledger. */
export function signingKeys(shared: SharedWallet): string[] {
  return shared.members.filter(canSign).map((m) => m.key);
}

export function memberOf(shared: SharedWallet, key: string): SharedMember | undefined {
  return shared.members.find((m) => m.key === key);
}

/** The m-of-n main account. */
export function mainAuthority(shared: SharedWallet): Authority {
  return { account: shared.account, keys: signingKeys(shared), threshold: shared.threshold };
}

/** The authority of the shared wallet's account, or undefined for any other account. */
export function authorityOf(shared: SharedWallet, account: string): Authority | undefined {
  return account === shared.account ? mainAuthority(shared) : undefined;
}

const publicKey: Check = (value) =>
  typeof value === 'string' && PUB.test(value) && decodePrefixed('pub', value).ok
    ? undefined
    : 'an Ed25519 key, "pub_…"';

const role: Check = (value) =>
  (MEMBER_ROLES as readonly unknown[]).includes(value) ? undefined : `one of ${MEMBER_ROLES.join(', ')}`;

const MEMBER_RULES = {
  key: { check: publicKey, required: true },
  name: { check: text(MEMBER_NAME_LENGTH_MAX), required: true },
  role: { check: role, required: true },
};

const integerIn =
  (min: number, max: number, what: string): Check =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max ? undefined : what;

const RULE_RULES = {
  currency: { check: currency, required: true },
  amount_max: { check: positiveDecimal, required: true },
  threshold: { check: integerIn(1, SHARED_SIGNERS_MAX - 1, 'an integer of at least 1'), required: true },
  window_ms: {
    check: integerIn(
      SPENDING_WINDOW_MS_MIN,
      SPENDING_WINDOW_MS_MAX,
      `milliseconds from ${SPENDING_WINDOW_MS_MIN} (a minute) to ${SPENDING_WINDOW_MS_MAX} (31 days)`,
    ),
    required: true,
  },
  window_amount_max: { check: positiveDecimal, required: true },
};

const anything: Check = () => undefined;

const WALLET_RULES = {
  account: { check: publicKey, required: true },
  node: { check: httpUrl, required: true },
  members: { check: anything, required: true },
  threshold: { check: anything, required: true },
  small_payments: { check: anything, required: false },
};

function checkMembers(value: unknown): Result<SharedMember[]> {
  if (!Array.isArray(value) || value.length === 0 || value.length > SHARED_MEMBERS_MAX) {
    return invalid('members', `a list of 1 to ${SHARED_MEMBERS_MAX} members`);
  }
  const seen = new Set<string>();
  for (const [index, member] of value.entries()) {
    const problem = checkRecord(member, MEMBER_RULES);
    if (problem) return invalid(`members[${index}]${problem.field ? `.${problem.field}` : ''}`, problem.reason);
    const key = (member as SharedMember).key;
    if (seen.has(key)) return invalid(`members[${index}].key`, 'each member has a key of their own');
    seen.add(key);
  }
  const members = value as SharedMember[];
  if (!members.some((m) => m.role === 'owner')) return invalid('members', 'at least one owner');
  const signers = members.filter(canSign).length;
  if (signers > SHARED_SIGNERS_MAX) {
    return invalid('members', `at most ${SHARED_SIGNERS_MAX} owners and spenders (the ledger's keys per account)`);
  }
  return ok(members);
}

/**
 * Checks small-payment rules as the ledger's policyFromBody does, so the wallet refuses what the
 * ledger would. Only the currency's existence and scale are left to the ledger.
 */
export function checkSmallPayments(value: unknown, threshold: number): Result<SmallPaymentRule[]> {
  if (!Array.isArray(value) || value.length > SMALL_PAYMENT_RULES_MAX) {
    return invalid('small_payments', `a list of at most ${SMALL_PAYMENT_RULES_MAX} rules, one per currency`);
  }
  const seen = new Set<string>();
  for (const [index, rule] of value.entries()) {
    const field = `small_payments[${index}]`;
    const problem = checkRecord(rule, RULE_RULES);
    if (problem) return invalid(`${field}${problem.field ? `.${problem.field}` : ''}`, problem.reason);
    const { currency: code, threshold: lower, amount_max, window_amount_max } = rule as SmallPaymentRule;
    if (seen.has(code)) return invalid(`${field}.currency`, 'at most one rule per currency');
    seen.add(code);
    if (lower >= threshold) {
      return invalid(`${field}.threshold`, `lower than the shared wallet's threshold (${threshold})`);
    }
    if (compareDecimal(window_amount_max, amount_max) < 0) {
      return invalid(`${field}.window_amount_max`, 'at least amount_max');
    }
  }
  return ok(value as SmallPaymentRule[]);
}

/**
 * Checks a shared wallet description (from another device, a file, a form): `shared_wallet_invalid`
 * with details {field, reason} when something is missing, unknown or inconsistent. Returns a deep
 * copy.
 *
 * @example
 * const shared = validateSharedWallet(JSON.parse(text));
 * if (!shared.ok) console.log(shared.error.details.field, shared.error.details.reason);
 */
export function validateSharedWallet(value: unknown): Result<SharedWallet> {
  const problem = checkRecord(value, WALLET_RULES);
  if (problem) return invalid(problem.field, problem.reason);
  const record = value as Record<string, unknown>;
  const members = checkMembers(record.members);
  if (!members.ok) return members;
  const keys = members.value.filter(canSign).map((m) => m.key);
  const threshold = record.threshold;
  if (!Number.isSafeInteger(threshold) || (threshold as number) < 1 || (threshold as number) > keys.length) {
    return invalid('threshold', `an integer from 1 to the number of owners and spenders (${keys.length})`);
  }
  // The ledger names an account by the key it was created with and keeps the name when that key
  // leaves (ledger.account.update): the account is the first signing key, or no signing key.
  if (typeof record.account === 'string' && record.account !== keys[0] && keys.includes(record.account)) {
    return invalid('account', "the first owner's or spender's key (the ledger names an account by one of its keys)");
  }
  if (typeof record.node === 'string' && record.node.endsWith('/')) {
    return invalid('node', 'the base URL without a trailing slash');
  }
  if (record.small_payments !== undefined) {
    const rules = checkSmallPayments(record.small_payments, threshold as number);
    if (!rules.ok) return rules;
  }
  return ok(jsonCopy(value as SharedWallet));
}

export interface SharedWalletOptions {
  /** Fewer approvals for small payments: the ledger account's spending policy. */
  readonly small_payments?: readonly SmallPaymentRule[];
  /**
   * The ledger account, when it exists already: it keeps its name after a ledger.account.update,
   * even when the key that named it leaves. Default: the first signing member's key.
   */
  readonly account?: string;
}

/**
 * The description of a shared wallet with these members and threshold: the account ids follow
 * from the members' keys. Validated as `validateSharedWallet` does.
 *
 * @example
 * const shared = sharedWallet(
 *   [{ key: alice, name: 'Alice', role: 'owner' }, { key: bob, name: 'Bob', role: 'spender' },
 *    { key: carol, name: 'Carol', role: 'spender' }, { key: dan, name: 'Dan', role: 'viewer' }],
 *   2, 'https://node.example');
 */
export function sharedWallet(
  members: readonly SharedMember[],
  threshold: number,
  node: string,
  options: SharedWalletOptions = {},
): Result<SharedWallet> {
  const keys = members.filter(canSign).map((m) => m.key);
  const rules = options.small_payments;
  return validateSharedWallet({
    account: options.account ?? keys[0] ?? '',
    node: node.replace(/\/+$/, ''),
    members,
    threshold,
    // An empty list is no policy, as on the ledger: one description for one rule set.
    ...(rules === undefined || rules.length === 0 ? {} : { small_payments: rules }),
  });
}

/**
 * The description a shared wallet changes to (members, threshold, small-payment rules) on the same
 * ledger account: propose it with `proposeAccountUpdate`.
 *
 * @example
 * const next = changedSharedWallet(shared, [...shared.members, dan], 3, { small_payments: [] });
 */
export function changedSharedWallet(
  shared: SharedWallet,
  members: readonly SharedMember[],
  threshold: number,
  options: { readonly small_payments?: readonly SmallPaymentRule[] } = {},
): Result<SharedWallet> {
  return sharedWallet(members, threshold, shared.node, { ...options, account: shared.account });
}

function places(texts: readonly string[]): number {
  return Math.max(0, ...texts.map((t) => t.split('.')[1]?.length ?? 0));
}

function scaled(text: string, decimals: number): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

/** Compares two non-negative decimal strings exactly: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): number {
  const decimals = places([a, b]);
  const x = scaled(a, decimals);
  const y = scaled(b, decimals);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The exact sum of non-negative decimal strings, e.g. ["0.5", "1.25"] gives "1.75". */
export function sumDecimal(texts: readonly string[]): string {
  const decimals = places(texts);
  const total = texts
    .reduce((sum, t) => sum + scaled(t, decimals), 0n)
    .toString()
    .padStart(decimals + 1, '0');
  if (decimals === 0) return total;
  const fraction = total.slice(-decimals).replace(/0+$/, '');
  return total.slice(0, -decimals) + (fraction ? `.${fraction}` : '');
}

/**
 * How many approvals a transfer from the shared account needs: the small-payment rule's threshold
 * when everything it debits is in one currency and at most that currency's amount_max, the
 * shared wallet's threshold otherwise. The ledger decides again (it adds the issuer's fees to the
 * debit and keeps the rolling window cap), so this is what to collect before trying.
 *
 * @example
 * paymentThreshold(shared, [{ from: shared.account, currency: 'EUR', amount: '30.00' }]); // 1 under a 50.00 EUR rule
 */
export function paymentThreshold(
  shared: SharedWallet,
  legs: readonly { readonly from: string; readonly currency: string; readonly amount: string }[],
): number {
  return smallPaymentRuleFor(shared, legs)?.threshold ?? shared.threshold;
}

/** The small-payment rule a transfer falls under, if any (see `paymentThreshold`). */
export function smallPaymentRuleFor(
  shared: SharedWallet,
  legs: readonly { readonly from: string; readonly currency: string; readonly amount: string }[],
): SmallPaymentRule | undefined {
  const debits = legs.filter((leg) => leg.from === shared.account);
  const currencies = new Set(debits.map((leg) => leg.currency));
  if (currencies.size !== 1) return undefined;
  const rule = shared.small_payments?.find((r) => currencies.has(r.currency));
  if (rule === undefined) return undefined;
  const total = sumDecimal(debits.map((leg) => leg.amount));
  return compareDecimal(total, rule.amount_max) <= 0 ? rule : undefined;
}
