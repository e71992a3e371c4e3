import { addMinor, formatAmount, parseAmount } from '@webwallet/core';
import type { SpendingPolicyBody } from '../model/schemas.js';
import { reject } from './reject.js';
import type {
  Account,
  HoldLeg,
  SmallPaymentLimit,
  SmallSpent,
  SpendingPolicy,
  SpentSlice,
  StateReader,
} from './state.js';

/**
 * Spending policies: a payment at most `amount_max` in one currency may be signed by fewer keys
 * than the account's threshold, as long as such payments stay within a rolling cap. The ledger
 * is a single writer applying the log in order with the batch time, so the window is ordinary
 * deterministic state and a replay of the log rebuilds it exactly.
 */

/** Slices a window is summed in; bounds the record per currency whatever the payment count. */
export const SPENT_SLICES_PER_WINDOW = 64;
/** Most slices kept per currency: a whole window plus the slice being filled. */
export const SPENT_SLICES_MAX = SPENT_SLICES_PER_WINDOW + 1;

/** Checks a policy body against the account's threshold and the currencies' scales. */
export function policyFromBody(
  view: StateReader,
  body: SpendingPolicyBody | undefined,
  threshold: number,
): SpendingPolicy | null {
  if (!body || body.small_payments.length === 0) return null;
  const seen = new Set<string>();
  const small_payments = body.small_payments.map((rule, i): SmallPaymentLimit => {
    const field = `spending_policy.small_payments[${i}]`;
    if (seen.has(rule.currency))
      reject('transaction_invalid', { field: `${field}.currency`, reason: 'at most one rule per currency' });
    seen.add(rule.currency);
    const currency = view.currency(rule.currency) ?? reject('currency_not_found', { currency: rule.currency, field });
    if (rule.threshold >= threshold) {
      reject('transaction_invalid', {
        field: `${field}.threshold`,
        reason: `must be lower than the account's threshold (${threshold}); a higher one would change nothing`,
      });
    }
    const amountMax = policyAmount(rule.amount_max, currency.scale, `${field}.amount_max`);
    const windowMax = policyAmount(rule.window_amount_max, currency.scale, `${field}.window_amount_max`);
    if (windowMax < amountMax)
      reject('transaction_invalid', { field: `${field}.window_amount_max`, reason: 'must be at least amount_max' });
    return {
      currency: rule.currency,
      amount_max: amountMax,
      threshold: rule.threshold,
      window_ms: rule.window_ms,
      window_amount_max: windowMax,
    };
  });
  return { small_payments };
}

function policyAmount(text: string, scale: number, field: string): bigint {
  const parsed = parseAmount(text, scale);
  if (!parsed.ok) reject('transaction_invalid', { ...parsed.error.details, field, reason: parsed.error.message });
  if (parsed.value === 0n) reject('transaction_invalid', { field, reason: 'must be more than zero' });
  return parsed.value;
}

/** The policy as decimal strings, the shape of the transaction body. */
export function policyToBody(policy: SpendingPolicy, scaleOf: (currency: string) => number): SpendingPolicyBody {
  return {
    small_payments: policy.small_payments.map((rule) => ({
      currency: rule.currency,
      amount_max: formatAmount(rule.amount_max, scaleOf(rule.currency)),
      threshold: rule.threshold,
      window_ms: rule.window_ms,
      window_amount_max: formatAmount(rule.window_amount_max, scaleOf(rule.currency)),
    })),
  };
}

/** Distinct keys of the account among the verified signers. */
export function signatureCount(account: Account, signers: readonly string[]): number {
  let signed = 0;
  for (const key of account.keys) if (signers.includes(key)) signed++;
  return signed;
}

/** What an account pays in a set of legs, per currency, fees included. */
export function debitsFrom(account: string, legs: readonly HoldLeg[]): Map<string, bigint> {
  const debits = new Map<string, bigint>();
  for (const leg of legs) {
    if (leg.from !== account) continue;
    debits.set(leg.currency, addMinor(debits.get(leg.currency) ?? 0n, addMinor(leg.amount, leg.fee)));
  }
  return debits;
}

function ruleFor(account: Account, currency: string): SmallPaymentLimit | undefined {
  return account.spending_policy?.small_payments.find((rule) => rule.currency === currency);
}

/** Slices of a currency still inside the window ending at now_ms. */
function liveSlices(account: Account, currency: string, now_ms: number, window_ms: number): SpentSlice[] {
  const spent = account.small_spent.find((s) => s.currency === currency);
  return spent ? spent.slices.filter((slice) => slice.at_ms > now_ms - window_ms) : [];
}

function sum(slices: readonly SpentSlice[]): bigint {
  let total = 0n;
  for (const slice of slices) total = addMinor(total, slice.amount);
  return total;
}

/** What small payments of `currency` have used of the window ending at now_ms (0 without a rule). */
export function windowSpent(account: Account, currency: string, now_ms: number): bigint {
  const rule = ruleFor(account, currency);
  return rule ? sum(liveSlices(account, currency, now_ms, rule.window_ms)) : 0n;
}

/** Why a small-payment rule does not authorize a debit; readable for the payer. */
export type SmallPaymentRefusal = Readonly<Record<string, unknown>> & { readonly reason: string };

export type SmallPaymentCheck =
  | { readonly ok: true; readonly account: Account }
  | { readonly ok: false; readonly refusal: SmallPaymentRefusal };

/**
 * Whether `signed` signatures suffice for debiting `debits` from the account under its
 * small-payment rules, given that they fall short of its full threshold. On success returns the
 * account with the debit recorded in its window; nothing else may use a lower threshold.
 */
export function checkSmallPayment(
  account: Account,
  signed: number,
  debits: ReadonlyMap<string, bigint>,
  now_ms: number,
  scaleOf: (currency: string) => number,
): SmallPaymentCheck {
  const refuse = (reason: string, extra: Record<string, unknown> = {}): SmallPaymentCheck => ({
    ok: false,
    refusal: { reason, ...extra },
  });
  if (debits.size !== 1) return refuse('a payment in several currencies needs the full threshold');
  const [[currency, debit]] = [...debits] as [[string, bigint]];
  const rule = ruleFor(account, currency);
  if (!rule) return refuse(`no small-payment rule for ${currency}`, { currency });
  const scale = scaleOf(currency);
  const shown = {
    currency,
    threshold: rule.threshold,
    amount: formatAmount(debit, scale),
    amount_max: formatAmount(rule.amount_max, scale),
  };
  if (debit > rule.amount_max) return refuse('above the small-payment amount_max (fees included)', shown);
  if (signed < rule.threshold) return refuse('fewer signatures than even the small-payment threshold', shown);
  const live = liveSlices(account, currency, now_ms, rule.window_ms);
  const spent = sum(live);
  if (addMinor(spent, debit) > rule.window_amount_max) {
    return refuse('small payments would exceed their rolling window cap; sign with the full threshold', {
      ...shown,
      window_ms: rule.window_ms,
      window_amount_max: formatAmount(rule.window_amount_max, scale),
      window_spent: formatAmount(spent, scale),
    });
  }
  const slices = addToWindow(live, now_ms, debit, rule.window_ms);
  const small_spent = [...account.small_spent.filter((s) => s.currency !== currency), { currency, slices }].sort(
    (a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0),
  );
  return { ok: true, account: { ...account, small_spent } };
}

/** Adds a debit to the window's slices, merging it into the newest slice when they share one. */
function addToWindow(live: readonly SpentSlice[], now_ms: number, debit: bigint, window_ms: number): SpentSlice[] {
  const slice_ms = Math.ceil(window_ms / SPENT_SLICES_PER_WINDOW);
  const slices = [...live];
  const last = slices.at(-1);
  if (last && Math.floor(last.at_ms / slice_ms) === Math.floor(now_ms / slice_ms)) {
    slices[slices.length - 1] = { at_ms: Math.max(last.at_ms, now_ms), amount: addMinor(last.amount, debit) };
  } else {
    slices.push({ at_ms: now_ms, amount: debit });
  }
  // Only after a policy update changed the window (or the clock stepped back) can more slices be
  // live; merging the oldest into the next keeps their sum and the later time, so the cap only
  // errs on the safe side.
  while (slices.length > SPENT_SLICES_MAX) {
    const [oldest, next] = slices as [SpentSlice, SpentSlice];
    slices.splice(0, 2, { at_ms: next.at_ms, amount: addMinor(oldest.amount, next.amount) });
  }
  return slices;
}

/** The small-payment records a policy change keeps: those of currencies that still have a rule. */
export function keptSpent(spent: readonly SmallSpent[], policy: SpendingPolicy | null): SmallSpent[] {
  if (!policy) return [];
  return spent.filter((s) => policy.small_payments.some((rule) => rule.currency === s.currency));
}
