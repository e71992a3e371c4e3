import { err, formatAmount, ok, parseAmount, type Result, WebWalletError } from '@webwallet/core';
import type { Ledger } from '@webwallet/ledger';
import type { CheckoutSource, CheckoutView, PaymentLinkView } from '../checkout/source.js';
import { type WebhookLogger, WebhookWorker } from '../webhooks/worker.js';
import { PaymentConsumer } from './consumer.js';
import type { SqlDb } from './db/sql.js';
import { DbDeliveryQueue, pageOfRows, WebhookEndpoints } from './events.js';
import { Invoices, type ModeContext, type StoreInfo } from './invoices.js';
import { LedgerOps } from './ledger-ops.js';
import { Merchants } from './merchants.js';
import { type InvoiceRow, MODES, type Mode, newId, type StoreSettings } from './model.js';
import { MoneyOut } from './money-out.js';
import { Sandbox } from './sandbox.js';

export interface ProcessorOptions {
  readonly db: SqlDb;
  readonly ledgers: Readonly<Record<Mode, Ledger>>;
  /** Public base URL of the node (checkout links, payment URIs). */
  readonly baseUrl: () => string;
  /** How long an expired invoice still accepts a late payment. */
  readonly monitoring_ms: number;
  readonly webhook_allow_private: boolean;
  readonly webhook_retry_base_ms: number;
  /** How often New invoices past their expiry are moved to Expired. */
  readonly expiry_sweep_ms: number;
  readonly logger: WebhookLogger;
}

export interface ModeParts {
  readonly ctx: ModeContext;
  readonly invoices: Invoices;
  readonly money: MoneyOut;
  readonly consumer: PaymentConsumer;
}

const STORE_CACHE_TTL_MS = 5_000;
/** Most payment links a store may keep per mode. */
export const PAYMENT_LINKS_MAX = 1_000;

interface LinkRow {
  id: string;
  store_id: string;
  mode: Mode;
  currency: string;
  amount: string | null;
  amount_min: string | null;
  amount_max: string | null;
  description: string | null;
  redirect_url: string | null;
  expires_in_s: number;
  active: number;
  created_at_ms: number;
}

/**
 * The payment processor: merchants and keys, invoices on both modes (live on the node's ledger,
 * test on the sandbox ledger), payments followed from each ledger's log, refunds and payouts,
 * webhooks, payment links and the hosted checkout's data.
 */
export class Processor {
  readonly merchants: Merchants;
  readonly webhooks: WebhookEndpoints;
  readonly sandbox: Sandbox;
  readonly modes: Readonly<Record<Mode, ModeParts>>;
  private readonly worker: WebhookWorker;
  private readonly listeners = new Map<string, Set<(view: CheckoutView) => void>>();
  private readonly stores = new Map<string, { info: StoreInfo; at_ms: number }>();
  private sweeper: ReturnType<typeof setInterval> | undefined;

  private constructor(readonly options: ProcessorOptions) {
    const ops = { live: new LedgerOps(options.ledgers.live), test: new LedgerOps(options.ledgers.test) };
    this.sandbox = new Sandbox(ops.test);
    this.merchants = new Merchants(options.db, ops);
    this.worker = new WebhookWorker({
      queue: new DbDeliveryQueue(options.db),
      allow_private: options.webhook_allow_private,
      retry_base_ms: options.webhook_retry_base_ms,
      logger: options.logger,
    });
    this.webhooks = new WebhookEndpoints(options.db, options.webhook_allow_private, () => this.worker.wake());
    const parts = (mode: Mode): ModeParts => {
      const ctx: ModeContext = {
        mode,
        db: options.db,
        ops: ops[mode],
        clock: mode === 'test' ? () => this.sandbox.clock() : Date.now,
        monitoring_ms: options.monitoring_ms,
        baseUrl: options.baseUrl,
        invoiceChanged: (id) => this.publish(id),
        eventsWritten: () => this.worker.wake(),
        currency: async (code) => {
          if (mode === 'test') return this.sandbox.ensureCurrency(code);
          const currency = ops.live.ledger.currency(code);
          return currency ? { scale: currency.scale } : new WebWalletError('currency_not_found', { currency: code });
        },
      };
      const consumer = new PaymentConsumer(ctx, (error) =>
        options.logger.error({ err: error, mode }, 'payment consumer failed'),
      );
      return {
        ctx,
        invoices: new Invoices(ctx, (id) => this.store(id)),
        money: new MoneyOut(ctx, async (id) => {
          const store = await this.store(id);
          return mode === 'live' ? store?.live_account : store?.test_account;
        }),
        consumer,
      };
    };
    this.modes = { live: parts('live'), test: parts('test') };
  }

  static async open(options: ProcessorOptions): Promise<Processor> {
    const processor = new Processor(options);
    await processor.sandbox.start();
    for (const mode of MODES) {
      const { consumer, money } = processor.modes[mode];
      consumer.start();
      await consumer.catchUp();
      await money.resume();
    }
    processor.worker.start();
    processor.sweeper = setInterval(() => void processor.sweep(), options.expiry_sweep_ms);
    processor.sweeper.unref();
    return processor;
  }

  /** Sign-up, plus the store's sandbox payers. */
  async createMerchant(name: string) {
    const created = await this.merchants.create(name);
    await this.sandbox.setUpStore(created.store.id);
    return created;
  }

  async store(id: string): Promise<StoreInfo | undefined> {
    const cached = this.stores.get(id);
    if (cached && Date.now() - cached.at_ms < STORE_CACHE_TTL_MS) return cached.info;
    const row = await this.merchants.store(id);
    if (!row) return undefined;
    const info: StoreInfo = {
      id: row.id,
      merchant_name: row.merchant_name,
      live_account: row.live_account,
      test_account: row.test_account,
      settings: JSON.parse(row.settings_json) as StoreSettings,
    };
    this.stores.set(id, { info, at_ms: Date.now() });
    return info;
  }

  async updateSettings(storeId: string, settings: StoreSettings) {
    await this.options.db.transaction((tx) =>
      tx.run('UPDATE stores SET settings_json = ? WHERE id = ?', [JSON.stringify(settings), storeId]),
    );
    this.stores.delete(storeId);
    return this.store(storeId);
  }

  /** Runs the expiry sweep of both modes now (the sandbox clock moved, or the timer fired). */
  async sweep(): Promise<void> {
    for (const mode of MODES) {
      try {
        while ((await this.modes[mode].invoices.sweepExpired()) > 0);
      } catch (error) {
        this.options.logger.error({ err: error, mode }, 'expiry sweep failed');
      }
    }
  }

  // --- checkout -----------------------------------------------------------------------------

  private async invoiceRow(id: string): Promise<InvoiceRow | undefined> {
    return this.options.db.get<InvoiceRow>('SELECT * FROM invoices WHERE id = ?', [id]);
  }

  async checkoutView(id: string): Promise<CheckoutView | undefined> {
    const row = await this.invoiceRow(id);
    if (!row) return undefined;
    const view = await this.modes[row.mode].invoices.view(row, false);
    const store = await this.store(row.store_id);
    return {
      id: row.id,
      mode: row.mode,
      status: view.status,
      additional_status: view.additional_status,
      amount: view.amount,
      currency: view.currency,
      amount_paid: view.amount_paid,
      amount_due: view.amount_due,
      merchant_name: store?.merchant_name ?? '',
      description: view.description,
      expires_at: view.expires_at,
      payment_uri: view.payment_uri,
      redirect_url: view.redirect_url,
      server_time: new Date(this.modes[row.mode].ctx.clock()).toISOString(),
    };
  }

  private publish(id: string): void {
    const listeners = this.listeners.get(id);
    if (!listeners || listeners.size === 0) return;
    void this.checkoutView(id).then((view) => {
      if (view) for (const listener of listeners) listener(view);
    });
  }

  private subscribe(id: string, listener: (view: CheckoutView) => void): () => void {
    const set = this.listeners.get(id) ?? new Set();
    this.listeners.set(id, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(id);
    };
  }

  /** A wallet's signed transfer paying an invoice, submitted through the checkout. */
  private async pay(id: string, document: unknown): Promise<Result<{ transaction_id: string }>> {
    const row = await this.invoiceRow(id);
    if (!row) return err('invoice_not_found', { id });
    const body = (document as { body?: { memo?: unknown } } | null)?.body;
    if (body?.memo !== id) {
      return err('invalid_request', {
        errors: [{ path: 'body/document/body/memo', message: `must be the invoice id ${id}` }],
      });
    }
    const parts = this.modes[row.mode];
    const [result] = await parts.ctx.ops.ledger.submit([document]);
    if (!result || result.status === 'rejected') {
      return result ? err(result.error.code, result.error.details, result.error.message) : err('internal_error');
    }
    await parts.consumer.waitFor(result.seq);
    return ok({ transaction_id: result.id });
  }

  private async sandboxPay(id: string): Promise<Result<{ transaction_id: string }>> {
    const row = await this.invoiceRow(id);
    if (!row) return err('invoice_not_found', { id });
    if (row.mode !== 'test') return err('sandbox_only', { id });
    const parts = this.modes.test;
    const paid = await this.sandbox.payInvoice(parts.invoices, row.store_id, id, { payer: 1 }, (seq) =>
      parts.consumer.waitFor(seq),
    );
    return paid instanceof WebWalletError ? { ok: false, error: paid } : ok({ transaction_id: paid.transaction_id });
  }

  // --- payment links ------------------------------------------------------------------------

  async createLink(
    storeId: string,
    mode: Mode,
    input: {
      currency: string;
      amount?: string | undefined;
      amount_min?: string | undefined;
      amount_max?: string | undefined;
      description?: string | undefined;
      redirect_url?: string | undefined;
      expires_in_s?: number | undefined;
    },
  ) {
    const currency = await this.modes[mode].ctx.currency(input.currency);
    if (currency instanceof WebWalletError) return currency;
    const minor: Record<'amount' | 'amount_min' | 'amount_max', string | null> = {
      amount: null,
      amount_min: null,
      amount_max: null,
    };
    for (const field of ['amount', 'amount_min', 'amount_max'] as const) {
      const text = input[field];
      if (text === undefined) continue;
      const parsed = parseAmount(text, currency.scale);
      if (!parsed.ok) return parsed.error;
      if (parsed.value <= 0n) return new WebWalletError('amount_not_positive', { [field]: text });
      minor[field] = parsed.value.toString();
    }
    const count = await this.options.db.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM payment_links WHERE store_id = ? AND mode = ? AND active = 1',
      [storeId, mode],
    );
    if (Number(count?.n ?? 0) >= PAYMENT_LINKS_MAX) {
      return new WebWalletError(
        'invalid_request',
        { limit: PAYMENT_LINKS_MAX },
        `At most ${PAYMENT_LINKS_MAX} active payment links per store and mode.`,
      );
    }
    const row: LinkRow = {
      id: newId('pl'),
      store_id: storeId,
      mode,
      currency: input.currency,
      amount: minor.amount,
      amount_min: minor.amount_min,
      amount_max: minor.amount_max,
      description: input.description ?? null,
      redirect_url: input.redirect_url ?? null,
      expires_in_s: input.expires_in_s ?? 900,
      active: 1,
      created_at_ms: Date.now(),
    };
    await this.options.db.transaction((tx) =>
      tx.run(
        `INSERT INTO payment_links (id, store_id, mode, currency, amount, amount_min, amount_max, description, redirect_url,
           expires_in_s, active, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          row.id,
          storeId,
          mode,
          row.currency,
          row.amount,
          row.amount_min,
          row.amount_max,
          row.description,
          row.redirect_url,
          row.expires_in_s,
          1,
          row.created_at_ms,
        ],
      ),
    );
    return this.linkView(row, currency.scale);
  }

  private linkView(row: LinkRow, scale: number) {
    const fmt = (v: string | null) => (v === null ? null : formatAmount(BigInt(v), scale));
    return {
      id: row.id,
      object: 'payment_link' as const,
      mode: row.mode,
      url: `${this.options.baseUrl()}/l/${row.id}`,
      currency: row.currency,
      amount: fmt(row.amount),
      amount_min: fmt(row.amount_min),
      amount_max: fmt(row.amount_max),
      description: row.description,
      redirect_url: row.redirect_url,
      expires_in_s: row.expires_in_s,
      active: row.active === 1,
      created_at: new Date(row.created_at_ms).toISOString(),
    };
  }

  private scaleOf(mode: Mode, currency: string): number {
    return this.modes[mode].ctx.ops.ledger.currency(currency)?.scale ?? 0;
  }

  async listLinks(storeId: string, mode: Mode, page: { cursor?: string | undefined; limit: number }) {
    const rows = await this.options.db.all<LinkRow>(
      'SELECT * FROM payment_links WHERE store_id = ? AND mode = ? AND (CAST(? AS TEXT) IS NULL OR id < ?) ORDER BY id DESC LIMIT ?',
      [storeId, mode, page.cursor ?? null, page.cursor ?? null, page.limit + 1],
    );
    const out = pageOfRows(rows, page.limit);
    return {
      items: out.items.map((r) => this.linkView(r, this.scaleOf(mode, r.currency))),
      next_cursor: out.next_cursor,
    };
  }

  async deactivateLink(storeId: string, mode: Mode, id: string) {
    const changed = await this.options.db.transaction((tx) =>
      tx.run('UPDATE payment_links SET active = 0 WHERE id = ? AND store_id = ? AND mode = ?', [id, storeId, mode]),
    );
    if (changed === 0) return new WebWalletError('payment_link_not_found', { id });
    const row = await this.options.db.get<LinkRow>('SELECT * FROM payment_links WHERE id = ?', [id]);
    return this.linkView(row!, this.scaleOf(mode, row!.currency));
  }

  private async linkRow(id: string): Promise<LinkRow | undefined> {
    return this.options.db.get<LinkRow>('SELECT * FROM payment_links WHERE id = ?', [id]);
  }

  private async paymentLink(id: string): Promise<PaymentLinkView | undefined> {
    const row = await this.linkRow(id);
    if (!row) return undefined;
    const view = this.linkView(row, this.scaleOf(row.mode, row.currency));
    return {
      id: row.id,
      mode: row.mode,
      merchant_name: (await this.store(row.store_id))?.merchant_name ?? '',
      currency: row.currency,
      amount: view.amount,
      amount_min: view.amount_min,
      amount_max: view.amount_max,
      description: row.description,
      active: row.active === 1,
    };
  }

  private async invoiceFromLink(id: string, amount: string | undefined): Promise<Result<{ invoice_id: string }>> {
    const row = await this.linkRow(id);
    if (row?.active !== 1) return err('payment_link_not_found', { id });
    const scale = this.scaleOf(row.mode, row.currency);
    let minor: bigint;
    if (row.amount !== null) minor = BigInt(row.amount);
    else {
      const parsed = parseAmount(amount ?? '', scale);
      if (!parsed.ok) return { ok: false, error: parsed.error };
      minor = parsed.value;
      const below = row.amount_min !== null && minor < BigInt(row.amount_min);
      const above = row.amount_max !== null && minor > BigInt(row.amount_max);
      if (minor <= 0n || below || above) {
        return err('amount_out_of_range', {
          min: row.amount_min === null ? null : formatAmount(BigInt(row.amount_min), scale),
          max: row.amount_max === null ? null : formatAmount(BigInt(row.amount_max), scale),
        });
      }
    }
    const invoice = await this.modes[row.mode].invoices.create(row.store_id, {
      amount: formatAmount(minor, scale),
      currency: row.currency,
      description: row.description ?? undefined,
      redirect_url: row.redirect_url ?? undefined,
      expires_in_s: row.expires_in_s,
      link_id: row.id,
    });
    return invoice instanceof WebWalletError ? { ok: false, error: invoice } : ok({ invoice_id: invoice.id });
  }

  /** The hosted checkout's view of the processor. */
  checkoutSource(): CheckoutSource {
    return {
      view: (id) => this.checkoutView(id),
      subscribe: (id, listener) => this.subscribe(id, listener),
      pay: (id, document) => this.pay(id, document),
      sandboxPay: (id) => this.sandboxPay(id),
      paymentLink: (id) => this.paymentLink(id),
      invoiceFromLink: (id, amount) => this.invoiceFromLink(id, amount),
    };
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const mode of MODES) await this.modes[mode].consumer.close();
    await this.worker.close();
  }
}
