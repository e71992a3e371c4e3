/**
 * A redemption registry remembers which payments have been redeemed, so that a payer token is
 * honoured on its first presentation only. `claim` is an atomic insert-if-absent keyed by the
 * payment (`redemption_key`): of any number of concurrent presentations of one payment, across
 * processes sharing the store, exactly one claim returns true.
 */
export interface Redemption {
  /** `verifyPayerToken(...).value.redemption_key`: "<node key>/<transaction id>". */
  readonly key: string;
  readonly payer: string;
  readonly payee: string;
  readonly amount: string;
  readonly currency: string;
  readonly reference?: string;
  readonly audience: string;
  /** RFC 3339 UTC. */
  readonly redeemed_at: string;
}

export interface RedemptionRegistry {
  /** Records the redemption unless its key is already recorded: true for the first claim only. */
  claim(redemption: Redemption): Promise<boolean>;
  /**
   * Forgets a claim, so the payer may present the token again: for when fulfilment failed after
   * the claim (the route threw or answered 5xx). Unknown keys are ignored.
   */
  release(key: string): Promise<void>;
  get(key: string): Promise<Redemption | undefined>;
}

/** Longest redemption key: a "pub_…" node key (47), "/" and a transaction id (at most 64). */
export const REDEMPTION_KEY_LENGTH_MAX = 112;

/**
 * Redemptions in process memory: for tests, single-process demos and short-lived workers. A
 * restart forgets every redemption, so a production seller uses the SQLite or PostgreSQL registry.
 */
export class MemoryRedemptionRegistry implements RedemptionRegistry {
  private readonly redemptions = new Map<string, Redemption>();

  async claim(redemption: Redemption): Promise<boolean> {
    if (this.redemptions.has(redemption.key)) return false;
    this.redemptions.set(redemption.key, redemption);
    return true;
  }

  async release(key: string): Promise<void> {
    this.redemptions.delete(key);
  }

  async get(key: string): Promise<Redemption | undefined> {
    return this.redemptions.get(key);
  }

  get size(): number {
    return this.redemptions.size;
  }
}
