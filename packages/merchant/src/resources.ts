/**
 * One class per resource group of docs/processor.md. Each method is one REST call; the
 * transport adds authentication, idempotency keys, timeouts and retries. Methods are `async` so
 * that a bad argument (an empty id) rejects the returned promise instead of throwing at the call.
 */
import { path, type RequestOptions, type Transport } from './http.js';
import type {
  ApiKey,
  Balance,
  CreatedApiKey,
  CreatedWebhookEndpoint,
  Delivery,
  EventListFilters,
  Invoice,
  InvoiceCreateParams,
  InvoiceListFilters,
  InvoiceMarkStatus,
  KeyCreateParams,
  List,
  PageParams,
  PaymentLink,
  PaymentLinkCreateParams,
  Payout,
  PayoutCreateParams,
  Refund,
  RefundCreateParams,
  RefundListFilters,
  ReportRange,
  SandboxFaucetParams,
  SandboxPayer,
  SandboxPayParams,
  WebhookCreateParams,
  WebhookEndpoint,
  WebhookEvent,
  WebhookRotateParams,
  WebhookUpdateParams,
} from './types.js';

/** Pages through a list endpoint. A node that hands back a cursor it already gave would loop forever; that throws. */
export async function* paginate<T, F extends PageParams>(
  page: (filters: F) => Promise<List<T>>,
  filters: F,
): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let current = filters;
  for (;;) {
    const { items, next_cursor } = await page(current);
    yield* items;
    if (next_cursor === null || next_cursor === undefined || next_cursor === '') return;
    if (seen.has(next_cursor)) throw new Error(`The node returned the cursor ${next_cursor} twice; stopping.`);
    seen.add(next_cursor);
    current = { ...filters, cursor: next_cursor };
  }
}

/** Invoices: what the buyer pays. Scopes `invoices:read` / `invoices:write`. */
export class Invoices {
  readonly #http: Transport;
  constructor(http: Transport) {
    this.#http = http;
  }

  /**
   * Creates an invoice; send the buyer to its `checkout_url`.
   *
   * @example
   * const invoice = await ww.invoices.create({ amount: '12.50', currency: 'USD', order_id: 'order-42' });
   * res.redirect(303, invoice.checkout_url);
   */
  async create(params: InvoiceCreateParams, options?: RequestOptions): Promise<Invoice> {
    return this.#http.json({ method: 'POST', path: '/v1/invoices', body: params, ...opts(options) });
  }

  /**
   * Fetches an invoice, with a receipt on each confirmed payment.
   *
   * @example
   * const { status } = await ww.invoices.retrieve('inv_…');
   */
  async retrieve(id: string): Promise<Invoice> {
    return this.#http.json({ method: 'GET', path: path`/v1/invoices/${id}` });
  }

  /**
   * One page of invoices, newest first.
   *
   * @example
   * const { items, next_cursor } = await ww.invoices.list({ status: 'Settled', limit: 50 });
   */
  async list(filters: InvoiceListFilters = {}): Promise<List<Invoice>> {
    return this.#http.json({ method: 'GET', path: '/v1/invoices', query: { ...filters } });
  }

  /**
   * Every matching invoice, fetching pages as the loop goes.
   *
   * @example
   * for await (const invoice of ww.invoices.listAll({ created_from: new Date('2025-01-01') })) console.log(invoice.id);
   */
  listAll(filters: InvoiceListFilters = {}): AsyncGenerator<Invoice, void, undefined> {
    return paginate((f) => this.list(f), filters);
  }

  /**
   * Settles or invalidates an invoice by hand (New, Processing or Expired only).
   *
   * @example
   * await ww.invoices.mark('inv_…', 'Invalid');
   */
  async mark(id: string, status: InvoiceMarkStatus, options?: RequestOptions): Promise<Invoice> {
    return this.#http.json({ method: 'POST', path: path`/v1/invoices/${id}/mark`, body: { status }, ...opts(options) });
  }
}

/** Refunds to the account that paid an invoice. Scope `refunds`. */
export class Refunds {
  readonly #http: Transport;
  constructor(http: Transport) {
    this.#http = http;
  }

  /**
   * Refunds an invoice, all that is refundable unless `amount` is given.
   *
   * @example
   * const refund = await ww.refunds.create({ invoice_id: 'inv_…', amount: '5.00', reason: 'damaged' });
   */
  async create(params: RefundCreateParams, options?: RequestOptions): Promise<Refund> {
    return this.#http.json({ method: 'POST', path: '/v1/refunds', body: params, ...opts(options) });
  }

  /** @example const refund = await ww.refunds.retrieve('re_…'); */
  async retrieve(id: string): Promise<Refund> {
    return this.#http.json({ method: 'GET', path: path`/v1/refunds/${id}` });
  }

  /** @example const { items } = await ww.refunds.list({ invoice_id: 'inv_…' }); */
  async list(filters: RefundListFilters = {}): Promise<List<Refund>> {
    return this.#http.json({ method: 'GET', path: '/v1/refunds', query: { ...filters } });
  }

  /** @example for await (const refund of ww.refunds.listAll()) total += Number(refund.amount); */
  listAll(filters: RefundListFilters = {}): AsyncGenerator<Refund, void, undefined> {
    return paginate((f) => this.list(f), filters);
  }
}

/** Payouts from the store's balance to any account. Scope `payouts`. */
export class Payouts {
  readonly #http: Transport;
  constructor(http: Transport) {
    this.#http = http;
  }

  /**
   * Pays out; refused with `insufficient_funds` when the available balance is short.
   *
   * @example
   * await ww.payouts.create({ amount: '100.00', currency: 'USD', destination: 'acc_…' });
   */
  async create(params: PayoutCreateParams, options?: RequestOptions): Promise<Payout> {
    return this.#http.json({ method: 'POST', path: '/v1/payouts', body: params, ...opts(options) });
  }

  /** @example const payout = await ww.payouts.retrieve('po_…'); */
  async retrieve(id: string): Promise<Payout> {
    return this.#http.json({ method: 'GET', path: path`/v1/payouts/${id}` });
  }

  /** @example const { items } = await ww.payouts.list({ limit: 20 }); */
  async list(filters: PageParams = {}): Promise<List<Payout>> {
    return this.#http.json({ method: 'GET', path: '/v1/payouts', query: { ...filters } });
  }

  /** @example for await (const payout of ww.payouts.listAll()) console.log(payout.status); */
  listAll(filters: PageParams = {}): AsyncGenerator<Payout, void, undefined> {
    return paginate((f) => this.list(f), filters);
  }
}

/** The store's balance in this key's mode. Scope `invoices:read`. */
export class BalanceResource {
  readonly #http: Transport;
  constructor(http: Transport) {
    this.#http = http;
  }

  /** @example const { balances } = await ww.balance.retrieve(); */
  async retrieve(): Promise<Balance> {
    return this.#http.json({ method: 'GET', path: '/v1/balance' });
  }
}

/** Webhook endpoints and their deliveries. Scope `webhooks`. */
export class Webhooks {
  readonly #http: Transport;
  constructor(http: Transport) {
    this.#http = http;
  }

  /**
   * Registers an endpoint. Store the returned `secret`: it is shown only once.
   *
   * @example
   * const { id, secret } = await ww.webhooks.create({ url: 'https://shop.example/ww', events: ['invoice.settled'] });
   */
  async create(params: WebhookCreateParams, options?: RequestOptions): Promise<CreatedWebhookEndpoint> {
    return this.#http.json({ method: 'POST', path: '/v1/webhooks', body: params, ...opts(options) });
  }

  /** @example const endpoint = await ww.webhooks.retrieve('we_…'); */
  async retrieve(id: string): Promise<WebhookEndpoint> {
    return this.#http.json({ method: 'GET', path: path`/v1/webhooks/${id}` });
  }

  /** @example const { items } = await ww.webhooks.list(); */
  async list(filters: PageParams = {}): Promise<List<WebhookEndpoint>> {
    return this.#http.json({ method: 'GET', path: '/v1/webhooks', query: { ...filters } });
  }

  /** @example await ww.webhooks.update('we_…', { enabled: false }); */
  async update(id: string, params: WebhookUpdateParams): Promise<WebhookEndpoint> {
    return this.#http.json({ method: 'PATCH', path: path`/v1/webhooks/${id}`, body: params });
  }

  /** Deletes an endpoint; its pending deliveries stop. @example await ww.webhooks.delete('we_…'); */
  async delete(id: string): Promise<WebhookEndpoint> {
    return this.#http.json({ method: 'DELETE', path: path`/v1/webhooks/${id}` });
  }

  /**
   * Issues a new secret; the old one keeps signing (as a second `v1`) for `previous_valid_s`.
   *
   * @example
   * const { secret } = await ww.webhooks.rotateSecret('we_…', { previous_valid_s: 3600 });
   */
  async rotateSecret(
    id: string,
    params: WebhookRotateParams = {},
    options?: RequestOptions,
  ): Promise<{ secret: string }> {
    return this.#http.json({
      method: 'POST',
      path: path`/v1/webhooks/${id}/rotate-secret`,
      body: params,
      ...opts(options),
    });
  }

  /** @example const { items } = await ww.webhooks.deliveries('we_…'); */
  async deliveries(id: string, filters: PageParams = {}): Promise<List<Delivery>> {
    return this.#http.json({ method: 'GET', path: path`/v1/webhooks/${id}/deliveries`, query: { ...filters } });
  }

  /** @example await ww.webhooks.redeliver('we_…', 'whd_…'); */
  async redeliver(id: string, deliveryId: string, options?: RequestOptions): Promise<Delivery> {
    const url = path`/v1/webhooks/${id}/deliveries/${deliveryId}/redeliver`;
    return this.#http.json({ method: 'POST', path: url, ...opts(options) });
  }
}

/** Reusable links that create an invoice per visit. Scope `invoices:write` (list: `invoices:read`). */
export class PaymentLinks {
  readonly #http: Transport;
  constructor(http: Transport) {
    this.#http = http;
  }

  /**
   * @example
   * const { url } = await ww.paymentLinks.create({ currency: 'USD', amount: '5.00', description: 'Coffee' });
   */
  async create(params: PaymentLinkCreateParams, options?: RequestOptions): Promise<PaymentLink> {
    return this.#http.json({ method: 'POST', path: '/v1/payment-links', body: params, ...opts(options) });
  }

  /** @example const { items } = await ww.paymentLinks.list(); */
  async list(filters: PageParams = {}): Promise<List<PaymentLink>> {
    return this.#http.json({ method: 'GET', path: '/v1/payment-links', query: { ...filters } });
  }

  /** @example await ww.paymentLinks.deactivate('pl_…'); */
  async deactivate(id: string): Promise<PaymentLink> {
    return this.#http.json({ method: 'DELETE', path: path`/v1/payment-links/${id}` });
  }
}

/** The events webhooks deliver, for polling or catching up. Scope `invoices:read`. */
export class Events {
  readonly #http: Transport;
  constructor(http: Transport) {
    this.#http = http;
  }

  /** @example const event = await ww.events.retrieve('evt_…'); */
  async retrieve(id: string): Promise<WebhookEvent> {
    return this.#http.json({ method: 'GET', path: path`/v1/events/${id}` });
  }

  /** @example const { items } = await ww.events.list({ type: 'invoice.settled' }); */
  async list(filters: EventListFilters = {}): Promise<List<WebhookEvent>> {
    return this.#http.json({ method: 'GET', path: '/v1/events', query: { ...filters } });
  }

  /** @example for await (const event of ww.events.listAll({ type: 'refund.failed' })) alert(event.id); */
  listAll(filters: EventListFilters = {}): AsyncGenerator<WebhookEvent, void, undefined> {
    return paginate((f) => this.list(f), filters);
  }
}

/** API keys of this key's store and mode. Scope `keys`. */
export class Keys {
  readonly #http: Transport;
  constructor(http: Transport) {
    this.#http = http;
  }

  /**
   * Creates a key with at most the caller's scopes. The `secret` is shown only once.
   *
   * @example
   * const { secret } = await ww.keys.create({ name: 'reporting', scopes: ['reports'] });
   */
  async create(params: KeyCreateParams, options?: RequestOptions): Promise<CreatedApiKey> {
    return this.#http.json({ method: 'POST', path: '/v1/keys', body: params, ...opts(options) });
  }

  /** @example const { items } = await ww.keys.list(); */
  async list(filters: PageParams = {}): Promise<List<ApiKey>> {
    return this.#http.json({ method: 'GET', path: '/v1/keys', query: { ...filters } });
  }

  /** @example await ww.keys.revoke('key_…'); */
  async revoke(id: string): Promise<ApiKey> {
    return this.#http.json({ method: 'DELETE', path: path`/v1/keys/${id}` });
  }
}

/** Test mode helpers: play money on the sandbox ledger. Test keys only (a live key gets `sandbox_only`). */
export class Sandbox {
  readonly #http: Transport;
  constructor(http: Transport) {
    this.#http = http;
  }

  /** The store's three funded dummy payers. @example const { items } = await ww.sandbox.payers(); */
  async payers(): Promise<{ items: SandboxPayer[] }> {
    return this.#http.json({ method: 'GET', path: '/v1/sandbox/payers' });
  }

  /**
   * Pays an invoice from a dummy payer: exactly, half (`partial`) or 10% over (`over`).
   *
   * @example
   * const { invoice } = await ww.sandbox.payInvoice('inv_…', { kind: 'partial' });
   */
  async payInvoice(
    id: string,
    params: SandboxPayParams = {},
    options?: RequestOptions,
  ): Promise<{ invoice: Invoice; transaction_id: string }> {
    return this.#http.json({
      method: 'POST',
      path: path`/v1/sandbox/invoices/${id}/pay`,
      body: params,
      ...opts(options),
    });
  }

  /** Expires an invoice now. @example await ww.sandbox.expireInvoice('inv_…'); */
  async expireInvoice(id: string, options?: RequestOptions): Promise<Invoice> {
    return this.#http.json({ method: 'POST', path: path`/v1/sandbox/invoices/${id}/expire`, ...opts(options) });
  }

  /**
   * Moves the sandbox processor's clock forward (1…2592000 s), to reach expiry or the end of a monitoring window.
   *
   * @example
   * await ww.sandbox.advanceClock(3600);
   */
  async advanceClock(seconds: number, options?: RequestOptions): Promise<{ now: string }> {
    return this.#http.json({ method: 'POST', path: '/v1/sandbox/clock/advance', body: { seconds }, ...opts(options) });
  }

  /** Funds any sandbox account. @example await ww.sandbox.faucet({ account: 'acc_…', currency: 'USD', amount: '50.00' }); */
  async faucet(params: SandboxFaucetParams, options?: RequestOptions): Promise<{ transaction_id: string }> {
    return this.#http.json({ method: 'POST', path: '/v1/sandbox/faucet', body: params, ...opts(options) });
  }
}

/** RFC 4180 CSV reports of objects created in [from, to), at most 31 days. Scope `reports`. */
export class Reports {
  readonly #http: Transport;
  constructor(http: Transport) {
    this.#http = http;
  }

  /** @example const csv = await ww.reports.invoicesCsv({ from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' }); */
  async invoicesCsv(range: ReportRange): Promise<string> {
    return this.#http.text({
      method: 'GET',
      path: '/v1/reports/invoices.csv',
      query: { from: range.from, to: range.to },
    });
  }

  /** @example const csv = await ww.reports.paymentsCsv({ from: new Date(Date.now() - 86_400_000), to: new Date() }); */
  async paymentsCsv(range: ReportRange): Promise<string> {
    return this.#http.text({
      method: 'GET',
      path: '/v1/reports/payments.csv',
      query: { from: range.from, to: range.to },
    });
  }
}

/** Only sets `options` when given: exactOptionalPropertyTypes forbids an explicit undefined. */
function opts(options: RequestOptions | undefined): { options?: RequestOptions } {
  return options === undefined ? {} : { options };
}
