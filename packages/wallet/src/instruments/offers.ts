import { CURRENCY_CODE, originOf } from '@webwallet/core';
import type { Coupon, Instrument, Voucher } from './types.js';
import { DECIMAL } from './validate.js';

/** What a checkout asks for: who, in which currency, how much (a decimal string). */
export interface Checkout {
  /** The merchant's origin, or any URL on it. */
  readonly merchant_origin: string;
  readonly currency: string;
  readonly amount: string;
}

export interface Offer {
  readonly instrument: Coupon | Voucher;
  /** How much of the checkout amount it takes off (coupons) or pays (vouchers), a decimal string. */
  readonly saving: string;
}

// Exact decimal arithmetic on scaled bigints: amounts here have unknown scale (the checkout does
// not say how many decimals its currency has), so nothing is rounded.
interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

function parse(text: string): Decimal {
  const [whole = '0', fraction = ''] = text.split('.');
  return { units: BigInt(whole + fraction), scale: fraction.length };
}

function rescale(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

function compare(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Decimal text with exactly-zero trailing decimals dropped, but with at least `minScale` decimals. */
function format(d: Decimal, minScale: number): string {
  let units = d.scale < minScale ? rescale(d, minScale) : d.units;
  let scale = Math.max(d.scale, minScale);
  while (scale > minScale && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  const digits = units.toString().padStart(scale + 1, '0');
  return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

function min(a: Decimal, b: Decimal): Decimal {
  return compare(a, b) <= 0 ? a : b;
}

function voucherAccepted(v: Voucher, origin: string): boolean {
  if (v.merchant_origins) return v.merchant_origins.includes(origin);
  if (v.redeem_url) return originOf(v.redeem_url) === origin;
  return true;
}

function saving(instrument: Coupon | Voucher, amount: Decimal): Decimal {
  if (instrument.kind === 'voucher') return min(parse(instrument.amount), amount);
  if (instrument.amount_off !== undefined) return min(parse(instrument.amount_off), amount);
  // amount × percent / 100, exactly: the percentage has at most 2 decimals.
  const percent = parse(instrument.percent_off as string);
  return { units: amount.units * percent.units, scale: amount.scale + percent.scale + 2 };
}

function applies(instrument: Instrument, checkout: Checkout, origin: string, nowMs: number): boolean {
  if (instrument.kind !== 'coupon' && instrument.kind !== 'voucher') return false;
  if (instrument.expires_at !== undefined && Date.parse(instrument.expires_at) <= nowMs) return false;
  if (instrument.kind === 'voucher') {
    return instrument.currency === checkout.currency && voucherAccepted(instrument, origin);
  }
  const currencyOk = instrument.percent_off !== undefined || instrument.currency === checkout.currency;
  return currencyOk && instrument.merchant_origins.includes(origin);
}

/**
 * The coupons and vouchers a checkout can use: not expired, accepted at the merchant's origin, in
 * the checkout's currency (percentage coupons work in any currency). Best first: discounts
 * (coupons) before prepaid value (vouchers, which are money the user already has), then the
 * larger saving, then the one expiring sooner. Throws RangeError for a malformed checkout: the
 * payment request was validated before it got here.
 *
 * @example
 * const [best] = offersFor(wallet.instruments(), { merchant_origin: 'https://shop.example',
 *   currency: 'EUR', amount: '40.00' });
 */
export function offersFor(instruments: readonly Instrument[], checkout: Checkout, now_ms = Date.now()): Offer[] {
  const origin = originOf(checkout.merchant_origin);
  if (origin === undefined) throw new RangeError('checkout.merchant_origin must be an http(s) origin');
  if (!CURRENCY_CODE.test(checkout.currency)) throw new RangeError('checkout.currency must be a currency code');
  if (!DECIMAL.test(checkout.amount)) throw new RangeError('checkout.amount must be a decimal string');
  const amount = parse(checkout.amount);
  const ranked = instruments
    .filter((i): i is Coupon | Voucher => applies(i, checkout, origin, now_ms))
    .map((instrument) => ({ instrument, value: saving(instrument, amount) }))
    .filter((o) => o.value.units > 0n);
  ranked.sort((a, b) => {
    if (a.instrument.kind !== b.instrument.kind) return a.instrument.kind === 'coupon' ? -1 : 1;
    const bySaving = compare(b.value, a.value);
    if (bySaving !== 0) return bySaving;
    const expiresA = a.instrument.expires_at ? Date.parse(a.instrument.expires_at) : Number.POSITIVE_INFINITY;
    const expiresB = b.instrument.expires_at ? Date.parse(b.instrument.expires_at) : Number.POSITIVE_INFINITY;
    if (expiresA !== expiresB) return expiresA - expiresB;
    return a.instrument.id < b.instrument.id ? -1 : a.instrument.id > b.instrument.id ? 1 : 0;
  });
  return ranked.map((o) => ({ instrument: o.instrument, saving: format(o.value, amount.scale) }));
}
