import {
  AMOUNT_MINOR_MAX,
  addMinor,
  type ErrorDetails,
  formatAmount,
  fromHex,
  ok,
  parseAmount,
  type Result,
  sha256,
  subtractMinor,
  toHex,
  WebWalletError,
} from '@webwallet/core';
import type {
  AccountCreate,
  AccountUpdate,
  CurrencyIssue,
  HolderSet,
  LegBody,
  Payment,
  Transfer,
  TransferExpire,
  TransferPost,
  TransferVoid,
  TrustSet,
} from '../model/schemas.js';
import type { PreparedTransaction } from '../verify/prepare.js';
import { findPath, type Hop } from './paths.js';
import {
  checkSmallPayment,
  debitsFrom,
  keptSpent,
  policyFromBody,
  type SmallPaymentRefusal,
  signatureCount,
} from './policy.js';
import { Rejection, reject } from './reject.js';
import type { Account, Currency, Hold, HoldLeg, Line, Overlay } from './state.js';

/** Longest a two-phase transfer may stay pending. */
export const HOLD_DURATION_MS_MAX = 30 * 24 * 3600_000;

export interface ApplyContext {
  /** Position the transaction takes in the log. */
  readonly seq: number;
  /** The sequencer's clock for this batch; expiry decisions use it, so replay is deterministic. */
  readonly accepted_at_ms: number;
}

/** What a successful transaction touched, for the per-account history. */
export interface Applied {
  readonly accounts: readonly string[];
}

type Outcome = Result<Applied>;

/**
 * Applies one prepared transaction to an overlay. Deterministic: the same state, transaction and
 * context always give the same result, which is what makes replaying the log reproduce the
 * ledger exactly. On failure the overlay may hold partial changes and must be discarded.
 */
export function applyTransaction(view: Overlay, prepared: PreparedTransaction, ctx: ApplyContext): Outcome {
  try {
    return ok(dispatch(view, prepared, ctx));
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, error: error.error };
    if (error instanceof WebWalletError && error.code === 'amount_overflow') return { ok: false, error };
    throw error;
  }
}

function dispatch(view: Overlay, p: PreparedTransaction, ctx: ApplyContext): Applied {
  switch (p.tx.type) {
    case 'ledger.account.create':
      return createAccount(view, p, p.tx.body, ctx);
    case 'ledger.account.update':
      return updateAccount(view, p, p.tx.body);
    case 'ledger.currency.issue':
      return issueCurrency(view, p, p.tx.body, ctx);
    case 'ledger.trust.set':
      return setTrust(view, p, p.tx.body);
    case 'ledger.holder.set':
      return setHolder(view, p, p.tx.body);
    case 'ledger.transfer':
      return p.tx.body.pending ? holdTransfer(view, p, p.tx.body, ctx) : transfer(view, p, p.tx.body, ctx);
    case 'ledger.transfer.post':
      return postHold(view, p, p.tx.body, ctx);
    case 'ledger.transfer.void':
      return voidHold(view, p, p.tx.body, ctx);
    case 'ledger.transfer.expire':
      return expireHold(view, p.tx.body, ctx);
    case 'ledger.payment':
      return pay(view, p, p.tx.body, ctx);
  }
}

// --- authorization -----------------------------------------------------------------------------

/** Authorized at the account's full threshold (or by the node, for custodial accounts). */
function isAuthorized(account: Account, p: PreparedTransaction): boolean {
  if (account.custodial) return p.nodeAuthorized;
  return signatureCount(account, p.signers) >= account.threshold;
}

function requireAccount(view: Overlay, id: string): Account {
  return view.account(id) ?? reject('account_not_found', { account: id });
}

function unauthorized(account: Account, p: PreparedTransaction, small?: SmallPaymentRefusal): never {
  const details: ErrorDetails = {
    account: account.id,
    custodial: account.custodial,
    threshold: account.threshold,
    keys: account.keys,
    signed_by: p.signers,
  };
  reject('authorization_insufficient', small ? { ...details, small_payment: small } : details);
}

/** Requires the account's full threshold: everything except small debits goes through here. */
function authorize(view: Overlay, id: string, p: PreparedTransaction): Account {
  const account = requireAccount(view, id);
  if (!isAuthorized(account, p)) unauthorized(account, p);
  return account;
}

/**
 * Authorizes what `legs` debit from account `id`: the full threshold always does; short of it,
 * a small-payment rule of the account may, and then the debit counts against its window.
 */
function authorizeDebit(
  view: Overlay,
  id: string,
  p: PreparedTransaction,
  legs: readonly HoldLeg[],
  ctx: ApplyContext,
): void {
  const account = requireAccount(view, id);
  if (isAuthorized(account, p)) return;
  if (account.custodial || !account.spending_policy) unauthorized(account, p);
  const scaleOf = (code: string) => requireCurrency(view, code).scale;
  const signed = signatureCount(account, p.signers);
  const check = checkSmallPayment(account, signed, debitsFrom(id, legs), ctx.accepted_at_ms, scaleOf);
  if (!check.ok) unauthorized(account, p, check.refusal);
  view.setAccount(check.account);
}

// --- amounts -----------------------------------------------------------------------------------

function amount(text: string, currency: Currency, field: string, positive = true): bigint {
  const parsed = parseAmount(text, currency.scale);
  if (!parsed.ok) reject(parsed.error.code, { ...parsed.error.details, field, currency: currency.code });
  if (positive && parsed.value === 0n) reject('amount_not_positive', { field });
  return parsed.value;
}

/** The issuer's fee on a transfer between two holders: ceil(amount * bps / 10000). */
function transferFee(currency: Currency, from: string, to: string, value: bigint): bigint {
  if (currency.transfer_fee_bps === 0 || from === currency.issuer || to === currency.issuer) return 0n;
  return (value * BigInt(currency.transfer_fee_bps) + 9_999n) / 10_000n;
}

function requireCurrency(view: Overlay, code: string): Currency {
  return view.currency(code) ?? reject('currency_not_found', { currency: code });
}

function requireLine(view: Overlay, holder: string, currency: string): Line {
  requireAccount(view, holder);
  return view.line(holder, currency) ?? reject('trust_line_not_found', { account: holder, currency });
}

// --- accounts, currencies, trust lines ----------------------------------------------------------

function createAccount(view: Overlay, p: PreparedTransaction, body: AccountCreate, ctx: ApplyContext): Applied {
  if (view.account(body.account)) reject('account_exists', { account: body.account });
  const custodial = body.account.startsWith('acc_');
  let account: Account;
  if (custodial) {
    if (body.keys || body.threshold || body.spending_policy)
      reject('transaction_invalid', { reason: 'custodial accounts have no keys, threshold or spending policy' });
    account = {
      id: body.account,
      keys: [],
      threshold: 0,
      custodial,
      allow_rippling: body.allow_rippling ?? false,
      created_seq: ctx.seq,
      spending_policy: null,
      small_spent: [],
    };
  } else {
    const keys = body.keys ?? [body.account];
    const threshold = body.threshold ?? 1;
    if (!keys.includes(body.account)) reject('transaction_invalid', { reason: 'the account key must be one of keys' });
    if (threshold > keys.length)
      reject('transaction_invalid', { reason: 'threshold is larger than the number of keys' });
    account = {
      id: body.account,
      keys,
      threshold,
      custodial,
      allow_rippling: body.allow_rippling ?? false,
      created_seq: ctx.seq,
      spending_policy: policyFromBody(view, body.spending_policy, threshold),
      small_spent: [],
    };
  }
  if (!isAuthorized(account, p)) {
    reject('authorization_insufficient', {
      account: account.id,
      threshold: account.threshold,
      keys: account.keys,
      signed_by: p.signers,
    });
  }
  view.setAccount(account);
  return { accounts: [account.id] };
}

/**
 * Replaces keys, threshold and spending policy. The current full threshold must sign (a
 * small-payment threshold never changes an account), and so must the new threshold of the new
 * keys: an update cannot leave the account to keys nobody holds. Earlier transactions stay
 * checked against the keys of their time, because the log is replayed in order.
 */
function updateAccount(view: Overlay, p: PreparedTransaction, body: AccountUpdate): Applied {
  if (requireAccount(view, body.account).custodial)
    reject('transaction_invalid', { reason: 'custodial accounts have no keys: the node authorizes them' });
  const current = authorize(view, body.account, p);
  if (body.threshold > body.keys.length)
    reject('transaction_invalid', { field: 'threshold', reason: 'threshold is larger than the number of keys' });
  const spending_policy = policyFromBody(view, body.spending_policy, body.threshold);
  const updated: Account = {
    ...current,
    keys: body.keys,
    threshold: body.threshold,
    spending_policy,
    small_spent: keptSpent(current.small_spent, spending_policy),
  };
  if (!isAuthorized(updated, p)) {
    reject('authorization_insufficient', {
      account: updated.id,
      reason: 'the new keys must sign too, at least the new threshold of them',
      threshold: updated.threshold,
      keys: updated.keys,
      signed_by: p.signers,
    });
  }
  view.setAccount(updated);
  return { accounts: [updated.id] };
}

function issueCurrency(view: Overlay, p: PreparedTransaction, body: CurrencyIssue, ctx: ApplyContext): Applied {
  authorize(view, body.issuer, p);
  if (view.currency(body.currency)) reject('currency_exists', { currency: body.currency });
  const currency: Currency = {
    code: body.currency,
    scale: body.scale,
    issuer: body.issuer,
    max_supply: null,
    transfer_fee_bps: body.transfer_fee_bps ?? 0,
    created_seq: ctx.seq,
  };
  const maxSupply = body.max_supply === undefined ? null : amount(body.max_supply, currency, 'max_supply');
  view.setCurrency({ ...currency, max_supply: maxSupply });
  view.setLine({
    holder: body.issuer,
    currency: body.currency,
    balance: 0n,
    held: 0n,
    limit: AMOUNT_MINOR_MAX,
    credit_limit: maxSupply ?? AMOUNT_MINOR_MAX,
    frozen: false,
  });
  return { accounts: [body.issuer] };
}

function setTrust(view: Overlay, p: PreparedTransaction, body: TrustSet): Applied {
  authorize(view, body.holder, p);
  const currency = requireCurrency(view, body.currency);
  if (currency.issuer === body.holder) reject('trust_line_self', { currency: body.currency });
  const limit = amount(body.limit, currency, 'limit', false);
  const line = view.line(body.holder, body.currency);
  if (line && limit < line.balance) {
    reject('trust_limit_below_balance', { balance: formatAmount(line.balance, currency.scale), limit: body.limit });
  }
  view.setLine(
    line
      ? { ...line, limit }
      : { holder: body.holder, currency: body.currency, balance: 0n, held: 0n, limit, credit_limit: 0n, frozen: false },
  );
  return { accounts: [body.holder] };
}

function setHolder(view: Overlay, p: PreparedTransaction, body: HolderSet): Applied {
  const currency = requireCurrency(view, body.currency);
  authorize(view, currency.issuer, p);
  if (currency.issuer === body.holder) reject('trust_line_self', { currency: body.currency });
  const line = requireLine(view, body.holder, body.currency);
  let creditLimit = line.credit_limit;
  if (body.credit_limit !== undefined) {
    creditLimit = amount(body.credit_limit, currency, 'credit_limit', false);
    if (line.balance - line.held < -creditLimit) {
      reject('credit_limit_below_debt', {
        available: formatAmount(line.balance - line.held, currency.scale),
        credit_limit: body.credit_limit,
      });
    }
  }
  view.setLine({ ...line, frozen: body.frozen ?? line.frozen, credit_limit: creditLimit });
  return { accounts: [body.holder, currency.issuer] };
}

// --- moving money ------------------------------------------------------------------------------

interface PricedLeg extends HoldLeg {
  readonly currencyInfo: Currency;
}

function priceLegs(view: Overlay, legs: readonly LegBody[]): PricedLeg[] {
  return legs.map((leg, index) => {
    if (leg.from === leg.to) reject('leg_invalid', { leg: index });
    const currency = requireCurrency(view, leg.currency);
    const value = amount(leg.amount, currency, `legs[${index}].amount`);
    return {
      from: leg.from,
      to: leg.to,
      currency: leg.currency,
      amount: value,
      fee: transferFee(currency, leg.from, leg.to, value),
      currencyInfo: currency,
    };
  });
}

/** The payer's side: checks frozen and available funds (balance - held + credit limit). */
function checkDebit(line: Line, debit: bigint, currency: Currency, to: string): void {
  if (line.frozen && to !== currency.issuer) reject('holder_frozen', { account: line.holder, currency: currency.code });
  const available = subtractMinor(subtractMinor(line.balance, line.held), debit);
  if (available < -line.credit_limit) {
    if (line.holder === currency.issuer) {
      reject('supply_exceeded', {
        currency: currency.code,
        max_supply: currency.max_supply === null ? null : formatAmount(currency.max_supply, currency.scale),
      });
    }
    reject('insufficient_funds', {
      account: line.holder,
      currency: currency.code,
      available: formatAmount(line.balance - line.held + line.credit_limit, currency.scale),
      needed: formatAmount(debit, currency.scale),
    });
  }
}

/** The payee's side: checks frozen and the trust limit (the issuer has none). */
function checkCredit(line: Line, credit: bigint, currency: Currency, from: string): void {
  if (line.frozen && from !== currency.issuer)
    reject('holder_frozen', { account: line.holder, currency: currency.code });
  if (line.holder !== currency.issuer && addMinor(line.balance, credit) > line.limit) {
    reject('trust_limit_exceeded', {
      account: line.holder,
      currency: currency.code,
      limit: formatAmount(line.limit, currency.scale),
    });
  }
}

function moveFunds(view: Overlay, leg: PricedLeg): void {
  const currency = leg.currencyInfo;
  const fromLine = requireLine(view, leg.from, leg.currency);
  const toLine = requireLine(view, leg.to, leg.currency);
  const debit = addMinor(leg.amount, leg.fee);
  checkDebit(fromLine, debit, currency, leg.to);
  checkCredit(toLine, leg.amount, currency, leg.from);
  view.setLine({ ...fromLine, balance: subtractMinor(fromLine.balance, debit) });
  const updatedTo = view.line(leg.to, leg.currency)!;
  view.setLine({ ...updatedTo, balance: addMinor(updatedTo.balance, leg.amount) });
  if (leg.fee > 0n) {
    const issuerLine = view.line(currency.issuer, currency.code)!;
    view.setLine({ ...issuerLine, balance: addMinor(issuerLine.balance, leg.fee) });
  }
}

function legAccounts(legs: readonly HoldLeg[], issuers: readonly string[] = []): string[] {
  return [...new Set([...legs.flatMap((l) => [l.from, l.to]), ...issuers])];
}

function feeIssuers(legs: readonly PricedLeg[]): string[] {
  return legs.filter((l) => l.fee > 0n).map((l) => l.currencyInfo.issuer);
}

function transfer(view: Overlay, p: PreparedTransaction, body: Transfer, ctx: ApplyContext): Applied {
  const legs = priceLegs(view, body.legs);
  for (const from of new Set(legs.map((l) => l.from))) authorizeDebit(view, from, p, legs, ctx);
  for (const leg of legs) moveFunds(view, leg);
  return { accounts: legAccounts(legs, feeIssuers(legs)) };
}

function holdTransfer(view: Overlay, p: PreparedTransaction, body: Transfer, ctx: ApplyContext): Applied {
  const pending = body.pending!;
  const expires = Date.parse(pending.expires_at);
  if (expires <= ctx.accepted_at_ms)
    reject('hold_expired', { expires_at: pending.expires_at, reason: 'expires_at is in the past' });
  if (expires - ctx.accepted_at_ms > HOLD_DURATION_MS_MAX) {
    reject('transaction_invalid', { reason: `a hold may last at most ${HOLD_DURATION_MS_MAX} ms` });
  }
  if (view.hold(body.id)) reject('transaction_id_conflict', { id: body.id });
  const legs = priceLegs(view, body.legs);
  for (const from of new Set(legs.map((l) => l.from))) authorize(view, from, p);
  for (const leg of legs) {
    const fromLine = requireLine(view, leg.from, leg.currency);
    const toLine = requireLine(view, leg.to, leg.currency);
    const debit = addMinor(leg.amount, leg.fee);
    checkDebit(fromLine, debit, leg.currencyInfo, leg.to);
    checkCredit(toLine, leg.amount, leg.currencyInfo, leg.from);
    view.setLine({ ...fromLine, held: addMinor(fromLine.held, debit) });
  }
  view.setHold({
    id: body.id,
    seq: ctx.seq,
    legs: legs.map(({ from, to, currency, amount: value, fee }) => ({ from, to, currency, amount: value, fee })),
    expires_at_ms: expires,
    hashlock: pending.hashlock ?? null,
    state: 'pending',
    closed_seq: null,
  });
  return { accounts: legAccounts(legs) };
}

function openHold(view: Overlay, id: string): Hold {
  const hold = view.hold(id) ?? reject('hold_not_found', { pending_id: id });
  if (hold.state !== 'pending') reject('hold_closed', { pending_id: id, state: hold.state });
  return hold;
}

function release(view: Overlay, hold: Hold): void {
  for (const leg of hold.legs) {
    const line = view.line(leg.from, leg.currency)!;
    view.setLine({ ...line, held: subtractMinor(line.held, addMinor(leg.amount, leg.fee)) });
  }
}

function close(view: Overlay, hold: Hold, state: 'posted' | 'voided' | 'expired', ctx: ApplyContext): Applied {
  view.setHold({ ...hold, state, closed_seq: ctx.seq });
  return { accounts: legAccounts(hold.legs) };
}

function postHold(view: Overlay, p: PreparedTransaction, body: TransferPost, ctx: ApplyContext): Applied {
  const hold = openHold(view, body.pending_id);
  if (ctx.accepted_at_ms >= hold.expires_at_ms) reject('hold_expired', { pending_id: hold.id });
  let unlocked = false;
  if (hold.hashlock !== null) {
    const preimage = body.preimage === undefined ? undefined : fromHex(body.preimage);
    if (!preimage?.ok || toHex(sha256(preimage.value)) !== hold.hashlock)
      reject('preimage_invalid', { pending_id: hold.id });
    unlocked = true; // revealing the preimage is the authorization (hashed timelock contract)
  }
  if (!unlocked) for (const from of new Set(hold.legs.map((l) => l.from))) authorize(view, from, p);
  let legs = hold.legs;
  if (body.amount !== undefined) {
    const only =
      hold.legs.length === 1
        ? hold.legs[0]!
        : reject('post_amount_invalid', { reason: 'partial posts need a single-leg hold' });
    const currency = requireCurrency(view, only.currency);
    const posted = amount(body.amount, currency, 'amount');
    if (posted > only.amount)
      reject('post_amount_invalid', { held: formatAmount(only.amount, currency.scale), amount: body.amount });
    legs = [{ ...only, amount: posted, fee: transferFee(currency, only.from, only.to, posted) }];
  }
  release(view, hold);
  const priced = legs.map((leg) => ({ ...leg, currencyInfo: requireCurrency(view, leg.currency) }));
  for (const leg of priced) moveFunds(view, leg);
  const applied = close(view, hold, 'posted', ctx);
  return { accounts: [...new Set([...applied.accounts, ...feeIssuers(priced)])] };
}

function voidHold(view: Overlay, p: PreparedTransaction, body: TransferVoid, ctx: ApplyContext): Applied {
  const hold = openHold(view, body.pending_id);
  const parties = [...new Set(hold.legs.flatMap((l) => [l.from, l.to]))];
  const allowed = parties.some((id) => {
    const account = view.account(id);
    return account !== undefined && isAuthorized(account, p);
  });
  if (!allowed)
    reject('authorization_insufficient', {
      pending_id: hold.id,
      reason: 'a payer or payee of the hold must sign',
      parties,
    });
  release(view, hold);
  return close(view, hold, 'voided', ctx);
}

function expireHold(view: Overlay, body: TransferExpire, ctx: ApplyContext): Applied {
  const hold = openHold(view, body.pending_id);
  if (ctx.accepted_at_ms < hold.expires_at_ms)
    reject('transaction_invalid', { reason: 'the hold has not expired yet' });
  release(view, hold);
  return close(view, hold, 'expired', ctx);
}

// --- multi-hop payments --------------------------------------------------------------------------

function suppliedPath(view: Overlay, body: Payment): Hop[] {
  const path = body.path ?? [];
  const hops: Hop[] = [];
  let sender = body.from;
  let currency = body.send_max.currency;
  for (const [i, step] of path.entries()) {
    const account = requireAccount(view, step.account);
    if (!account.allow_rippling)
      reject('path_invalid', { hop: i, account: step.account, reason: 'does not allow rippling' });
    hops.push({ from: sender, to: step.account, currency });
    sender = step.account;
    currency = step.currency;
  }
  if (currency !== body.deliver.currency)
    reject('path_invalid', { reason: 'the last hop must pay in the deliver currency' });
  hops.push({ from: sender, to: body.to, currency });
  return hops;
}

/**
 * Pays exactly `deliver` to `to` through intermediaries. Amounts are worked out backwards from the
 * payee: each intermediary receives what it pays on plus the issuer's fee on that hop, so it ends
 * where it started; the payer's total, fees included, must stay within send_max.
 */
function pay(view: Overlay, p: PreparedTransaction, body: Payment, ctx: ApplyContext): Applied {
  const payer = requireAccount(view, body.from);
  // Without the full threshold, refuse before path finding unless a small-payment rule could apply.
  if (!isAuthorized(payer, p)) {
    const rule = payer.spending_policy?.small_payments.find((r) => r.currency === body.send_max.currency);
    if (payer.custodial || !rule) unauthorized(payer, p);
    if (signatureCount(payer, p.signers) < rule.threshold)
      unauthorized(payer, p, {
        reason: 'fewer signatures than even the small-payment threshold',
        currency: rule.currency,
        threshold: rule.threshold,
      });
  }
  requireAccount(view, body.to);
  if (body.from === body.to) reject('leg_invalid', { reason: 'the payer is the payee' });
  const deliverCurrency = requireCurrency(view, body.deliver.currency);
  const sendCurrency = requireCurrency(view, body.send_max.currency);
  const hops = body.path
    ? suppliedPath(view, body)
    : findPath(view, body.from, body.to, sendCurrency.code, deliverCurrency.code);
  if (!hops)
    reject('path_not_found', { from: body.from, to: body.to, send: sendCurrency.code, deliver: deliverCurrency.code });
  const currencies = hops.map((hop) => requireCurrency(view, hop.currency));
  const mismatch = currencies.findIndex((c) => c.scale !== deliverCurrency.scale);
  if (mismatch >= 0)
    reject('path_invalid', { hop: mismatch, reason: 'all currencies on a path must have the same scale' });
  const legs: PricedLeg[] = new Array(hops.length);
  let owed = amount(body.deliver.amount, deliverCurrency, 'deliver.amount');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    const fee = transferFee(currencies[i]!, hop.from, hop.to, owed);
    legs[i] = { ...hop, amount: owed, fee, currencyInfo: currencies[i]! };
    owed = addMinor(owed, fee);
  }
  const sendMax = amount(body.send_max.amount, sendCurrency, 'send_max.amount');
  if (owed > sendMax) {
    reject('send_max_exceeded', {
      cost: formatAmount(owed, sendCurrency.scale),
      send_max: body.send_max.amount,
      hops: hops.length,
    });
  }
  authorizeDebit(view, body.from, p, legs, ctx);
  for (const leg of legs) moveFunds(view, leg);
  return { accounts: legAccounts(legs, feeIssuers(legs)) };
}
