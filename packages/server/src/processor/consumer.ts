import { parseAmount } from '@webwallet/core';
import type { StoredTransaction } from '@webwallet/ledger';
import type { SqlExecutor } from './db/sql.js';
import { type InvoiceView, type ModeContext, paymentView, reevaluate } from './invoices.js';
import { type InvoiceRow, newId, type PaymentRow } from './model.js';

/** Ledger transactions read and matched per database transaction. */
const CHUNK = 500;

interface Candidate {
  readonly invoice_id: string;
  readonly transaction_id: string;
  readonly seq: number;
  readonly accepted_at_ms: number;
  readonly legs: readonly { from: string; to: string; currency: string; amount: string }[];
}

interface TransferLike {
  type: string;
  body: {
    id: string;
    memo?: string;
    pending?: unknown;
    legs?: { from: string; to: string; currency: string; amount: string }[];
    from?: string;
    to?: string;
    deliver?: { currency: string; amount: string };
  };
}

/**
 * A ledger transaction that may pay an invoice: a settled transfer or multi-hop payment whose
 * memo names an invoice. Two-phase (pending) transfers count only once posted, which the native
 * checkout does not use; they are ignored here.
 */
export function candidateOf(tx: StoredTransaction): Candidate | undefined {
  if (tx.type !== 'ledger.transfer' && tx.type !== 'ledger.payment') return undefined;
  const { body } = JSON.parse(tx.document_json) as TransferLike;
  if (!body.memo?.startsWith('inv_') || body.pending !== undefined) return undefined;
  const legs =
    tx.type === 'ledger.transfer'
      ? (body.legs ?? [])
      : [
          {
            from: body.from ?? '',
            to: body.to ?? '',
            currency: body.deliver?.currency ?? '',
            amount: body.deliver?.amount ?? '0',
          },
        ];
  return { invoice_id: body.memo, transaction_id: tx.id, seq: tx.seq, accepted_at_ms: tx.accepted_at_ms, legs };
}

/**
 * Follows one ledger's log and turns payments into invoice state. Its position (`ledger_cursors`)
 * advances in the same database transaction as the payments it records, so after a crash it
 * resumes exactly where the last commit left it: no payment is missed or counted twice.
 */
export class PaymentConsumer {
  private running = false;
  private again = false;
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private idle: Promise<void> = Promise.resolve();
  /** Log position processed so far, and callers waiting for it to pass a seq. */
  private processed = 0;
  private readonly waiters: { seq: number; resolve: () => void }[] = [];

  constructor(
    private readonly ctx: ModeContext,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.unsubscribe = this.ctx.ops.ledger.onCommit(() => this.kick());
    this.kick();
  }

  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.idle = this.run();
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.catchUp();
      } while (this.again && !this.closed);
    } catch (error) {
      this.onError(error);
      // Try again shortly: the ledger and the database are both durable, nothing is lost meanwhile.
      setTimeout(() => this.kick(), 1_000).unref();
    } finally {
      this.running = false;
    }
  }

  private async cursor(): Promise<{ log_seq: number; sealed_size: number }> {
    const row = await this.ctx.db.get<{ log_seq: number; sealed_size: number }>(
      'SELECT log_seq, sealed_size FROM ledger_cursors WHERE mode = ?',
      [this.ctx.mode],
    );
    if (row) return { log_seq: Number(row.log_seq), sealed_size: Number(row.sealed_size) };
    await this.ctx.db.transaction((tx) =>
      tx.run('INSERT INTO ledger_cursors (mode, log_seq, sealed_size) VALUES (?, 0, 0) ON CONFLICT (mode) DO NOTHING', [
        this.ctx.mode,
      ]),
    );
    return { log_seq: 0, sealed_size: 0 };
  }

  /** Reads the log from the cursor to its end, then confirms what new blocks sealed. */
  async catchUp(): Promise<void> {
    const ledger = this.ctx.ops.ledger;
    let { log_seq, sealed_size } = await this.cursor();
    while (log_seq < ledger.logSize && !this.closed) {
      const end = Math.min(log_seq + CHUNK, ledger.logSize);
      const transactions = await ledger.storage.getTransactionRange(log_seq, end);
      const candidates = transactions.map(candidateOf).filter((c) => c !== undefined);
      const touched = await this.ctx.db.transaction(async (tx) => {
        const ids = new Set<string>();
        for (const candidate of candidates) if (await this.record(tx, candidate)) ids.add(candidate.invoice_id);
        await tx.run('UPDATE ledger_cursors SET log_seq = ? WHERE mode = ?', [end, this.ctx.mode]);
        return ids;
      });
      log_seq = end;
      this.announce(touched);
      this.advanced(end);
    }
    this.advanced(log_seq);
    const sealed = ledger.sealedSize;
    if (sealed > sealed_size) await this.confirm(sealed);
  }

  /** Records one payment and recomputes its invoice; false when it pays no invoice of ours. */
  private async record(tx: SqlExecutor, c: Candidate): Promise<boolean> {
    const invoice = await tx.get<InvoiceRow>('SELECT * FROM invoices WHERE id = ? AND mode = ?', [
      c.invoice_id,
      this.ctx.mode,
    ]);
    if (!invoice) return false;
    let amount = 0n;
    let payer: string | undefined;
    for (const leg of c.legs) {
      if (leg.to !== invoice.payee || leg.currency !== invoice.currency) continue;
      const parsed = parseAmount(leg.amount, invoice.scale);
      if (!parsed.ok) continue;
      amount += parsed.value;
      payer ??= leg.from;
    }
    if (amount === 0n || payer === undefined) return false;
    // The sandbox clock may run ahead of the ledger's: place the payment on the mode's clock.
    const received = c.accepted_at_ms + (this.ctx.clock() - Date.now());
    const payment: PaymentRow = {
      id: newId('pay'),
      invoice_id: invoice.id,
      mode: this.ctx.mode,
      rail: 'ledger',
      transaction_id: c.transaction_id,
      seq: c.seq,
      payer,
      amount: amount.toString(),
      currency: invoice.currency,
      status: c.seq < this.ctx.ops.ledger.sealedSize ? 'confirmed' : 'pending',
      late: received >= invoice.expires_at_ms ? 1 : 0,
      counted: received < invoice.monitoring_until_ms ? 1 : 0,
      received_at_ms: received,
      confirmed_at_ms: null,
      block_height: null,
    };
    const inserted = await tx.run(
      `INSERT INTO payments (id, invoice_id, mode, rail, transaction_id, seq, payer, amount, currency, status, late,
         counted, received_at_ms, confirmed_at_ms, block_height)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mode, transaction_id, invoice_id) DO NOTHING`,
      [
        payment.id,
        payment.invoice_id,
        payment.mode,
        payment.rail,
        payment.transaction_id,
        payment.seq,
        payment.payer,
        payment.amount,
        payment.currency,
        payment.status,
        payment.late,
        payment.counted,
        payment.received_at_ms,
        payment.confirmed_at_ms,
        payment.block_height,
      ],
    );
    if (inserted === 0) return false;
    const now = Math.max(this.ctx.clock(), received);
    await reevaluate(tx, this.ctx, invoice, now, [
      {
        type: 'invoice.payment_received',
        data: (view: InvoiceView) => ({ invoice: view, payment: paymentView(payment, invoice.scale) }),
      },
    ]);
    return true;
  }

  /** Marks payments covered by a signed block as confirmed and settles what that completes. */
  private async confirm(sealed: number): Promise<void> {
    const ledger = this.ctx.ops.ledger;
    const pending = await this.ctx.db.all<PaymentRow>(
      `SELECT * FROM payments WHERE mode = ? AND status = 'pending' AND seq < ? ORDER BY seq`,
      [this.ctx.mode, sealed],
    );
    const heights = new Map<string, number | null>();
    for (const p of pending) heights.set(p.id, (await ledger.storage.blockCovering(Number(p.seq)))?.height ?? null);
    const now = this.ctx.clock();
    const touched = await this.ctx.db.transaction(async (tx) => {
      const invoices = new Set<string>();
      for (const p of pending) {
        await tx.run(`UPDATE payments SET status = 'confirmed', confirmed_at_ms = ?, block_height = ? WHERE id = ?`, [
          now,
          heights.get(p.id) ?? null,
          p.id,
        ]);
        invoices.add(p.invoice_id);
      }
      for (const id of invoices) {
        const invoice = await tx.get<InvoiceRow>('SELECT * FROM invoices WHERE id = ?', [id]);
        if (invoice) await reevaluate(tx, this.ctx, invoice, now);
      }
      await tx.run('UPDATE ledger_cursors SET sealed_size = ? WHERE mode = ?', [sealed, this.ctx.mode]);
      return invoices;
    });
    this.announce(touched);
  }

  /** Resolves once the transaction at `seq` has been matched against invoices (or `timeout_ms` passed). */
  waitFor(seq: number, timeout_ms = 5_000): Promise<void> {
    if (seq < this.processed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeout_ms);
      timer.unref();
      this.waiters.push({
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      this.kick();
    });
  }

  private advanced(position: number): void {
    this.processed = Math.max(this.processed, position);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (waiter.seq < this.processed) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  private announce(invoices: ReadonlySet<string>): void {
    if (invoices.size === 0) return;
    for (const id of invoices) this.ctx.invoiceChanged(id);
    this.ctx.eventsWritten();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    await this.idle;
  }
}
