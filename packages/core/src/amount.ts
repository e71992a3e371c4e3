import { err, ok, type Result, WebWalletError } from './errors.js';

/**
 * Money is an integer count of minor units in a `bigint`. The largest magnitude is the largest
 * signed 64-bit integer, so every amount fits SQLite INTEGER and PostgreSQL BIGINT columns.
 */
export const AMOUNT_MINOR_MAX = 2n ** 63n - 1n;
export const AMOUNT_MINOR_MIN = -AMOUNT_MINOR_MAX;
/** Most decimal places a currency may have (ETH-style 18-decimal tokens are the largest in use). */
export const SCALE_MAX = 18;
/** Longest decimal string accepted: 19 digits, a sign, a point and up to 18 decimals fit easily. */
export const AMOUNT_TEXT_LENGTH_MAX = 64;

export interface ParseAmountOptions {
  /** Accept a leading "-". Default false: most amounts in requests must be positive or zero. */
  allowNegative?: boolean;
}

const DECIMAL = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 0 || scale > SCALE_MAX) {
    throw new RangeError(`scale must be an integer from 0 to ${SCALE_MAX}, got ${scale}`);
  }
}

/**
 * Parses a decimal string into minor units, exactly.
 *
 * @example parseAmount('12.34', 2) // { ok: true, value: 1234n }
 * @example parseAmount('12.345', 2) // { ok: false, error: amount_too_precise }
 */
export function parseAmount(text: unknown, scale: number, options: ParseAmountOptions = {}): Result<bigint> {
  checkScale(scale);
  if (typeof text !== 'string') {
    return err('amount_invalid', {
      value: typeof text === 'number' ? text : null,
      reason: `amounts are decimal strings, got ${typeof text}; send "12.34", not 12.34`,
    });
  }
  if (text.length > AMOUNT_TEXT_LENGTH_MAX) {
    return err('amount_invalid', { reason: `longer than ${AMOUNT_TEXT_LENGTH_MAX} characters` });
  }
  const match = DECIMAL.exec(text);
  if (!match) return err('amount_invalid', { value: text });
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > scale) {
    return err('amount_too_precise', { value: text, scale });
  }
  const magnitude = BigInt((whole ?? '0') + fraction.padEnd(scale, '0'));
  if (sign === '-' && magnitude === 0n) return err('amount_invalid', { value: text, reason: 'negative zero' });
  if (sign === '-' && !options.allowNegative) {
    return err('amount_out_of_range', { value: text, reason: 'negative amounts are not allowed here' });
  }
  if (magnitude > AMOUNT_MINOR_MAX) {
    return err('amount_out_of_range', { value: text, max_minor: AMOUNT_MINOR_MAX.toString() });
  }
  return ok(sign === '-' ? -magnitude : magnitude);
}

/**
 * Formats minor units as a decimal string with exactly `scale` decimals.
 *
 * @example formatAmount(1230n, 2) // "12.30"
 */
export function formatAmount(minor: bigint, scale: number): string {
  checkScale(scale);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

function checked(value: bigint, operation: string): bigint {
  if (value > AMOUNT_MINOR_MAX || value < AMOUNT_MINOR_MIN) {
    throw new WebWalletError('amount_overflow', { operation });
  }
  return value;
}

/** a + b; throws `amount_overflow` (a WebWalletError) beyond ±AMOUNT_MINOR_MAX. */
export function addMinor(a: bigint, b: bigint): bigint {
  return checked(a + b, 'add');
}

/** a - b; throws `amount_overflow` (a WebWalletError) beyond ±AMOUNT_MINOR_MAX. */
export function subtractMinor(a: bigint, b: bigint): bigint {
  return checked(a - b, 'subtract');
}

export function compareMinor(a: bigint, b: bigint): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An amount together with what it counts. */
export interface Money {
  readonly currency: string;
  readonly scale: number;
  readonly minor: bigint;
}

/** Currency codes: 1–12 characters, upper-case letters, digits and "-" (e.g. "USD", "EUR-C", "POINTS"). */
export const CURRENCY_CODE = /^[A-Z0-9][A-Z0-9-]{0,11}$/;

export function money(currency: string, scale: number, minor: bigint): Money {
  if (!CURRENCY_CODE.test(currency)) throw new RangeError(`invalid currency code ${JSON.stringify(currency)}`);
  checkScale(scale);
  return { currency, scale, minor: checked(minor, 'money') };
}

export function parseMoney(
  currency: string,
  scale: number,
  text: unknown,
  options?: ParseAmountOptions,
): Result<Money> {
  const parsed = parseAmount(text, scale, options);
  return parsed.ok ? ok(money(currency, scale, parsed.value)) : parsed;
}

export function formatMoney(m: Money): string {
  return `${formatAmount(m.minor, m.scale)} ${m.currency}`;
}

function sameUnit(a: Money, b: Money): void {
  if (a.currency !== b.currency || a.scale !== b.scale) {
    throw new WebWalletError('currency_mismatch', { left: a.currency, right: b.currency });
  }
}

/** Adds two amounts of the same currency; throws `currency_mismatch` or `amount_overflow`. */
export function addMoney(a: Money, b: Money): Money {
  sameUnit(a, b);
  return { ...a, minor: addMinor(a.minor, b.minor) };
}

/** Subtracts two amounts of the same currency; throws `currency_mismatch` or `amount_overflow`. */
export function subtractMoney(a: Money, b: Money): Money {
  sameUnit(a, b);
  return { ...a, minor: subtractMinor(a.minor, b.minor) };
}

export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  sameUnit(a, b);
  return compareMinor(a.minor, b.minor);
}
