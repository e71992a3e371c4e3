import { addMinor } from '@webwallet/core';
import { ACCOUNT_KEYS_MAX } from '../model/schemas.js';
import { SPENT_SLICES_MAX } from './policy.js';
import { type Account, type LedgerState, lineKey } from './state.js';

/**
 * Checks the ledger's invariants over the whole state and returns every violation found:
 * each currency sums to zero; no line is below its credit limit or above its trust limit;
 * holds are never negative and equal the pending transfers out of each line.
 * Assertions catch programming errors; they cost O(lines), so the sequencer runs them after
 * every batch only when asked (tests, WEBWALLET_ASSERT_INVARIANTS=1).
 */
export function findInvariantViolations(state: LedgerState): string[] {
  const violations: string[] = [];
  const sums = new Map<string, bigint>();
  const heldByLine = new Map<string, bigint>();
  for (const hold of state.holds.values()) {
    if (hold.state !== 'pending') continue;
    for (const leg of hold.legs) {
      const key = lineKey(leg.from, leg.currency);
      heldByLine.set(key, addMinor(heldByLine.get(key) ?? 0n, addMinor(leg.amount, leg.fee)));
    }
  }
  for (const [key, line] of state.lines) {
    const where = `${line.holder}/${line.currency}`;
    sums.set(line.currency, (sums.get(line.currency) ?? 0n) + line.balance);
    if (line.held < 0n) violations.push(`${where}: held ${line.held} is negative`);
    if (line.balance - line.held < -line.credit_limit) violations.push(`${where}: available below credit limit`);
    const currency = state.currencies.get(line.currency);
    if (!currency) violations.push(`${where}: unknown currency`);
    else if (line.holder !== currency.issuer && line.balance > line.limit)
      violations.push(`${where}: balance above trust limit`);
    if ((heldByLine.get(key) ?? 0n) !== line.held)
      violations.push(`${where}: held ${line.held} != pending ${heldByLine.get(key) ?? 0n}`);
    if (!state.accounts.has(line.holder)) violations.push(`${where}: unknown holder`);
  }
  for (const [currency, sum] of sums) if (sum !== 0n) violations.push(`${currency}: balances sum to ${sum}, not 0`);
  for (const account of state.accounts.values()) violations.push(...accountViolations(account));
  return violations;
}

/**
 * An account's signing rules: custodial accounts have none; self-custody ones have 1..10 distinct
 * keys and 1 <= threshold <= keys; small-payment thresholds are lower, their windows bounded.
 */
function accountViolations(account: Account): string[] {
  const where = `account ${account.id}`;
  const found: string[] = [];
  if (account.custodial) {
    if (account.keys.length > 0 || account.threshold !== 0 || account.spending_policy !== null)
      found.push(`${where}: custodial with keys, threshold or policy`);
    return found;
  }
  const { keys, threshold } = account;
  if (keys.length < 1 || keys.length > ACCOUNT_KEYS_MAX || new Set(keys).size !== keys.length)
    found.push(`${where}: ${keys.length} keys, or repeated keys`);
  if (threshold < 1 || threshold > keys.length) found.push(`${where}: threshold ${threshold} of ${keys.length} keys`);
  for (const rule of account.spending_policy?.small_payments ?? []) {
    if (rule.threshold < 1 || rule.threshold >= threshold)
      found.push(`${where}: small-payment threshold ${rule.threshold} not below ${threshold}`);
  }
  for (const spent of account.small_spent) {
    if (!account.spending_policy?.small_payments.some((rule) => rule.currency === spent.currency))
      found.push(`${where}: small payments recorded in ${spent.currency} without a rule`);
    if (spent.slices.length > SPENT_SLICES_MAX) found.push(`${where}: ${spent.slices.length} window slices`);
  }
  return found;
}

export function assertInvariants(state: LedgerState): void {
  const violations = findInvariantViolations(state);
  if (violations.length > 0) throw new Error(`ledger invariant violated:\n${violations.slice(0, 20).join('\n')}`);
}
