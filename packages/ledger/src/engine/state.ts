/** Ledger state: what the Graphstore holds. Amounts are bigint minor units throughout. */

export interface Account {
  readonly id: string;
  /** Public keys that may sign for the account (empty for custodial accounts). */
  readonly keys: readonly string[];
  /** How many of `keys` must sign. */
  readonly threshold: number;
  /** Node-managed ("acc_…"): authorized by the node's authenticated API, not by signatures. */
  readonly custodial: boolean;
  readonly allow_rippling: boolean;
  readonly created_seq: number;
  /** Lower thresholds for small payments; null when every debit needs `threshold`. */
  readonly spending_policy: SpendingPolicy | null;
  /** Recent debits made with a small-payment threshold, per currency, for the rolling caps. */
  readonly small_spent: readonly SmallSpent[];
}

/** One currency's small-payment rule, amounts in minor units. */
export interface SmallPaymentLimit {
  readonly currency: string;
  readonly amount_max: bigint;
  readonly threshold: number;
  readonly window_ms: number;
  readonly window_amount_max: bigint;
}

export interface SpendingPolicy {
  /** At most one per currency. */
  readonly small_payments: readonly SmallPaymentLimit[];
}

/**
 * Small-payment debits of one currency, summed per time slice (1/64 of the window) so the record
 * stays bounded however many payments there are. A slice keeps the time of its latest debit and
 * counts until that one leaves the window: the cap may hold a debit up to one slice longer than
 * window_ms, never shorter.
 */
export interface SmallSpent {
  readonly currency: string;
  readonly slices: readonly SpentSlice[];
}

export interface SpentSlice {
  /** accepted_at of the latest debit in the slice. */
  readonly at_ms: number;
  readonly amount: bigint;
}

export interface Currency {
  readonly code: string;
  readonly scale: number;
  readonly issuer: string;
  readonly max_supply: bigint | null;
  readonly transfer_fee_bps: number;
  readonly created_seq: number;
}

/**
 * A holder's position in one currency. The issuer has a line too, without a trust limit, whose
 * balance is minus the circulating supply; so each currency's balances sum to zero.
 */
export interface Line {
  readonly holder: string;
  readonly currency: string;
  readonly balance: bigint;
  /** Sum of pending transfers out of this line; available = balance - held. */
  readonly held: bigint;
  /** Trust limit: the most the holder accepts. */
  readonly limit: bigint;
  /** How far below zero available funds may go (for the issuer: the maximum supply). */
  readonly credit_limit: bigint;
  readonly frozen: boolean;
}

export interface HoldLeg {
  readonly from: string;
  readonly to: string;
  readonly currency: string;
  readonly amount: bigint;
  /** Issuer transfer fee the payer owes on top of amount. */
  readonly fee: bigint;
}

export type HoldState = 'pending' | 'posted' | 'voided' | 'expired';

/** A two-phase transfer's hold. */
export interface Hold {
  /** Client id of the pending transfer. */
  readonly id: string;
  readonly seq: number;
  readonly legs: readonly HoldLeg[];
  readonly expires_at_ms: number;
  /** Hex SHA-256 the post must reveal a preimage of, or null. */
  readonly hashlock: string | null;
  readonly state: HoldState;
  readonly closed_seq: number | null;
}

export function lineKey(holder: string, currency: string): string {
  return `${holder}\u0000${currency}`;
}

/** Read access shared by the committed state and the overlays stacked on it. */
export interface StateReader {
  account(id: string): Account | undefined;
  currency(code: string): Currency | undefined;
  line(holder: string, currency: string): Line | undefined;
  hold(id: string): Hold | undefined;
  /** Accounts that let payments ripple through them, sorted (path finding must be deterministic). */
  ripplingAccounts(): string[];
  /** Every currency code, sorted. */
  currencyCodes(): string[];
}

/** The committed state, held in memory by the single writer. */
export class LedgerState implements StateReader {
  readonly accounts = new Map<string, Account>();
  readonly currencies = new Map<string, Currency>();
  readonly lines = new Map<string, Line>();
  readonly holds = new Map<string, Hold>();

  account(id: string): Account | undefined {
    return this.accounts.get(id);
  }
  currency(code: string): Currency | undefined {
    return this.currencies.get(code);
  }
  line(holder: string, currency: string): Line | undefined {
    return this.lines.get(lineKey(holder, currency));
  }
  hold(id: string): Hold | undefined {
    return this.holds.get(id);
  }
  ripplingAccounts(): string[] {
    return [...this.accounts.values()]
      .filter((a) => a.allow_rippling)
      .map((a) => a.id)
      .sort();
  }
  currencyCodes(): string[] {
    return [...this.currencies.keys()].sort();
  }
}

/**
 * Changes stacked on a reader. A transaction applies into a fresh overlay; only if it succeeds is
 * the overlay folded into its parent (the batch), and the batch into the state only after the
 * database commit. A failure anywhere discards the overlay: no partial writes, in memory or on disk.
 */
export class Overlay implements StateReader {
  // Maps are made on first write: most transactions touch only lines, and the sequencer builds an
  // overlay per transaction, so empty maps would be most of its garbage.
  private accountMap: Map<string, Account> | undefined;
  private currencyMap: Map<string, Currency> | undefined;
  private lineMap: Map<string, Line> | undefined;
  private holdMap: Map<string, Hold> | undefined;

  constructor(readonly parent: StateReader) {}

  get accounts(): Map<string, Account> {
    this.accountMap ??= new Map();
    return this.accountMap;
  }
  get currencies(): Map<string, Currency> {
    this.currencyMap ??= new Map();
    return this.currencyMap;
  }
  get lines(): Map<string, Line> {
    this.lineMap ??= new Map();
    return this.lineMap;
  }
  get holds(): Map<string, Hold> {
    this.holdMap ??= new Map();
    return this.holdMap;
  }

  account(id: string): Account | undefined {
    return this.accountMap?.get(id) ?? this.parent.account(id);
  }
  currency(code: string): Currency | undefined {
    return this.currencyMap?.get(code) ?? this.parent.currency(code);
  }
  line(holder: string, currency: string): Line | undefined {
    return this.lineMap?.get(lineKey(holder, currency)) ?? this.parent.line(holder, currency);
  }
  hold(id: string): Hold | undefined {
    return this.holdMap?.get(id) ?? this.parent.hold(id);
  }
  ripplingAccounts(): string[] {
    const own = [...(this.accountMap?.values() ?? [])].filter((a) => a.allow_rippling).map((a) => a.id);
    return [...new Set([...this.parent.ripplingAccounts(), ...own])].sort();
  }
  currencyCodes(): string[] {
    return [...new Set([...this.parent.currencyCodes(), ...(this.currencyMap?.keys() ?? [])])].sort();
  }

  setAccount(account: Account): void {
    this.accounts.set(account.id, account);
  }
  setCurrency(currency: Currency): void {
    this.currencies.set(currency.code, currency);
  }
  setLine(line: Line): void {
    this.lines.set(lineKey(line.holder, line.currency), line);
  }
  setHold(hold: Hold): void {
    this.holds.set(hold.id, hold);
  }

  /** Folds these changes into another overlay or into the committed state. */
  foldInto(target: Overlay | LedgerState): void {
    if (this.accountMap) for (const [k, v] of this.accountMap) target.accounts.set(k, v);
    if (this.currencyMap) for (const [k, v] of this.currencyMap) target.currencies.set(k, v);
    if (this.lineMap) for (const [k, v] of this.lineMap) target.lines.set(k, v);
    if (this.holdMap) for (const [k, v] of this.holdMap) target.holds.set(k, v);
  }
}
