/**
 * The merchant API's objects and parameters, as described in docs/processor.md. Amounts are
 * decimal strings in the currency's units ("12.50") so that no precision is lost to floats;
 * times are RFC 3339 UTC strings.
 */

/** `live` keys act on the node's ledger; `test` keys on the separate sandbox ledger. */
export type Mode = 'live' | 'test';

/** A decimal string such as "12.50": digits, at most one ".", no exponent. */
export type DecimalString = string;

/** An RFC 3339 UTC timestamp such as "2025-01-31T12:00:00.000Z". */
export type Timestamp = string;

/** Time filters accept a `Date` or an RFC 3339 string; Dates are sent with `toISOString()`. */
export type TimeInput = Date | Timestamp;

export type Metadata = Record<string, unknown>;

/** One page of a list endpoint. `next_cursor` is null on the last page. */
export interface List<T> {
  items: T[];
  next_cursor: string | null;
}

/** Cursor pagination accepted by every list endpoint. */
export interface PageParams {
  limit?: number;
  cursor?: string;
}

// --- invoices ---------------------------------------------------------------------------------

/** As BTCPay Server's Greenfield API. */
export type InvoiceStatus = 'New' | 'Processing' | 'Settled' | 'Expired' | 'Invalid';
export type InvoiceAdditionalStatus = 'None' | 'PaidPartial' | 'PaidOver' | 'PaidLate' | 'Marked';

export interface Payment {
  id: string;
  rail: string;
  transaction_id: string;
  from: string;
  amount: DecimalString;
  currency: string;
  status: 'pending' | 'confirmed';
  /** True when the payment arrived after the invoice expired. */
  late: boolean;
  /** Whether the payment counts toward the invoice (not in docs/processor.md yet). */
  counted?: boolean;
  received_at: Timestamp;
  confirmed_at: Timestamp | null;
  block_height: number | null;
  /** A receipt verifiable offline with the node key; present on confirmed payments. */
  receipt: unknown;
}

export interface Invoice {
  id: string;
  object: 'invoice';
  mode: Mode;
  store_id: string;
  status: InvoiceStatus;
  additional_status: InvoiceAdditionalStatus;
  amount: DecimalString;
  currency: string;
  amount_paid: DecimalString;
  amount_due: DecimalString;
  amount_refunded: DecimalString;
  order_id: string | null;
  description: string | null;
  metadata: Metadata;
  redirect_url: string | null;
  payment_tolerance_pct: number;
  payee: string;
  payment_uri: string;
  /** The hosted checkout page: redirect the buyer here. */
  checkout_url: string;
  /** The payment link that created this invoice, if any (not in docs/processor.md yet). */
  payment_link_id?: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  monitoring_until: Timestamp;
  settled_at: Timestamp | null;
  payments: Payment[];
}

export interface InvoiceCreateParams {
  amount: DecimalString;
  currency: string;
  order_id?: string;
  description?: string;
  metadata?: Metadata;
  redirect_url?: string;
  /** 60…604800, default 900. */
  expires_in_s?: number;
  /** 0…50, default 0. */
  payment_tolerance_pct?: number;
}

export interface InvoiceListFilters extends PageParams {
  status?: InvoiceStatus;
  order_id?: string;
  created_from?: TimeInput;
  created_to?: TimeInput;
}

/** Only New, Processing or Expired invoices can be marked. */
export type InvoiceMarkStatus = 'Settled' | 'Invalid';

// --- money out --------------------------------------------------------------------------------

export type MoneyOutStatus = 'pending' | 'succeeded' | 'failed';

export interface Failure {
  code: string;
  message: string;
}

export interface Refund {
  id: string;
  object: 'refund';
  mode: Mode;
  invoice_id: string;
  amount: DecimalString;
  currency: string;
  destination: string;
  /** `pending` only while the ledger transfer is being submitted. */
  status: MoneyOutStatus;
  transaction_id: string | null;
  failure: Failure | null;
  reason: string | null;
  created_at: Timestamp;
}

export interface RefundCreateParams {
  invoice_id: string;
  /** Default: all that is refundable. */
  amount?: DecimalString;
  reason?: string;
}

export interface RefundListFilters extends PageParams {
  invoice_id?: string;
}

export interface Payout {
  id: string;
  object: 'payout';
  mode: Mode;
  amount: DecimalString;
  currency: string;
  destination: string;
  status: MoneyOutStatus;
  transaction_id: string | null;
  failure: Failure | null;
  description: string | null;
  created_at: Timestamp;
}

export interface PayoutCreateParams {
  amount: DecimalString;
  currency: string;
  destination: string;
  description?: string;
}

export interface BalanceEntry {
  currency: string;
  balance: DecimalString;
  /** Balance minus holds: what payouts and refunds can spend. */
  available: DecimalString;
}

export interface Balance {
  mode: Mode;
  account: string;
  balances: BalanceEntry[];
}

// --- webhooks and events ----------------------------------------------------------------------

export type InvoiceEventType =
  | 'invoice.created'
  | 'invoice.payment_received'
  | 'invoice.processing'
  | 'invoice.settled'
  | 'invoice.expired'
  | 'invoice.invalid';
export type RefundEventType = 'refund.created' | 'refund.succeeded' | 'refund.failed';
export type PayoutEventType = 'payout.created' | 'payout.succeeded' | 'payout.failed';
export type EventType = InvoiceEventType | RefundEventType | PayoutEventType;

interface EventBase<T extends EventType, D> {
  id: string;
  type: T;
  mode: Mode;
  store_id: string;
  created_at: Timestamp;
  data: D;
}

/**
 * What a webhook delivers and `events.retrieve` returns. A union on `type`, so checking the type
 * narrows `data`:
 *
 * @example
 * if (event.type === 'invoice.settled') fulfil(event.data.invoice.order_id);
 */
export type WebhookEvent =
  | EventBase<Exclude<InvoiceEventType, 'invoice.payment_received'>, { invoice: Invoice }>
  | EventBase<'invoice.payment_received', { invoice: Invoice; payment: Payment }>
  | EventBase<RefundEventType, { refund: Refund }>
  | EventBase<PayoutEventType, { payout: Payout }>;

export interface EventListFilters extends PageParams {
  type?: EventType;
}

export interface WebhookEndpoint {
  id: string;
  object: 'webhook_endpoint';
  mode: Mode;
  url: string;
  events: (EventType | '*')[];
  description: string | null;
  enabled: boolean;
  created_at: Timestamp;
}

/** The secret is shown once, when the endpoint is created. */
export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  secret: string;
}

export interface WebhookCreateParams {
  url: string;
  events: (EventType | '*')[];
  description?: string;
}

export interface WebhookUpdateParams {
  url?: string;
  events?: (EventType | '*')[];
  enabled?: boolean;
}

export interface WebhookRotateParams {
  /** How long the previous secret keeps signing deliveries: 0…604800, default 86400. */
  previous_valid_s?: number;
}

export interface Delivery {
  id: string;
  object: 'webhook_delivery';
  event_id: string;
  event_type: EventType;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Timestamp;
}

// --- payment links ----------------------------------------------------------------------------

/** docs/processor.md only fixes `id` and `url`; the other fields echo the create parameters. */
export interface PaymentLink {
  id: string;
  object: 'payment_link';
  mode: Mode;
  /** Share this: a fixed-amount link redirects to a fresh invoice's checkout page. */
  url: string;
  currency: string;
  /** Null when the customer enters the amount. */
  amount: DecimalString | null;
  amount_min: DecimalString | null;
  amount_max: DecimalString | null;
  description: string | null;
  redirect_url: string | null;
  /** Lifetime of each invoice the link creates. */
  expires_in_s: number;
  active: boolean;
  created_at: Timestamp;
}

export interface PaymentLinkCreateParams {
  currency: string;
  /** A fixed amount; omit it to let the customer enter one. */
  amount?: DecimalString;
  amount_min?: DecimalString;
  amount_max?: DecimalString;
  description?: string;
  redirect_url?: string;
  expires_in_s?: number;
}

// --- API keys ---------------------------------------------------------------------------------

export type Scope = 'invoices:read' | 'invoices:write' | 'refunds' | 'payouts' | 'webhooks' | 'reports' | 'keys';

export interface ApiKey {
  id: string;
  object: 'api_key';
  name: string | null;
  mode: Mode;
  /** The start of the secret, to recognise a key without revealing it (not in docs/processor.md yet). */
  prefix?: string;
  scopes: Scope[];
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** The secret is shown once, when the key is created. */
export interface CreatedApiKey extends ApiKey {
  secret: string;
}

export interface KeyCreateParams {
  name?: string;
  scopes: Scope[];
}

// --- sandbox and reports ----------------------------------------------------------------------

export interface SandboxPayer {
  index: 1 | 2 | 3;
  account: string;
  balances: BalanceEntry[];
}

export interface SandboxPayParams {
  payer?: 1 | 2 | 3;
  /** partial = half the amount due, over = amount due + 10%. */
  kind?: 'exact' | 'partial' | 'over';
  amount?: DecimalString;
}

export interface SandboxFaucetParams {
  account: string;
  currency: string;
  amount: DecimalString;
}

/** Reports cover objects created in [from, to), at most 31 days. */
export interface ReportRange {
  from: TimeInput;
  to: TimeInput;
}
