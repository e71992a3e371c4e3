import { formatAmount, parseAmount, WebWalletError } from '@webwallet/core';
import { type SqlDb, type SqlExecutor, WriteConflict } from './db/sql.js';
import { emitEvent, pageOfRows } from './events.js';
import { evaluate, transitionEvents } from './invoice-state.js';
import type { LedgerOps } from './ledger-ops.js';
import {
  type Confirmation,
  type EventType,
  type InvoiceRow,
  type InvoiceStatus,
  iso,
  isoOrNull,
  type Mode,
  newId,
  type PaymentRow,
  type StoreSettings,
} from './model.js';

export const EXPIRES_IN_S_DEFAULT = 900;
/** Sweeps look at this many due invoices at a time. */
const SWEEP_BATCH = 200;

/** What one mode (live or sandbox) of the processor works with. */
export interface ModeContext {
  readonly mode: Mode;
  readonly db: SqlDb;
  readonly ops: LedgerOps;
  /** The mode's clock: real time for live, real time plus the advance for the sandbox. */
  clock(): number;
  readonly monitoring_ms: number;
  /** Base URL of the node's public pages, for checkout_url and the payment URI. */
  baseUrl(): string;
  /** After a commit: an invoice changed (checkout pages listen), events were written (webhooks). */
  invoiceChanged(id: string): void;
  eventsWritten(): void;
  /** Makes sure a currency exists on this mode's ledger (the sandbox issues on demand). */
  currency(code: string): Promise<{ scale: number } | WebWalletError>;
}

export interface StoreInfo {
  readonly id: string;
  readonly merchant_name: string;
  readonly live_account: string;
  readonly test_account: string;
  readonly settings: StoreSettings;
}

export interface CreateInvoiceInput {
  readonly amount: string;
  readonly currency: string;
  readonly order_id?: string | undefined;
  readonly description?: string | undefined;
  readonly metadata?: Record<string, unknown> | undefined;
  readonly redirect_url?: string | undefined;
  readonly expires_in_s?: number | undefined;
  readonly payment_tolerance_pct?: number | undefined;
  readonly link_id?: string | undefined;
}

/** `web+webwallet:pay?…`: everything a wallet needs to pay, percent-encoded. */
export function paymentUri(base: string, invoice: InvoiceRow): string {
  const due = BigInt(invoice.amount) - BigInt(invoice.paid);
  const params = new URLSearchParams({
    // A test invoice is paid on the sandbox ledger, whose public API lives under /sandbox.
    node: invoice.mode === 'test' ? `${base}/sandbox` : base,
    invoice: invoice.id,
    to: invoice.payee,
    amount: formatAmount(due > 0n ? due : 0n, invoice.scale),
    currency: invoice.currency,
    memo: invoice.id,
  });
  return `web+webwallet:pay?${params.toString()}`;
}

export function paymentView(p: PaymentRow, scale: number, receipt: unknown = null) {
  return {
    id: p.id,
    rail: p.rail,
    transaction_id: p.transaction_id,
    from: p.payer,
    amount: formatAmount(BigInt(p.amount), scale),
    currency: p.currency,
    status: p.status,
    late: p.late === 1,
    counted: p.counted === 1,
    received_at: iso(p.received_at_ms),
    confirmed_at: isoOrNull(p.confirmed_at_ms),
    block_height: p.block_height,
    receipt,
  };
}

export type InvoiceView = ReturnType<typeof invoiceView>;

export function invoiceView(base: string, row: InvoiceRow, payments: readonly ReturnType<typeof paymentView>[]) {
  const amount = BigInt(row.amount);
  const paid = BigInt(row.paid);
  return {
    id: row.id,
    object: 'invoice' as const,
    mode: row.mode,
    store_id: row.store_id,
    status: row.status,
    additional_status: row.additional_status,
    amount: formatAmount(amount, row.scale),
    currency: row.currency,
    amount_paid: formatAmount(paid, row.scale),
    amount_due: formatAmount(amount > paid ? amount - paid : 0n, row.scale),
    amount_refunded: formatAmount(BigInt(row.refunded), row.scale),
    order_id: row.order_id,
    description: row.description,
    metadata: JSON.parse(row.metadata_json) as Record<string, unknown>,
    redirect_url: row.redirect_url,
    payment_tolerance_pct: row.tolerance_pct,
    payee: row.payee,
    payment_uri: paymentUri(base, row),
    checkout_url: `${base}/i/${row.id}`,
    payment_link_id: row.link_id,
    created_at: iso(row.created_at_ms),
    expires_at: iso(row.expires_at_ms),
    monitoring_until: iso(row.monitoring_until_ms),
    settled_at: isoOrNull(row.settled_at_ms),
    payments,
  };
}

/** How final payments of this invoice must be: the first matching tier, else sealed. */
export function confirmationFor(
  settings: StoreSettings,
  currency: string,
  amount: bigint,
  scale: number,
): Confirmation {
  for (const tier of settings.confirmation_tiers) {
    if (tier.currency !== currency) continue;
    const max = parseAmount(tier.amount_max, scale);
    if (max.ok && amount <= max.value) return tier.confirmation;
  }
  return 'sealed';
}

export async function loadPayments(db: Pick<SqlDb, 'all'>, invoiceId: string): Promise<PaymentRow[]> {
  return db.all<PaymentRow>('SELECT * FROM payments WHERE invoice_id = ? ORDER BY received_at_ms, id', [invoiceId]);
}

/**
 * Recomputes an invoice from its payments, writes the change if any (optimistically: a
 * concurrent writer makes the whole transaction rerun) and emits the events it causes.
 */
export async function reevaluate(
  tx: SqlExecutor,
  ctx: ModeContext,
  invoice: InvoiceRow,
  now_ms: number,
  before: readonly { type: EventType; data: (view: InvoiceView) => Record<string, unknown> }[] = [],
): Promise<InvoiceRow> {
  const payments = await loadPayments(tx, invoice.id);
  const state = evaluate(invoice, payments, now_ms);
  const next: InvoiceRow = {
    ...invoice,
    status: state.status,
    additional_status: state.additional_status,
    paid: state.paid.toString(),
    settled_at_ms: state.settled_at_ms,
    version: invoice.version + 1,
  };
  const changed =
    next.status !== invoice.status ||
    next.additional_status !== invoice.additional_status ||
    next.paid !== invoice.paid ||
    before.length > 0;
  if (!changed) return invoice;
  await updateInvoice(tx, invoice, next);
  const view = invoiceView(
    ctx.baseUrl(),
    next,
    payments.map((p) => paymentView(p, invoice.scale)),
  );
  const events = before.map((e) => ({ type: e.type, data: e.data(view) }));
  for (const type of transitionEvents(invoice.status, next.status)) events.push({ type, data: { invoice: view } });
  for (const event of events) {
    await emitEvent(tx, {
      store_id: invoice.store_id,
      mode: invoice.mode,
      type: event.type,
      data: event.data,
      created_at_ms: now_ms,
    });
  }
  return next;
}

export async function updateInvoice(tx: SqlExecutor, before: InvoiceRow, next: InvoiceRow): Promise<void> {
  const changed = await tx.run(
    `UPDATE invoices SET status = ?, additional_status = ?, paid = ?, refunded = ?, settled_at_ms = ?,
       expires_at_ms = ?, monitoring_until_ms = ?, version = ? WHERE id = ? AND version = ?`,
    [
      next.status,
      next.additional_status,
      next.paid,
      next.refunded,
      next.settled_at_ms,
      next.expires_at_ms,
      next.monitoring_until_ms,
      before.version + 1,
      before.id,
      before.version,
    ],
  );
  if (changed !== 1) throw new WriteConflict(`invoice ${before.id} changed concurrently`);
}

const MARKABLE: readonly InvoiceStatus[] = ['New', 'Processing', 'Expired'];

/** Invoices of one mode: create, read, list, mark, expire. */
export class Invoices {
  constructor(
    private readonly ctx: ModeContext,
    private readonly store: (id: string) => Promise<StoreInfo | undefined>,
  ) {}

  private get db(): SqlDb {
    return this.ctx.db;
  }

  async create(storeId: string, input: CreateInvoiceInput): Promise<InvoiceView | WebWalletError> {
    const currency = await this.ctx.currency(input.currency);
    if (currency instanceof WebWalletError) return currency;
    const amount = parseAmount(input.amount, currency.scale);
    if (!amount.ok) return amount.error;
    if (amount.value <= 0n) return new WebWalletError('amount_not_positive', { amount: input.amount });
    const store = await this.store(storeId);
    if (!store) return new WebWalletError('store_not_found', { id: storeId });
    const payee = this.ctx.mode === 'live' ? store.live_account : store.test_account;
    await this.ctx.ops.ensureTrust(payee, input.currency);
    const now = this.ctx.clock();
    const expires = now + (input.expires_in_s ?? EXPIRES_IN_S_DEFAULT) * 1000;
    const row: InvoiceRow = {
      id: newId('inv'),
      store_id: storeId,
      mode: this.ctx.mode,
      status: 'New',
      additional_status: 'None',
      amount: amount.value.toString(),
      currency: input.currency,
      scale: currency.scale,
      paid: '0',
      refunded: '0',
      tolerance_pct: input.payment_tolerance_pct ?? 0,
      order_id: input.order_id ?? null,
      description: input.description ?? null,
      metadata_json: JSON.stringify(input.metadata ?? {}),
      redirect_url: input.redirect_url ?? null,
      payee,
      confirmation: confirmationFor(store.settings, input.currency, amount.value, currency.scale),
      created_at_ms: now,
      expires_at_ms: expires,
      monitoring_until_ms: expires + this.ctx.monitoring_ms,
      settled_at_ms: null,
      link_id: input.link_id ?? null,
      version: 0,
    };
    const view = invoiceView(this.ctx.baseUrl(), row, []);
    await this.db.transaction(async (tx) => {
      await insertInvoice(tx, row);
      await emitEvent(tx, {
        store_id: storeId,
        mode: row.mode,
        type: 'invoice.created',
        data: { invoice: view },
        created_at_ms: now,
      });
    });
    this.ctx.eventsWritten();
    return view;
  }

  async row(storeId: string, id: string): Promise<InvoiceRow | undefined> {
    return this.db.get<InvoiceRow>('SELECT * FROM invoices WHERE id = ? AND store_id = ? AND mode = ?', [
      id,
      storeId,
      this.ctx.mode,
    ]);
  }

  /** The invoice with its payments; confirmed payments carry their ledger receipt. */
  async get(storeId: string, id: string): Promise<InvoiceView | WebWalletError> {
    const row = await this.row(storeId, id);
    if (!row) return new WebWalletError('invoice_not_found', { id });
    return this.view(row, true);
  }

  async view(row: InvoiceRow, receipts: boolean): Promise<InvoiceView> {
    const payments = await loadPayments(this.db, row.id);
    const views = await Promise.all(
      payments.map(async (p) =>
        paymentView(
          p,
          row.scale,
          receipts && p.status === 'confirmed' ? ((await this.ctx.ops.ledger.receipt(p.transaction_id)) ?? null) : null,
        ),
      ),
    );
    return invoiceView(this.ctx.baseUrl(), row, views);
  }

  async list(
    storeId: string,
    query: {
      status?: InvoiceStatus | undefined;
      order_id?: string | undefined;
      created_from?: string | undefined;
      created_to?: string | undefined;
      cursor?: string | undefined;
      limit: number;
    },
  ) {
    const filters: [string, string | number | undefined][] = [
      ['status = ?', query.status],
      ['order_id = ?', query.order_id],
      ['created_at_ms >= ?', query.created_from === undefined ? undefined : Date.parse(query.created_from)],
      ['created_at_ms < ?', query.created_to === undefined ? undefined : Date.parse(query.created_to)],
      ['id < ?', query.cursor],
    ];
    const used = filters.filter(([, value]) => value !== undefined && value !== '');
    const where = ['store_id = ?', 'mode = ?', ...used.map(([sql]) => sql)];
    const params = [storeId, this.ctx.mode, ...used.map(([, value]) => value as string | number)];
    const rows = await this.db.all<InvoiceRow>(
      `SELECT * FROM invoices WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      [...params, query.limit + 1],
    );
    const page = pageOfRows(rows, query.limit);
    return { items: await Promise.all(page.items.map((r) => this.view(r, false))), next_cursor: page.next_cursor };
  }

  /** The merchant settles or invalidates an invoice by hand (BTCPay's "mark"). */
  async mark(storeId: string, id: string, status: 'Settled' | 'Invalid'): Promise<InvoiceView | WebWalletError> {
    const result = await this.db.transaction(async (tx) => {
      const row = await tx.get<InvoiceRow>('SELECT * FROM invoices WHERE id = ? AND store_id = ? AND mode = ?', [
        id,
        storeId,
        this.ctx.mode,
      ]);
      if (!row) return new WebWalletError('invoice_not_found', { id });
      if (!MARKABLE.includes(row.status)) {
        return new WebWalletError('invoice_state_invalid', { status: row.status, allowed: MARKABLE });
      }
      const now = this.ctx.clock();
      const next: InvoiceRow = {
        ...row,
        status,
        additional_status: 'Marked',
        settled_at_ms: status === 'Settled' ? now : null,
        version: row.version + 1,
      };
      await updateInvoice(tx, row, next);
      const view = invoiceView(
        this.ctx.baseUrl(),
        next,
        (await loadPayments(tx, id)).map((p) => paymentView(p, row.scale)),
      );
      const type: EventType = status === 'Settled' ? 'invoice.settled' : 'invoice.invalid';
      await emitEvent(tx, { store_id: storeId, mode: row.mode, type, data: { invoice: view }, created_at_ms: now });
      return next;
    });
    if (result instanceof WebWalletError) return result;
    this.changed(id);
    return this.view(result, true);
  }

  /** Sandbox: the invoice expires now (its monitoring window starts now). */
  async expireNow(storeId: string, id: string): Promise<InvoiceView | WebWalletError> {
    const result = await this.db.transaction(async (tx) => {
      const row = await tx.get<InvoiceRow>('SELECT * FROM invoices WHERE id = ? AND store_id = ? AND mode = ?', [
        id,
        storeId,
        this.ctx.mode,
      ]);
      if (!row) return new WebWalletError('invoice_not_found', { id });
      if (row.status !== 'New')
        return new WebWalletError('invoice_state_invalid', { status: row.status, allowed: ['New'] });
      const now = this.ctx.clock();
      const moved: InvoiceRow = {
        ...row,
        expires_at_ms: now,
        monitoring_until_ms: now + this.ctx.monitoring_ms,
        version: row.version + 1,
      };
      await updateInvoice(tx, row, moved);
      return reevaluate(tx, this.ctx, moved, now);
    });
    if (result instanceof WebWalletError) return result;
    this.changed(id);
    return this.view(result, true);
  }

  /** Moves every New invoice past its expiry to Expired; returns how many. */
  async sweepExpired(): Promise<number> {
    const now = this.ctx.clock();
    const due = await this.db.all<{ id: string }>(
      `SELECT id FROM invoices WHERE mode = ? AND status = 'New' AND expires_at_ms <= ? ORDER BY expires_at_ms LIMIT ?`,
      [this.ctx.mode, now, SWEEP_BATCH],
    );
    for (const { id } of due) {
      await this.db.transaction(async (tx) => {
        const row = await tx.get<InvoiceRow>('SELECT * FROM invoices WHERE id = ?', [id]);
        if (row?.status === 'New') await reevaluate(tx, this.ctx, row, now);
      });
      this.ctx.invoiceChanged(id);
    }
    if (due.length > 0) this.ctx.eventsWritten();
    return due.length;
  }

  private changed(id: string): void {
    this.ctx.invoiceChanged(id);
    this.ctx.eventsWritten();
  }
}

export async function insertInvoice(tx: SqlExecutor, row: InvoiceRow): Promise<void> {
  await tx.run(
    `INSERT INTO invoices (id, store_id, mode, status, additional_status, amount, currency, scale, paid, refunded,
       tolerance_pct, order_id, description, metadata_json, redirect_url, payee, confirmation, created_at_ms,
       expires_at_ms, monitoring_until_ms, settled_at_ms, link_id, version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.store_id,
      row.mode,
      row.status,
      row.additional_status,
      row.amount,
      row.currency,
      row.scale,
      row.paid,
      row.refunded,
      row.tolerance_pct,
      row.order_id,
      row.description,
      row.metadata_json,
      row.redirect_url,
      row.payee,
      row.confirmation,
      row.created_at_ms,
      row.expires_at_ms,
      row.monitoring_until_ms,
      row.settled_at_ms,
      row.link_id,
      row.version,
    ],
  );
}
