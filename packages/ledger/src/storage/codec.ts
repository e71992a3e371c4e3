import type { Hold } from '../engine/state.js';

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
