import { type Static, Type } from 'typebox';
import { StrictObject } from '../http/schemas.js';
import type { CheckoutView } from './source.js';

/** Invoice and payment link ids: a type prefix and URL-safe characters ("inv_…", "pl_…"). */
export const PUBLIC_ID = /^[A-Za-z0-9_-]{1,128}$/;

export const CheckoutIdParam = StrictObject({
  id: Type.String({ pattern: PUBLIC_ID.source, description: 'Invoice id ("inv_…").' }),
});

const Decimal = (description: string) => Type.String({ pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$', description });

export const CheckoutViewSchema = Type.Object(
  {
    id: Type.String({ description: 'Invoice id.' }),
    mode: Type.Union([Type.Literal('live'), Type.Literal('test')]),
    status: Type.Union([
      Type.Literal('New'),
      Type.Literal('Processing'),
      Type.Literal('Settled'),
      Type.Literal('Expired'),
      Type.Literal('Invalid'),
    ]),
    additional_status: Type.Union([
      Type.Literal('None'),
      Type.Literal('PaidPartial'),
      Type.Literal('PaidOver'),
      Type.Literal('PaidLate'),
      Type.Literal('Marked'),
    ]),
    amount: Decimal('Invoice amount in the currency units, e.g. "12.50".'),
    currency: Type.String(),
    amount_paid: Decimal('Sum of the payments counted toward the invoice.'),
    amount_due: Decimal('What is still to pay.'),
    merchant_name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    expires_at: Type.String({ format: 'date-time' }),
    payment_uri: Type.String({ description: 'web+webwallet:pay?… (docs/processor.md, "Payment URI").' }),
    redirect_url: Type.Union([Type.String(), Type.Null()]),
    server_time: Type.String({ format: 'date-time', description: "The node's clock, for countdowns." }),
  },
  {
    $id: 'CheckoutView',
    additionalProperties: false,
    description:
      'The public view of an invoice, as the hosted checkout page shows it. The invoice id is the capability.',
  },
);

// The schema and the hand-written interface must describe the same object.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _viewSchemaMatches: Same<Static<typeof CheckoutViewSchema>, CheckoutView> = true;
void _viewSchemaMatches;

export const PayRequest = StrictObject({
  document: Type.Unsafe<Record<string, unknown>>({
    $ref: 'SignedDocument#',
    description: 'A signed ledger.transfer paying the invoice: one leg to the payee, memo = the invoice id.',
  }),
});

export const PayResponse = Type.Object({
  transaction_id: Type.String({ description: 'The ledger transaction; GET /v1/transactions/{id} shows it.' }),
});

/** Only the public fields, in a fixed order, whatever else the source's object carries. */
export function publicView(view: CheckoutView): CheckoutView {
  return {
    id: view.id,
    mode: view.mode,
    status: view.status,
    additional_status: view.additional_status,
    amount: view.amount,
    currency: view.currency,
    amount_paid: view.amount_paid,
    amount_due: view.amount_due,
    merchant_name: view.merchant_name,
    description: view.description,
    expires_at: view.expires_at,
    payment_uri: view.payment_uri,
    redirect_url: view.redirect_url,
    server_time: view.server_time,
  };
}
