import type { AdditionalStatus, EventType, InvoiceRow, InvoiceStatus, PaymentRow } from './model.js';

export interface InvoiceState {
  readonly status: InvoiceStatus;
  readonly additional_status: AdditionalStatus;
  /** Sum of the payments that count (received before the monitoring window closed), minor units. */
  readonly paid: bigint;
  readonly settled_at_ms: number | null;
}

/** Paid in full within the tolerance: paid ≥ amount × (1 − tolerance/100). */
export function coversAmount(paid: bigint, amount: bigint, tolerance_pct: number): boolean {
  return paid * 100n >= amount * BigInt(100 - tolerance_pct);
}

/**
 * The invoice state machine, as BTCPay Server's: a pure function of the invoice, its payments
 * and the time, so recomputing after any change (payment, confirmation, expiry, restart) gives
 * the same answer. Settled and Invalid are final; marking is applied by the caller.
 */
export function evaluate(invoice: InvoiceRow, payments: readonly PaymentRow[], now_ms: number): InvoiceState {
  const counted = payments.filter((p) => p.counted === 1);
  const paid = counted.reduce((sum, p) => sum + BigInt(p.amount), 0n);
  if (invoice.status === 'Settled' || invoice.status === 'Invalid') {
    const over = invoice.status === 'Settled' && invoice.additional_status === 'None' && paid > BigInt(invoice.amount);
    return {
      status: invoice.status,
      additional_status: over ? 'PaidOver' : invoice.additional_status,
      paid,
      settled_at_ms: invoice.settled_at_ms,
    };
  }
  const amount = BigInt(invoice.amount);
  const expired = invoice.status === 'Expired' || now_ms >= invoice.expires_at_ms;
  if (!coversAmount(paid, amount, invoice.tolerance_pct)) {
    const additional: AdditionalStatus =
      invoice.additional_status === 'Marked' ? 'Marked' : paid > 0n ? 'PaidPartial' : 'None';
    return { status: expired ? 'Expired' : 'New', additional_status: additional, paid, settled_at_ms: null };
  }
  const late = counted.some((p) => p.late === 1);
  const additional: AdditionalStatus = late ? 'PaidLate' : paid > amount ? 'PaidOver' : 'None';
  const final = invoice.confirmation === 'accepted' || counted.every((p) => p.status === 'confirmed');
  return final
    ? { status: 'Settled', additional_status: additional, paid, settled_at_ms: now_ms }
    : { status: 'Processing', additional_status: additional, paid, settled_at_ms: null };
}

/** The webhook events a status change causes, in order. */
export function transitionEvents(before: InvoiceStatus, after: InvoiceStatus): EventType[] {
  if (before === after) return [];
  switch (after) {
    case 'Processing':
      return ['invoice.processing'];
    case 'Settled':
      return ['invoice.settled'];
    case 'Expired':
      return ['invoice.expired'];
    case 'Invalid':
      return ['invoice.invalid'];
    case 'New':
      return [];
  }
}
