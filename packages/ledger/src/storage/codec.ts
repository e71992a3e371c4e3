import type { Account, Hold } from '../engine/state.js';

/** Hold legs as JSON text, amounts as decimal strings of minor units (JSON has no 64-bit integers). */
export function legsToJson(legs: Hold['legs']): string {
  return JSON.stringify(legs.map((l) => ({ ...l, amount: l.amount.toString(), fee: l.fee.toString() })));
}
export function legsFromJson(json: string): Hold['legs'] {
  return (JSON.parse(json) as { from: string; to: string; currency: string; amount: string; fee: string }[]).map(
    (l) => ({
      ...l,
      amount: BigInt(l.amount),
      fee: BigInt(l.fee),
    }),
  );
}

/** A spending policy as JSON text (or null), amounts as decimal strings of minor units. */
export function policyToJson(policy: Account['spending_policy']): string | null {
  if (!policy) return null;
  return JSON.stringify({
    small_payments: policy.small_payments.map((r) => ({
      ...r,
      amount_max: r.amount_max.toString(),
      window_amount_max: r.window_amount_max.toString(),
    })),
  });
}
export function policyFromJson(json: string | null | undefined): Account['spending_policy'] {
  if (json === null || json === undefined) return null;
  const parsed = JSON.parse(json) as {
    small_payments: {
      currency: string;
      amount_max: string;
      threshold: number;
      window_ms: number;
      window_amount_max: string;
    }[];
  };
  return {
    small_payments: parsed.small_payments.map((r) => ({
      ...r,
      amount_max: BigInt(r.amount_max),
      window_amount_max: BigInt(r.window_amount_max),
    })),
  };
}

/** Small-payment windows as JSON text: [{currency, slices: [[at_ms, "minor units"], …]}]. */
export function spentToJson(spent: Account['small_spent']): string {
  return JSON.stringify(
    spent.map((s) => ({ currency: s.currency, slices: s.slices.map((x) => [x.at_ms, x.amount.toString()]) })),
  );
}
export function spentFromJson(json: string | null | undefined): Account['small_spent'] {
  if (json === null || json === undefined) return [];
  return (JSON.parse(json) as { currency: string; slices: [number, string][] }[]).map((s) => ({
    currency: s.currency,
    slices: s.slices.map(([at_ms, amount]) => ({ at_ms, amount: BigInt(amount) })),
  }));
}
