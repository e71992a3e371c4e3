/**
 * The things a wallet holds besides money: prepaid vouchers, discount coupons, event tickets,
 * loyalty cards and identity cards (W3C Verifiable Credentials 2.0). Receipts are kept apart, in
 * the wallet document's receipts map, because they come from the ledger.
 *
 * Every instrument is plain JSON (it replicates between devices inside the wallet document), so
 * amounts are decimal strings and times are RFC 3339 UTC strings, as on the ledger.
 */

import type { VerifiableCredential } from './credential.js';

export const INSTRUMENT_KINDS = ['voucher', 'coupon', 'ticket', 'loyalty', 'identity'] as const;
export type InstrumentKind = (typeof INSTRUMENT_KINDS)[number];

/** Instrument and contact ids: what a ledger transaction id may be, so they travel in URLs. */
export const INSTRUMENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest one-line text: titles, issuer names, event names, venues, programs. */
export const TEXT_LENGTH_MAX = 200;
/** Longest voucher or coupon code and loyalty member id. */
export const CODE_LENGTH_MAX = 256;
export const URL_LENGTH_MAX = 2_048;
/** An image is an http(s) URL or a small data: URL (a logo), so it fits in the synced document. */
export const IMAGE_LENGTH_MAX = 32_768;
/** Most merchant origins one coupon or voucher may name. */
export const MERCHANT_ORIGINS_MAX = 32;
/** Largest credential, as canonical JSON: real credentials are a few KB. */
export const CREDENTIAL_JSON_BYTES_MAX = 65_536;
/** Largest text `parseInstrumentImport` reads (a credential plus its instrument wrapper). */
export const IMPORT_TEXT_LENGTH_MAX = 131_072;

/** Fields every instrument has. */
export interface InstrumentBase {
  /** Stable id, unique in the wallet ("ins_…" when the wallet makes it). */
  readonly id: string;
  readonly kind: InstrumentKind;
  /** What the card says on top. */
  readonly title: string;
  /** Who issued it, as a person reads it: a shop's name, an origin, a DID. */
  readonly issuer?: string;
  /** When it entered the wallet (RFC 3339 UTC). */
  readonly added_at: string;
  /** A logo: an http(s) URL or a data:image/…;base64 URL. */
  readonly image?: string;
}

/** Prepaid value: a gift card. */
export interface Voucher extends InstrumentBase {
  readonly kind: 'voucher';
  /** Remaining value, a positive decimal string. */
  readonly amount: string;
  readonly currency: string;
  /** What the merchant types or scans to redeem it. */
  readonly code?: string;
  readonly expires_at?: string;
  /** Where to redeem or check the balance. */
  readonly redeem_url?: string;
  /**
   * The merchants that take it. When absent, the origin of `redeem_url`; when that is absent
   * too, any merchant selling in the voucher's currency.
   */
  readonly merchant_origins?: readonly string[];
}

/** A discount: exactly one of `percent_off`, or `amount_off` with `currency`. */
export interface Coupon extends InstrumentBase {
  readonly kind: 'coupon';
  /** Decimal string, more than 0 and at most 100, at most 2 decimals: "15", "12.5". */
  readonly percent_off?: string;
  /** Positive decimal string, in `currency`. */
  readonly amount_off?: string;
  readonly currency?: string;
  /** The merchant origins it applies at ("https://shop.example"). */
  readonly merchant_origins: readonly string[];
  readonly code: string;
  readonly expires_at?: string;
}

/** An event ticket: a payer token proves the holder paid for it (see docs/payer-tokens.md). */
export interface Ticket extends InstrumentBase {
  readonly kind: 'ticket';
  /** The payer token text, "wwpt1.…"; the door scans it. */
  readonly token: string;
  readonly event: string;
  readonly starts_at?: string;
  readonly venue?: string;
  /** The token's own expiry, copied at import so the card can show it without decoding. */
  readonly expires_at?: string;
}

export interface LoyaltyCard extends InstrumentBase {
  readonly kind: 'loyalty';
  readonly program: string;
  readonly member_id: string;
  /** Points as the program last reported them: a non-negative integer. */
  readonly points?: number;
}

/** An identity card: a W3C Verifiable Credential 2.0, verified with `verifyCredential`. */
export interface IdentityCard extends InstrumentBase {
  readonly kind: 'identity';
  readonly credential: VerifiableCredential;
}

export type Instrument = Voucher | Coupon | Ticket | LoyaltyCard | IdentityCard;
