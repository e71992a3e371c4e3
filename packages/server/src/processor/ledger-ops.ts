import { AMOUNT_MINOR_MAX, formatAmount, WebWalletError } from '@webwallet/core';
import { type Ledger, type SubmitResult, transaction } from '@webwallet/ledger';

/**
 * Node-authorized ledger operations the processor performs on custodial accounts (the store's
 * account, sandbox payers and faucet). Each returns the ledger's result; rejections are values.
 */
export class LedgerOps {
  /** (account, currency) pairs known to have a trust line, so the common case costs nothing. */
  private readonly trusted = new Set<string>();

  constructor(readonly ledger: Ledger) {}

  async submit(document: unknown): Promise<SubmitResult> {
    const [result] = await this.ledger.submit([document], { nodeAuthorized: true });
    return result!;
  }

  /** Opens a custodial account unless it exists. */
  async ensureAccount(account: string): Promise<void> {
    if (await this.ledger.storage.getAccount(account)) return;
    const result = await this.submit(await transaction('ledger.account.create', { account }));
    if (result.status === 'rejected' && result.error.code !== 'account_exists') throw rejection(result);
  }

  /** Gives a custodial account a trust line for `currency` with the largest limit, unless it has one. */
  async ensureTrust(account: string, currency: string): Promise<void> {
    const key = `${account}\u0000${currency}`;
    if (this.trusted.has(key) || this.ledger.lineBalance(account, currency)) {
      this.trusted.add(key);
      return;
    }
    const scale = this.ledger.currency(currency)?.scale;
    if (scale === undefined) throw new WebWalletError('currency_not_found', { currency });
    if (this.ledger.currency(currency)?.issuer === account) return;
    const limit = formatAmount(AMOUNT_MINOR_MAX, scale);
    const result = await this.submit(await transaction('ledger.trust.set', { holder: account, currency, limit }));
    if (result.status === 'rejected') throw rejection(result);
    this.trusted.add(key);
  }

  /** Moves `amount` (decimal text) from a custodial account; `id` makes a retry idempotent. */
  async transfer(args: {
    id: string;
    from: string;
    to: string;
    currency: string;
    amount: string;
    memo: string;
  }): Promise<SubmitResult> {
    return this.submit(
      await transaction('ledger.transfer', {
        id: args.id,
        legs: [{ from: args.from, to: args.to, currency: args.currency, amount: args.amount }],
        memo: args.memo,
      }),
    );
  }

  /** Available balance (balance − held) of a line in minor units; 0 without a line. */
  available(account: string, currency: string): bigint {
    const line = this.ledger.lineBalance(account, currency);
    return line ? line.balance - line.held : 0n;
  }
}

function rejection(result: SubmitResult & { status: 'rejected' }): WebWalletError {
  return new WebWalletError(result.error.code, result.error.details, result.error.message);
}
