import type { Result } from '@webwallet/core';

export type CheckoutStatus = 'New' | 'Processing' | 'Settled' | 'Expired' | 'Invalid';
export type CheckoutAdditionalStatus = 'None' | 'PaidPartial' | 'PaidOver' | 'PaidLate' | 'Marked';

/**
 * The public view of an invoice: what the hosted checkout page shows, and the JSON of
 * `GET /v1/checkout/{id}`. Anyone holding the invoice id may read it, so it carries nothing a
 * buyer should not see (no store id, order id or metadata).
 */
export interface CheckoutView {
  readonly id: string;
  readonly mode: 'live' | 'test';
  readonly status: CheckoutStatus;
  readonly additional_status: CheckoutAdditionalStatus;
  /** Decimal strings in the currency's units, e.g. "12.50". */
  readonly amount: string;
  readonly currency: string;
  readonly amount_paid: string;
  readonly amount_due: string;
  /** Untrusted text chosen by the merchant: always escaped before display. */
  readonly merchant_name: string;
  readonly description: string | null;
  /** RFC 3339 UTC. */
  readonly expires_at: string;
  /** `web+webwallet:pay?…` (docs/processor.md, "Payment URI"). */
  readonly payment_uri: string;
  /** Where the page sends the buyer once paid; only http(s) URLs are followed. */
  readonly redirect_url: string | null;
  /** The node's clock when the view was made, so the page's countdown ignores a wrong client clock. */
  readonly server_time: string;
}

/** The public view of a payment link (`GET /l/{id}`). */
export interface PaymentLinkView {
  readonly id: string;
  readonly mode: 'live' | 'test';
  readonly merchant_name: string;
  readonly currency: string;
  /** Fixed amount, or null when the customer enters it (within amount_min…amount_max when set). */
  readonly amount: string | null;
  readonly amount_min: string | null;
  readonly amount_max: string | null;
  readonly description: string | null;
  readonly active: boolean;
}

/**
 * What the checkout routes need from the invoice domain. The routes hold no invoice state of
 * their own, so any implementation (the processor, or an in-memory one in tests) can back them.
 *
 * @example
 * checkoutRoutes(app, {
 *   view: (id) => invoices.publicView(id),
 *   subscribe: (id, listener) => invoices.onChange(id, listener),
 *   // …
 * });
 */
export interface CheckoutSource {
  view(invoiceId: string): Promise<CheckoutView | undefined>;
  /** Calls listener with the new view after every change of the invoice; returns unsubscribe. */
  subscribe(invoiceId: string, listener: (view: CheckoutView) => void): () => void;
  /** Submits a wallet's signed ledger.transfer document paying the invoice; returns the ledger result or an error. */
  pay(invoiceId: string, document: unknown): Promise<Result<{ transaction_id: string }>>;
  /** Test invoices only: pays from the store's dummy payer 1 (the page's "Pay with test wallet" button). */
  sandboxPay(invoiceId: string): Promise<Result<{ transaction_id: string }>>;
  paymentLink(linkId: string): Promise<PaymentLinkView | undefined>;
  /** Creates an invoice for one visit of the link; amount only for customer-entered links. */
  invoiceFromLink(linkId: string, amount: string | undefined): Promise<Result<{ invoice_id: string }>>;
}
