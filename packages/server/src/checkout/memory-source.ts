import { err, ok, type Result } from '@webwallet/core';
import type { CheckoutSource, CheckoutView, PaymentLinkView } from './source.js';

type StoredInvoice = Omit<CheckoutView, 'server_time'>;

/**
 * An in-memory CheckoutSource for tests of the checkout routes and page: invoices and links are
 * plain objects that a test changes with `update`, which notifies subscribers as the real
 * processor does.
 */
export class MemoryCheckoutSource implements CheckoutSource {
  readonly invoices = new Map<string, StoredInvoice>();
  readonly links = new Map<string, PaymentLinkView>();
  readonly paid: { invoiceId: string; document: unknown }[] = [];
  /** Added to the real clock for server_time: simulates a buyer whose clock is wrong. */
  clockSkewMs = 0;
  private readonly listeners = new Map<string, Set<(view: CheckoutView) => void>>();
  private counter = 0;

  addInvoice(fields: Partial<StoredInvoice> = {}): CheckoutView {
    const id = fields.id ?? `inv_test${++this.counter}`;
    const amount = fields.amount ?? '12.50';
    const currency = fields.currency ?? 'USD';
    const invoice: StoredInvoice = {
      id,
      mode: 'test',
      status: 'New',
      additional_status: 'None',
      amount,
      currency,
      amount_paid: '0.00',
      amount_due: amount,
      merchant_name: 'Acme Books',
      description: 'Two paperbacks',
      expires_at: new Date(Date.now() + this.clockSkewMs + 15 * 60_000).toISOString(),
      payment_uri: paymentUri(id, amount, currency),
      redirect_url: null,
      ...fields,
    };
    this.invoices.set(id, invoice);
    return this.stamp(invoice);
  }

  addLink(fields: Partial<PaymentLinkView> & { id: string }): PaymentLinkView {
    const link: PaymentLinkView = {
      mode: 'test',
      merchant_name: 'Acme Books',
      currency: 'USD',
      amount: null,
      amount_min: null,
      amount_max: null,
      description: null,
      active: true,
      ...fields,
    };
    this.links.set(link.id, link);
    return link;
  }

  /** Changes an invoice and tells its subscribers, as the processor does after each change. */
  update(id: string, changes: Partial<StoredInvoice>): CheckoutView {
    const current = this.invoices.get(id);
    if (!current) throw new Error(`no invoice ${id}`);
    const next = { ...current, ...changes };
    this.invoices.set(id, next);
    const view = this.stamp(next);
    for (const listener of this.listeners.get(id) ?? []) listener(view);
    return view;
  }

  listenerCount(id: string): number {
    return this.listeners.get(id)?.size ?? 0;
  }

  async view(invoiceId: string): Promise<CheckoutView | undefined> {
    const invoice = this.invoices.get(invoiceId);
    return invoice && this.stamp(invoice);
  }

  subscribe(invoiceId: string, listener: (view: CheckoutView) => void): () => void {
    const set = this.listeners.get(invoiceId) ?? new Set();
    this.listeners.set(invoiceId, set);
    const entry = (view: CheckoutView) => listener(view);
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0) this.listeners.delete(invoiceId);
    };
  }

  async pay(invoiceId: string, document: unknown): Promise<Result<{ transaction_id: string }>> {
    const invoice = this.invoices.get(invoiceId);
    if (!invoice) return err('invoice_not_found', { id: invoiceId });
    if (invoice.status !== 'New') return err('invoice_state_invalid', { status: invoice.status });
    this.paid.push({ invoiceId, document });
    this.update(invoiceId, { status: 'Settled', amount_paid: invoice.amount, amount_due: '0.00' });
    return ok({ transaction_id: `tx_${this.paid.length}` });
  }

  async sandboxPay(invoiceId: string): Promise<Result<{ transaction_id: string }>> {
    const invoice = this.invoices.get(invoiceId);
    if (!invoice) return err('invoice_not_found', { id: invoiceId });
    if (invoice.mode !== 'test') return err('sandbox_only', { id: invoiceId });
    return this.pay(invoiceId, { sandbox: true });
  }

  async paymentLink(linkId: string): Promise<PaymentLinkView | undefined> {
    return this.links.get(linkId);
  }

  async invoiceFromLink(linkId: string, amount: string | undefined): Promise<Result<{ invoice_id: string }>> {
    const link = this.links.get(linkId);
    if (!link?.active) return err('payment_link_not_found', { id: linkId });
    const value = link.amount ?? amount;
    if (value === undefined) return err('invalid_request', { reason: 'amount missing' });
    if (/\.[0-9]{3,}$/.test(value)) return err('amount_too_precise', { value, scale: 2 });
    const invoice = this.addInvoice({
      amount: value,
      currency: link.currency,
      merchant_name: link.merchant_name,
      description: link.description,
      mode: link.mode,
    });
    return ok({ invoice_id: invoice.id });
  }

  private stamp(invoice: StoredInvoice): CheckoutView {
    return { ...invoice, server_time: new Date(Date.now() + this.clockSkewMs).toISOString() };
  }
}

/** A payment URI as docs/processor.md describes it. */
export function paymentUri(invoiceId: string, amount: string, currency: string): string {
  const query = new URLSearchParams({
    node: 'http://127.0.0.1:8080',
    invoice: invoiceId,
    to: 'acc_store',
    amount,
    currency,
    memo: invoiceId,
  });
  return `web+webwallet:pay?${query}`;
}
