import { randomBytes } from 'node:crypto';

export type Mode = 'live' | 'test';
export const MODES: readonly Mode[] = ['live', 'test'];

export const SCOPES = ['invoices:read', 'invoices:write', 'refunds', 'payouts', 'webhooks', 'reports', 'keys'] as const;
export type Scope = (typeof SCOPES)[number];

export const INVOICE_STATUSES = ['New', 'Processing', 'Settled', 'Expired', 'Invalid'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export const ADDITIONAL_STATUSES = ['None', 'PaidPartial', 'PaidOver', 'PaidLate', 'Marked'] as const;
export type AdditionalStatus = (typeof ADDITIONAL_STATUSES)[number];
export type Confirmation = 'accepted' | 'sealed';

export const EVENT_TYPES = [
  'invoice.created',
  'invoice.payment_received',
  'invoice.processing',
  'invoice.settled',
  'invoice.expired',
  'invoice.invalid',
  'refund.created',
  'refund.succeeded',
  'refund.failed',
  'payout.created',
  'payout.succeeded',
  'payout.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` base62 characters from a CSPRNG (rejection sampling keeps them uniform). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

const BASE32 = '0123456789abcdefghijklmnopqrstuv';
let lastTime = -1;
let lastRandom: number[] = [];

/**
 * A typed id such as inv_01jd5y…: 10 characters of creation time then 16 random ones (80
 * bits), lower-case base32 so that ids sort by creation time in every database collation.
 * Within one millisecond the random part counts up (as ULID's monotonic mode), so events written
 * in one transaction keep their order. Lists page by id, newest first.
 */
export function newId(prefix: string, now_ms = Date.now()): string {
  if (now_ms <= lastTime) {
    increment(lastRandom);
  } else {
    lastTime = now_ms;
    lastRandom = [...randomBytes(16)].map((byte) => byte & 31);
  }
  let time = '';
  for (let rest = lastTime, i = 0; i < 10; i++, rest = Math.floor(rest / 32)) time = BASE32[rest % 32] + time;
  return `${prefix}_${time}${lastRandom.map((d) => BASE32[d]).join('')}`;
}

function increment(digits: number[]): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    digits[i] = (digits[i]! + 1) % 32;
    if (digits[i] !== 0) return;
  }
}

export interface StoreSettings {
  /** First matching tier decides how final a payment must be; default `sealed`. */
  readonly confirmation_tiers: readonly {
    readonly currency: string;
    readonly amount_max: string;
    readonly confirmation: Confirmation;
  }[];
}

export const DEFAULT_STORE_SETTINGS: StoreSettings = { confirmation_tiers: [] };

export interface StoreRow {
  readonly id: string;
  readonly merchant_id: string;
  readonly name: string;
  readonly live_account: string;
  readonly test_account: string;
  readonly settings_json: string;
  readonly created_at_ms: number;
}

export interface InvoiceRow {
  readonly id: string;
  readonly store_id: string;
  readonly mode: Mode;
  readonly status: InvoiceStatus;
  readonly additional_status: AdditionalStatus;
  readonly amount: string;
  readonly currency: string;
  readonly scale: number;
  readonly paid: string;
  readonly refunded: string;
  readonly tolerance_pct: number;
  readonly order_id: string | null;
  readonly description: string | null;
  readonly metadata_json: string;
  readonly redirect_url: string | null;
  readonly payee: string;
  readonly confirmation: Confirmation;
  readonly created_at_ms: number;
  readonly expires_at_ms: number;
  readonly monitoring_until_ms: number;
  readonly settled_at_ms: number | null;
  readonly link_id: string | null;
  readonly version: number;
}

export interface PaymentRow {
  readonly id: string;
  readonly invoice_id: string;
  readonly mode: Mode;
  readonly rail: string;
  readonly transaction_id: string;
  readonly seq: number;
  readonly payer: string;
  readonly amount: string;
  readonly currency: string;
  readonly status: 'pending' | 'confirmed';
  readonly late: number;
  readonly counted: number;
  readonly received_at_ms: number;
  readonly confirmed_at_ms: number | null;
  readonly block_height: number | null;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}
