import { formatAmount, parseAmount, WebWalletError } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import type { Invoices, InvoiceView } from './invoices.js';
import type { LedgerOps } from './ledger-ops.js';
import { newId } from './model.js';

/** The node's own issuer of play money on the sandbox ledger. */
export const FAUCET_ACCOUNT = 'acc_sandbox_faucet';
/** Sandbox currencies are issued on first use with this scale. */
export const SANDBOX_SCALE = 2;
/** Each dummy payer is topped up to this (in major units) whenever it runs low. */
const PAYER_FLOAT = 1_000_000n;
/** The currency dummy payers hold from the start. */
export const SANDBOX_DEFAULT_CURRENCY = 'USD';
/** Largest single faucet grant, in major units. */
const FAUCET_GRANT_MAX = 1_000_000_000n;
/** Furthest the sandbox clock may be moved in one call: 30 days. */
export const CLOCK_ADVANCE_S_MAX = 2_592_000;

export type PayKind = 'exact' | 'partial' | 'over';

/**
 * Play money for test mode: a faucet issuing any currency on demand, three funded dummy payers
 * per store, and a clock that tests can move forward. Only ever bound to the sandbox ledger.
 */
export class Sandbox {
  private offset_ms = 0;

  constructor(private readonly ops: LedgerOps) {}

  clock(): number {
    return Date.now() + this.offset_ms;
  }

  advance(seconds: number): number {
    this.offset_ms += seconds * 1000;
    return this.clock();
  }

  async start(): Promise<void> {
    await this.ops.ensureAccount(FAUCET_ACCOUNT);
    await this.ensureCurrency(SANDBOX_DEFAULT_CURRENCY);
  }

  /** The currency on the sandbox ledger, issued by the faucet if new. */
  async ensureCurrency(code: string): Promise<{ scale: number } | WebWalletError> {
    const existing = this.ops.ledger.currency(code);
    if (existing) return { scale: existing.scale };
    const result = await this.ops.submit(
      await transaction('ledger.currency.issue', { issuer: FAUCET_ACCOUNT, currency: code, scale: SANDBOX_SCALE }),
    );
    if (result.status === 'rejected' && result.error.code !== 'currency_exists') {
      return new WebWalletError(result.error.code, result.error.details, result.error.message);
    }
    return { scale: this.ops.ledger.currency(code)?.scale ?? SANDBOX_SCALE };
  }

  static payerAccount(storeId: string, index: number): string {
    return `acc_payer${index}_${storeId.slice(3)}`;
  }

  /** Opens the store's three dummy payers and funds them in the default currency. */
  async setUpStore(storeId: string): Promise<void> {
    for (const index of [1, 2, 3]) {
      const account = Sandbox.payerAccount(storeId, index);
      await this.ops.ensureAccount(account);
      await this.topUp(account, SANDBOX_DEFAULT_CURRENCY, 0n);
    }
  }

  /** Makes sure `account` holds at least `needed` (minor units) plus the float. */
  private async topUp(account: string, currency: string, needed: bigint): Promise<void> {
    const issued = await this.ensureCurrency(currency);
    if (issued instanceof WebWalletError) throw issued;
    await this.ops.ensureTrust(account, currency);
    const float = PAYER_FLOAT * 10n ** BigInt(issued.scale);
    const have = this.ops.available(account, currency);
    if (have >= needed + float / 2n) return;
    await this.grant(account, currency, needed + float - have, issued.scale);
  }

  private async grant(account: string, currency: string, minor: bigint, scale: number): Promise<string> {
    const id = newId('fct');
    const result = await this.ops.transfer({
      id,
      from: FAUCET_ACCOUNT,
      to: account,
      currency,
      amount: formatAmount(minor, scale),
      memo: 'sandbox faucet',
    });
    if (result.status === 'rejected')
      throw new WebWalletError(result.error.code, result.error.details, result.error.message);
    return id;
  }

  /** Faucet: funds any sandbox account; self-custody accounts must have a trust line first. */
  async faucet(input: {
    account: string;
    currency: string;
    amount: string;
  }): Promise<{ transaction_id: string } | WebWalletError> {
    const issued = await this.ensureCurrency(input.currency);
    if (issued instanceof WebWalletError) return issued;
    const parsed = parseAmount(input.amount, issued.scale);
    if (!parsed.ok) return parsed.error;
    if (parsed.value <= 0n) return new WebWalletError('amount_not_positive', { amount: input.amount });
    if (parsed.value > FAUCET_GRANT_MAX * 10n ** BigInt(issued.scale)) {
      return new WebWalletError('amount_out_of_range', { max: `${FAUCET_GRANT_MAX}` });
    }
    const record = await this.ops.ledger.storage.getAccount(input.account);
    if (!record) return new WebWalletError('account_not_found', { account: input.account });
    if (record.account.custodial) await this.ops.ensureTrust(input.account, input.currency);
    try {
      return { transaction_id: await this.grant(input.account, input.currency, parsed.value, issued.scale) };
    } catch (error) {
      if (error instanceof WebWalletError) return error;
      throw error;
    }
  }

  async payers(storeId: string) {
    const items = [];
    for (const index of [1, 2, 3]) {
      const account = Sandbox.payerAccount(storeId, index);
      const view = await this.ops.ledger.account(account);
      items.push({
        index,
        account,
        balances: (view?.balances ?? []).map((b) => ({
          currency: b.currency,
          balance: b.balance,
          available: b.available,
        })),
      });
    }
    return { items, next_cursor: null };
  }

  /** Pays an invoice from a dummy payer: exact (what is due), partial (half), over (+10%) or an amount. */
  async payInvoice(
    invoices: Invoices,
    storeId: string,
    id: string,
    input: { payer?: number | undefined; kind?: PayKind | undefined; amount?: string | undefined },
    /** Waits until the processor has seen the ledger transaction at this seq. */
    seen: (seq: number) => Promise<void>,
  ): Promise<{ invoice: InvoiceView; transaction_id: string } | WebWalletError> {
    const row = await invoices.row(storeId, id);
    if (!row) return new WebWalletError('invoice_not_found', { id });
    if (row.status === 'Settled' || row.status === 'Invalid') {
      return new WebWalletError('invoice_state_invalid', {
        status: row.status,
        allowed: ['New', 'Processing', 'Expired'],
      });
    }
    let minor: bigint;
    if (input.amount !== undefined) {
      const parsed = parseAmount(input.amount, row.scale);
      if (!parsed.ok) return parsed.error;
      minor = parsed.value;
    } else {
      const due = BigInt(row.amount) - BigInt(row.paid);
      const base = due > 0n ? due : BigInt(row.amount);
      minor = input.kind === 'partial' ? base / 2n : input.kind === 'over' ? base + base / 10n : base;
    }
    if (minor <= 0n) return new WebWalletError('amount_not_positive', { amount: formatAmount(minor, row.scale) });
    const payer = Sandbox.payerAccount(storeId, input.payer ?? 1);
    await this.ops.ensureAccount(payer);
    await this.topUp(payer, row.currency, minor);
    const transactionId = newId('sbx');
    const result = await this.ops.transfer({
      id: transactionId,
      from: payer,
      to: row.payee,
      currency: row.currency,
      amount: formatAmount(minor, row.scale),
      memo: row.id,
    });
    if (result.status === 'rejected')
      return new WebWalletError(result.error.code, result.error.details, result.error.message);
    await seen(result.seq);
    return { invoice: (await invoices.get(storeId, id)) as InvoiceView, transaction_id: transactionId };
  }
}
