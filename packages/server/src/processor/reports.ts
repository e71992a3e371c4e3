import { formatAmount, WebWalletError } from '@webwallet/core';
import type { SqlDb } from './db/sql.js';
import type { Mode } from './model.js';

/** Longest report range: 31 days. */
export const REPORT_RANGE_MS_MAX = 31 * 86_400_000;
export const REPORT_ROWS_MAX = 100_000;

/** One RFC 4180 field: quoted when it holds a comma, quote or line break; formula-like text defused. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  // Spreadsheets run cells starting with = + - @ as formulas (CSV injection); a leading ' stops it.
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

function checkRange(from_ms: number, to_ms: number): WebWalletError | undefined {
  if (!(to_ms > from_ms) || to_ms - from_ms > REPORT_RANGE_MS_MAX) {
    return new WebWalletError('invalid_request', {
      errors: [{ path: 'querystring', message: 'need from < to, at most 31 days apart' }],
    });
  }
  return undefined;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function invoicesCsv(db: SqlDb, owner: { store_id: string; mode: Mode }, from_ms: number, to_ms: number) {
  const bad = checkRange(from_ms, to_ms);
  if (bad) return bad;
  const rows = await db.all<{
    id: string;
    status: string;
    additional_status: string;
    amount: string;
    paid: string;
    refunded: string;
    currency: string;
    scale: number;
    order_id: string | null;
    description: string | null;
    created_at_ms: number;
    expires_at_ms: number;
    settled_at_ms: number | null;
  }>(
    `SELECT id, status, additional_status, amount, paid, refunded, currency, scale, order_id, description, created_at_ms,
       expires_at_ms, settled_at_ms FROM invoices WHERE store_id = ? AND mode = ? AND created_at_ms >= ? AND created_at_ms < ?
     ORDER BY created_at_ms, id LIMIT ?`,
    [owner.store_id, owner.mode, from_ms, to_ms, REPORT_ROWS_MAX],
  );
  return csv(
    [
      'id',
      'created_at',
      'status',
      'additional_status',
      'currency',
      'amount',
      'amount_paid',
      'amount_refunded',
      'order_id',
      'description',
      'expires_at',
      'settled_at',
    ],
    rows.map((r) => [
      r.id,
      iso(r.created_at_ms),
      r.status,
      r.additional_status,
      r.currency,
      formatAmount(BigInt(r.amount), r.scale),
      formatAmount(BigInt(r.paid), r.scale),
      formatAmount(BigInt(r.refunded), r.scale),
      r.order_id,
      r.description,
      iso(r.expires_at_ms),
      iso(r.settled_at_ms),
    ]),
  );
}

export async function paymentsCsv(db: SqlDb, owner: { store_id: string; mode: Mode }, from_ms: number, to_ms: number) {
  const bad = checkRange(from_ms, to_ms);
  if (bad) return bad;
  const rows = await db.all<{
    id: string;
    invoice_id: string;
    order_id: string | null;
    rail: string;
    transaction_id: string;
    payer: string;
    amount: string;
    currency: string;
    scale: number;
    status: string;
    late: number;
    received_at_ms: number;
    confirmed_at_ms: number | null;
  }>(
    `SELECT p.id, p.invoice_id, i.order_id, p.rail, p.transaction_id, p.payer, p.amount, p.currency, i.scale, p.status, p.late,
       p.received_at_ms, p.confirmed_at_ms
     FROM payments p JOIN invoices i ON i.id = p.invoice_id
     WHERE i.store_id = ? AND p.mode = ? AND p.received_at_ms >= ? AND p.received_at_ms < ?
     ORDER BY p.received_at_ms, p.id LIMIT ?`,
    [owner.store_id, owner.mode, from_ms, to_ms, REPORT_ROWS_MAX],
  );
  return csv(
    [
      'id',
      'received_at',
      'invoice_id',
      'order_id',
      'rail',
      'transaction_id',
      'from',
      'currency',
      'amount',
      'status',
      'late',
      'confirmed_at',
    ],
    rows.map((r) => [
      r.id,
      iso(r.received_at_ms),
      r.invoice_id,
      r.order_id,
      r.rail,
      r.transaction_id,
      r.payer,
      r.currency,
      formatAmount(BigInt(r.amount), r.scale),
      r.status,
      r.late === 1 ? 'true' : 'false',
      iso(r.confirmed_at_ms),
    ]),
  );
}
