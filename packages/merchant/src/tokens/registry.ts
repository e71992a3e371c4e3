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

/** Keys come from verifyPayerToken, so a bad one is a bug in the caller: throw, do not answer. */
export function checkRedemptionKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > REDEMPTION_KEY_LENGTH_MAX) {
    throw new RangeError(
      `A redemption key is 1 to ${REDEMPTION_KEY_LENGTH_MAX} characters, got ${String(key?.length)}.`,
    );
  }
}

/** Lowercase so the quoted name is the name people type unquoted (PostgreSQL folds to lowercase). */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A table or schema name for the SQL registries, validated and double-quoted. */
export function quotedIdentifier(what: 'table' | 'schema', name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new TypeError(
      `Redemption ${what} name must be 1 to 63 lowercase letters, digits and "_", not starting with a digit; got ${JSON.stringify(name)}.`,
    );
  }
  return `"${name}"`;
}

/** A redemption as the SQL registries store it: NULL for a missing reference. */
export type RedemptionRow = Omit<Redemption, 'reference'> & { reference: string | null };

export function redemptionFromRow(row: RedemptionRow): Redemption {
  const { reference, ...rest } = row;
  return reference === null ? rest : { ...rest, reference };
}

export const REDEMPTION_TABLE_DEFAULT = 'webwallet_redemptions';

/**
 * Redemptions in process memory: for tests, single-process demos and short-lived workers. A
 * restart forgets every redemption, so a production seller uses the SQLite or PostgreSQL registry.
 */
export class MemoryRedemptionRegistry implements RedemptionRegistry {
  private readonly redemptions = new Map<string, Redemption>();

  async claim(redemption: Redemption): Promise<boolean> {
    checkRedemptionKey(redemption.key);
    if (this.redemptions.has(redemption.key)) return false;
    this.redemptions.set(redemption.key, redemption);
    return true;
  }

  async release(key: string): Promise<void> {
    checkRedemptionKey(key);
    this.redemptions.delete(key);
  }

  async get(key: string): Promise<Redemption | undefined> {
    checkRedemptionKey(key);
    return this.redemptions.get(key);
  }

  get size(): number {
    return this.redemptions.size;
  }
}
