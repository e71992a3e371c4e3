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
 * ledger refuses any transfer that fewer than `threshold` of the members' keys signed.
 *
 * Roles: owners and spenders hold signing keys, which are the account's keys on the ledger;
 * viewers only see (their key names them, e.g. to the sync relay, but the ledger does not know
 * it). Owners differ from spenders in the wallet only: they create the account and edit the
 * description (names, viewers). The ledger has one key set and cannot tell them apart.
 *
 * The ledger names a self-custody account by one of its keys; a shared account takes the first
 * signing member's key. A key names at most one account, so each member should give the shared
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

/**
 * A 1-of-n account beside the m-of-n one, for payments up to `limit` (the ledger cannot make
 * the threshold depend on the amount, see `paymentRoute`). Its id is the last signing member's
 * key, its keys are all signing members' keys, and its trust line in `currency` is set to
 * `limit`, so the ledger caps what it holds; refilling it from the main account needs the
 * main account's m approvals.
 */
export interface PettyCash {
  readonly account: string;
  readonly currency: string;
  /** Payments of at most this amount go through the petty cash with one signature. */
  readonly limit: string;
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
  readonly petty_cash?: PettyCash;
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

/** The failure of a petty-cash operation on a shared wallet that has none. */
export function noPettyCash(): Result<never> {
  return invalid('petty_cash', 'no petty cash account');
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

/** The 1-of-n petty cash account, when the shared wallet has one. */
export function pettyCashAuthority(shared: SharedWallet): Authority | undefined {
  if (shared.petty_cash === undefined) return undefined;
  return { account: shared.petty_cash.account, keys: signingKeys(shared), threshold: 1 };
}

/** The authority of one of the shared wallet's accounts, or undefined for any other account. */
export function authorityOf(shared: SharedWallet, account: string): Authority | undefined {
  if (account === shared.account) return mainAuthority(shared);
  const petty = pettyCashAuthority(shared);
  return petty?.account === account ? petty : undefined;
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

const PETTY_CASH_RULES = {
  account: { check: publicKey, required: true },
  currency: { check: currency, required: true },
  limit: { check: positiveDecimal, required: true },
};

const anything: Check = () => undefined;

const WALLET_RULES = {
  account: { check: publicKey, required: true },
  node: { check: httpUrl, required: true },
  members: { check: anything, required: true },
  threshold: { check: anything, required: true },
  petty_cash: { check: anything, required: false },
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

function checkPettyCash(value: unknown, keys: readonly string[]): Result<true> {
  const problem = checkRecord(value, PETTY_CASH_RULES);
  if (problem) return invalid(`petty_cash${problem.field ? `.${problem.field}` : ''}`, problem.reason);
  // The main account is named by the first key; the petty cash needs another name.
  if (keys.length < 2) return invalid('petty_cash', 'needs at least two owners or spenders');
  if ((value as PettyCash).account !== keys[keys.length - 1]) {
    return invalid('petty_cash.account', "the last owner's or spender's key (the ledger names an account by a key)");
  }
  return ok(true);
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
  if (record.account !== keys[0]) {
    return invalid('account', "the first owner's or spender's key (the ledger names an account by one of its keys)");
  }
  if (typeof record.node === 'string' && record.node.endsWith('/')) {
    return invalid('node', 'the base URL without a trailing slash');
  }
  if (record.petty_cash !== undefined) {
    const petty = checkPettyCash(record.petty_cash, keys);
    if (!petty.ok) return petty;
  }
  return ok(jsonCopy(value as SharedWallet));
}

export interface SharedWalletOptions {
  /** Adds a petty cash account for payments up to `limit` in `currency`. */
  readonly petty_cash?: { readonly currency: string; readonly limit: string };
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
  const petty = options.petty_cash;
  return validateSharedWallet({
    account: keys[0] ?? '',
    node: node.replace(/\/+$/, ''),
    members,
    threshold,
    ...(petty === undefined ? {} : { petty_cash: { account: keys[keys.length - 1] ?? '', ...petty } }),
  });
}

/**
 * The same shared wallet with a petty cash account for payments up to `limit` in `currency`.
 *
 * @example
 * const withPetty = withPettyCash(shared, 'EUR', '50.00');
 */
export function withPettyCash(shared: SharedWallet, currencyCode: string, limit: string): Result<SharedWallet> {
  return sharedWallet(shared.members, shared.threshold, shared.node, { petty_cash: { currency: currencyCode, limit } });
}

/** Compares two non-negative decimal strings exactly: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): number {
  const places = Math.max(a.split('.')[1]?.length ?? 0, b.split('.')[1]?.length ?? 0);
  const scaled = (t: string) => {
    const [whole = '0', fraction = ''] = t.split('.');
    return BigInt(whole + fraction.padEnd(places, '0'));
  };
  const x = scaled(a);
  const y = scaled(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Which account should pay: the petty cash (one signature) for a payment of at most its limit
 * in its currency, the main account (m signatures) otherwise. The ledger enforces both rules
 * through the accounts' thresholds; it cannot enforce an amount-dependent threshold on one
 * account, hence two accounts.
 *
 * @example
 * paymentRoute(shared, { amount: '20.00', currency: 'EUR' }); // 'petty_cash' when its limit is 50.00 EUR
 */
export function paymentRoute(
  shared: SharedWallet,
  payment: { readonly amount: string; readonly currency: string },
): 'main' | 'petty_cash' {
  const petty = shared.petty_cash;
  if (petty === undefined || petty.currency !== payment.currency) return 'main';
  return compareDecimal(payment.amount, petty.limit) <= 0 ? 'petty_cash' : 'main';
}
