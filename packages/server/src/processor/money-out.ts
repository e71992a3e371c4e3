import { formatAmount, parseAmount, WebWalletError } from '@webwallet/core';
import type { SubmitResult } from '@webwallet/ledger';
import type { SqlExecutor } from './db/sql.js';
import { emitEvent, pageOfRows } from './events.js';
import { loadPayments, type ModeContext, updateInvoice } from './invoices.js';
import { type InvoiceRow, iso, newId } from './model.js';

interface RefundRow {
  id: string;
  store_id: string;
  mode: 'live' | 'test';
  invoice_id: string;
  amount: string;
  currency: string;
  destination: string;
  status: 'pending' | 'succeeded' | 'failed';
  transaction_id: string;
  failure_json: string | null;
  reason: string | null;
  created_at_ms: number;
}

interface PayoutRow {
  id: string;
  store_id: string;
  mode: 'live' | 'test';
  amount: string;
  currency: string;
  destination: string;
  description: string | null;
  status: 'pending' | 'succeeded' | 'failed';
  transaction_id: string;
  failure_json: string | null;
  created_at_ms: number;
}

function refundView(row: RefundRow, scale: number) {
  return {
    id: row.id,
    object: 'refund' as const,
    mode: row.mode,
    invoice_id: row.invoice_id,
    amount: formatAmount(BigInt(row.amount), scale),
    currency: row.currency,
    destination: row.destination,
    status: row.status,
    transaction_id: row.transaction_id,
    failure: row.failure_json === null ? null : (JSON.parse(row.failure_json) as { code: string; message: string }),
    reason: row.reason,
    created_at: iso(row.created_at_ms),
  };
}

function payoutView(row: PayoutRow, scale: number) {
  return {
    id: row.id,
    object: 'payout' as const,
    mode: row.mode,
    amount: formatAmount(BigInt(row.amount), scale),
    currency: row.currency,
    destination: row.destination,
    description: row.description,
    status: row.status,
    transaction_id: row.transaction_id,
    failure: row.failure_json === null ? null : (JSON.parse(row.failure_json) as { code: string; message: string }),
    created_at: iso(row.created_at_ms),
  };
}

function outcome(result: SubmitResult): { status: 'succeeded' | 'failed'; failure_json: string | null } {
  return result.status === 'accepted'
    ? { status: 'succeeded', failure_json: null }
    : { status: 'failed', failure_json: JSON.stringify({ code: result.error.code, message: result.error.message }) };
}

/**
 * Refunds and payouts: ledger transfers out of the store's account. Each is first reserved in
 * the database (refunds: against what the invoice was paid), then submitted with its own id as
 * the ledger transaction id, so a crash in between is finished by `resume` without paying twice.
 */
export class MoneyOut {
  constructor(
    private readonly ctx: ModeContext,
    private readonly storeAccount: (storeId: string) => Promise<string | undefined>,
  ) {}

  private scale(currency: string): number {
    return this.ctx.ops.ledger.currency(currency)?.scale ?? 0;
  }

  async refund(
    storeId: string,
    input: { invoice_id: string; amount?: string | undefined; reason?: string | undefined },
  ) {
    const now = this.ctx.clock();
    const reserved = await this.ctx.db.transaction(async (tx) => {
      const invoice = await tx.get<InvoiceRow>('SELECT * FROM invoices WHERE id = ? AND store_id = ? AND mode = ?', [
        input.invoice_id,
        storeId,
        this.ctx.mode,
      ]);
      if (!invoice) return new WebWalletError('invoice_not_found', { id: input.invoice_id });
      const payments = await loadPayments(tx, invoice.id);
      const received = payments.reduce((sum, p) => sum + BigInt(p.amount), 0n);
      const refundable = received - BigInt(invoice.refunded);
      let amount = refundable;
      if (input.amount !== undefined) {
        const parsed = parseAmount(input.amount, invoice.scale);
        if (!parsed.ok) return parsed.error;
        if (parsed.value <= 0n) return new WebWalletError('amount_not_positive', { amount: input.amount });
        amount = parsed.value;
      }
      if (amount <= 0n || amount > refundable) {
        return new WebWalletError('refund_exceeds_paid', {
          refundable: formatAmount(refundable > 0n ? refundable : 0n, invoice.scale),
          requested: input.amount ?? null,
        });
      }
      const id = newId('re');
      const row: RefundRow = {
        id,
        store_id: storeId,
        mode: this.ctx.mode,
        invoice_id: invoice.id,
        amount: amount.toString(),
        currency: invoice.currency,
        destination: payments[0]!.payer,
        status: 'pending',
        transaction_id: id,
        failure_json: null,
        reason: input.reason ?? null,
        created_at_ms: now,
      };
      await tx.run(
        `INSERT INTO refunds (id, store_id, mode, invoice_id, amount, currency, destination, status, transaction_id, reason, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
        [id, storeId, row.mode, row.invoice_id, row.amount, row.currency, row.destination, id, row.reason, now],
      );
      const next = {
        ...invoice,
        refunded: (BigInt(invoice.refunded) + amount).toString(),
        version: invoice.version + 1,
      };
      await updateInvoice(tx, invoice, next);
      await emitEvent(tx, {
        store_id: storeId,
        mode: row.mode,
        type: 'refund.created',
        data: { refund: refundView(row, invoice.scale) },
        created_at_ms: now,
      });
      return { row, invoice: next, payee: invoice.payee };
    });
    if (reserved instanceof WebWalletError) return reserved;
    this.ctx.eventsWritten();
    return this.completeRefund(reserved.row, reserved.payee);
  }

  private async completeRefund(row: RefundRow, payee: string) {
    const result = await this.submitOnce(
      row.transaction_id,
      payee,
      row.destination,
      row.currency,
      row.amount,
      `refund:${row.invoice_id}`,
    );
    const done = { ...row, ...outcome(result) };
    await this.ctx.db.transaction(async (tx) => {
      await tx.run('UPDATE refunds SET status = ?, failure_json = ? WHERE id = ?', [
        done.status,
        done.failure_json,
        row.id,
      ]);
      if (done.status === 'failed') await this.releaseRefund(tx, row);
      await emitEvent(tx, {
        store_id: row.store_id,
        mode: row.mode,
        type: done.status === 'succeeded' ? 'refund.succeeded' : 'refund.failed',
        data: { refund: refundView(done, this.scale(row.currency)) },
        created_at_ms: this.ctx.clock(),
      });
    });
    this.ctx.eventsWritten();
    this.ctx.invoiceChanged(row.invoice_id);
    return refundView(done, this.scale(row.currency));
  }

  /** A failed refund gives its reservation back to the invoice. */
  private async releaseRefund(tx: SqlExecutor, row: RefundRow): Promise<void> {
    const invoice = await tx.get<InvoiceRow>('SELECT * FROM invoices WHERE id = ?', [row.invoice_id]);
    if (!invoice) return;
    const next = {
      ...invoice,
      refunded: (BigInt(invoice.refunded) - BigInt(row.amount)).toString(),
      version: invoice.version + 1,
    };
    await updateInvoice(tx, invoice, next);
  }

  /** Submits the transfer unless the ledger has it already (a retry after a crash). */
  private async submitOnce(
    id: string,
    from: string,
    to: string,
    currency: string,
    minor: string,
    memo: string,
  ): Promise<SubmitResult> {
    const existing = await this.ctx.ops.ledger.transaction(id);
    if (existing) {
      return {
        status: 'accepted',
        id,
        document_id: existing.document_id,
        seq: existing.seq,
        accepted_at: existing.accepted_at,
        duplicate: true,
      };
    }
    const amount = formatAmount(BigInt(minor), this.scale(currency));
    return this.ctx.ops.transfer({ id, from, to, currency, amount, memo });
  }

  async payout(
    storeId: string,
    input: { amount: string; currency: string; destination: string; description?: string | undefined },
  ) {
    const account = await this.storeAccount(storeId);
    if (!account) return new WebWalletError('store_not_found', { id: storeId });
    const currency = this.ctx.ops.ledger.currency(input.currency);
    if (!currency) return new WebWalletError('currency_not_found', { currency: input.currency });
    const parsed = parseAmount(input.amount, currency.scale);
    if (!parsed.ok) return parsed.error;
    if (parsed.value <= 0n) return new WebWalletError('amount_not_positive', { amount: input.amount });
    if (!(await this.ctx.ops.ledger.storage.getAccount(input.destination))) {
      return new WebWalletError('account_not_found', { account: input.destination });
    }
    const available = this.ctx.ops.available(account, input.currency);
    if (available < parsed.value) {
      return new WebWalletError('insufficient_funds', {
        account,
        currency: input.currency,
        available: formatAmount(available, currency.scale),
        requested: input.amount,
      });
    }
    const now = this.ctx.clock();
    const id = newId('po');
    const row: PayoutRow = {
      id,
      store_id: storeId,
      mode: this.ctx.mode,
      amount: parsed.value.toString(),
      currency: input.currency,
      destination: input.destination,
      description: input.description ?? null,
      status: 'pending',
      transaction_id: id,
      failure_json: null,
      created_at_ms: now,
    };
    await this.ctx.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO payouts (id, store_id, mode, amount, currency, destination, description, status, transaction_id, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        [id, storeId, row.mode, row.amount, row.currency, row.destination, row.description, id, now],
      );
      await emitEvent(tx, {
        store_id: storeId,
        mode: row.mode,
        type: 'payout.created',
        data: { payout: payoutView(row, currency.scale) },
        created_at_ms: now,
      });
    });
    return this.completePayout(row, account);
  }

  private async completePayout(row: PayoutRow, account: string) {
    const result = await this.submitOnce(
      row.transaction_id,
      account,
      row.destination,
      row.currency,
      row.amount,
      `payout:${row.id}`,
    );
    const done = { ...row, ...outcome(result) };
    await this.ctx.db.transaction(async (tx) => {
      await tx.run('UPDATE payouts SET status = ?, failure_json = ? WHERE id = ?', [
        done.status,
        done.failure_json,
        row.id,
      ]);
      await emitEvent(tx, {
        store_id: row.store_id,
        mode: row.mode,
        type: done.status === 'succeeded' ? 'payout.succeeded' : 'payout.failed',
        data: { payout: payoutView(done, this.scale(row.currency)) },
        created_at_ms: this.ctx.clock(),
      });
    });
    this.ctx.eventsWritten();
    return payoutView(done, this.scale(row.currency));
  }

  /** Finishes refunds and payouts a crash left pending. */
  async resume(): Promise<void> {
    const refunds = await this.ctx.db.all<RefundRow & { payee: string }>(
      `SELECT r.*, i.payee FROM refunds r JOIN invoices i ON i.id = r.invoice_id WHERE r.mode = ? AND r.status = 'pending'`,
      [this.ctx.mode],
    );
    for (const r of refunds) await this.completeRefund(r, r.payee);
    const payouts = await this.ctx.db.all<PayoutRow>(`SELECT * FROM payouts WHERE mode = ? AND status = 'pending'`, [
      this.ctx.mode,
    ]);
    for (const p of payouts) {
      const account = await this.storeAccount(p.store_id);
      if (account) await this.completePayout(p, account);
    }
  }

  async getRefund(storeId: string, id: string) {
    const row = await this.ctx.db.get<RefundRow>('SELECT * FROM refunds WHERE id = ? AND store_id = ? AND mode = ?', [
      id,
      storeId,
      this.ctx.mode,
    ]);
    return row ? refundView(row, this.scale(row.currency)) : new WebWalletError('refund_not_found', { id });
  }

  async listRefunds(
    storeId: string,
    query: { invoice_id?: string | undefined; cursor?: string | undefined; limit: number },
  ) {
    const rows = await this.ctx.db.all<RefundRow>(
      `SELECT * FROM refunds WHERE store_id = ? AND mode = ? AND (CAST(? AS TEXT) IS NULL OR invoice_id = ?) AND (CAST(? AS TEXT) IS NULL OR id < ?)
       ORDER BY id DESC LIMIT ?`,
      [
        storeId,
        this.ctx.mode,
        query.invoice_id ?? null,
        query.invoice_id ?? null,
        query.cursor ?? null,
        query.cursor ?? null,
        query.limit + 1,
      ],
    );
    const page = pageOfRows(rows, query.limit);
    return { items: page.items.map((r) => refundView(r, this.scale(r.currency))), next_cursor: page.next_cursor };
  }

  async getPayout(storeId: string, id: string) {
    const row = await this.ctx.db.get<PayoutRow>('SELECT * FROM payouts WHERE id = ? AND store_id = ? AND mode = ?', [
      id,
      storeId,
      this.ctx.mode,
    ]);
    return row ? payoutView(row, this.scale(row.currency)) : new WebWalletError('payout_not_found', { id });
  }

  async listPayouts(storeId: string, query: { cursor?: string | undefined; limit: number }) {
    const rows = await this.ctx.db.all<PayoutRow>(
      `SELECT * FROM payouts WHERE store_id = ? AND mode = ? AND (CAST(? AS TEXT) IS NULL OR id < ?) ORDER BY id DESC LIMIT ?`,
      [storeId, this.ctx.mode, query.cursor ?? null, query.cursor ?? null, query.limit + 1],
    );
    const page = pageOfRows(rows, query.limit);
    return { items: page.items.map((r) => payoutView(r, this.scale(r.currency))), next_cursor: page.next_cursor };
  }
}
