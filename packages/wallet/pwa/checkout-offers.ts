import { originOf } from '@webwallet/core';
import { type Offer, offersFor, type PaymentRequest, type Review } from '@webwallet/wallet';
import { h } from './dom.js';
import type { Session } from './session.js';

/**
 * The coupons and vouchers a checkout could use, on the pay review (the core's `offersFor`).
 * They inform only: the shop sets the amount of the payment request, and the ledger has no
 * notion of a coupon, so the wallet cannot change the signed payment by itself. The person picks
 * one to see its code and what it would save, and gives the code to the shop before it asks for
 * payment.
 */

/** How long the review waits for the invoice's public view before showing no offers. */
const CHECKOUT_VIEW_TIMEOUT_MS = 3_000;

/** Which shop a payment is for, as far as the wallet can tell. */
export interface Merchant {
  /** The shop's web origin ("https://shop.example"): what coupons and vouchers name. */
  readonly origin: string;
  readonly name?: string;
}

/**
 * The shop behind a payment: the origin given with it (a Payment Request's top origin), else for
 * an invoice the origin of the page its checkout returns to (the public view at
 * GET /v1/checkout/{id} on the wallet's node). A bare payment link names no shop.
 */
export async function merchantOf(
  session: Session,
  request: PaymentRequest,
  origin?: string,
): Promise<Merchant | undefined> {
  const given = origin === undefined ? undefined : originOf(origin);
  if (given !== undefined) return { origin: given };
  if (request.invoice === undefined) return undefined;
  try {
    // The processor's checkout API is at the node's origin, also for a wallet on its /sandbox ledger.
    const url = `${new URL(session.nodeUrl).origin}/v1/checkout/${encodeURIComponent(request.invoice)}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(CHECKOUT_VIEW_TIMEOUT_MS) });
    if (!response.ok) return undefined;
    const view = (await response.json()) as { redirect_url?: unknown; merchant_name?: unknown };
    const shop = typeof view.redirect_url === 'string' ? originOf(view.redirect_url) : undefined;
    if (shop === undefined) return undefined;
    return typeof view.merchant_name === 'string' ? { origin: shop, name: view.merchant_name } : { origin: shop };
  } catch {
    return undefined;
  }
}

/** a − b for decimal strings with b ≤ a, exactly (bigint minor units at the larger scale). */
export function subtractDecimal(a: string, b: string): string {
  const scale = Math.max(a.split('.')[1]?.length ?? 0, b.split('.')[1]?.length ?? 0);
  const units = (d: string) => {
    const [whole = '0', fraction = ''] = d.split('.');
    return BigInt(whole + fraction.padEnd(scale, '0'));
  };
  const digits = (units(a) - units(b)).toString().padStart(scale + 1, '0');
  return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

function offerLabel(offer: Offer, currency: string): string {
  const { instrument, saving } = offer;
  const what = instrument.kind === 'coupon' ? `saves ${saving} ${currency}` : `covers ${saving} ${currency}`;
  return `${instrument.title}: ${what}`;
}

/** What the picked offer would do to this payment, said plainly. */
function effect(offer: Offer, review: Review): string {
  const { instrument, saving } = offer;
  const rest = `${subtractDecimal(review.amount, saving)} ${review.currency}`;
  const code = instrument.code === undefined ? '' : ` Its code: ${instrument.code}.`;
  const head =
    instrument.kind === 'coupon'
      ? `With “${instrument.title}” the shop would charge ${rest} instead of ${review.amount} ${review.currency}.`
      : `“${instrument.title}” would pay ${saving} ${review.currency} of it, leaving ${rest} to pay.`;
  return `${head}${code} Give the code to the shop and let it ask again: this payment stays at ${review.amount} ${review.currency}.`;
}

/** The offers section of the review, or null when the shop is unknown or nothing applies. */
export function offersSection(session: Session, review: Review, merchant: Merchant | undefined): HTMLElement | null {
  if (!merchant) return null;
  const offers = offersFor(session.document.instruments(), {
    merchant_origin: merchant.origin,
    currency: review.currency,
    amount: review.amount,
  });
  if (offers.length === 0) return null;
  const shop = merchant.name ? `${merchant.name} (${new URL(merchant.origin).host})` : new URL(merchant.origin).host;
  const result = h('p', { id: 'offer-effect', role: 'status', 'aria-live': 'polite' });
  const choice = (id: string, label: string, onPick: () => void) => {
    const input = h('input', { type: 'radio', name: 'offer', id: `offer-${id}`, value: id });
    input.addEventListener('change', onPick);
    return h('label', { class: 'check', for: `offer-${id}` }, input, h('span', {}, label));
  };
  return h(
    'section',
    { class: 'card', id: 'review-offers', 'aria-labelledby': 'offers-title' },
    h('h2', { id: 'offers-title' }, `Your coupons and vouchers for ${shop}`),
    h(
      'fieldset',
      { class: 'offers' },
      h('legend', { class: 'sr-only' }, 'Pick one to see what it would do'),
      ...offers.map((offer) =>
        choice(offer.instrument.id, offerLabel(offer, review.currency), () => {
          result.textContent = effect(offer, review);
        }),
      ),
      choice('none', 'None', () => {
        result.textContent = '';
      }),
    ),
    result,
    h(
      'p',
      { class: 'muted' },
      'The shop sets the amount: the wallet cannot apply a coupon or voucher to a payment itself.',
    ),
  );
}
