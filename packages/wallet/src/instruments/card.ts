import type { Result } from '@webwallet/core';
import { credentialIssuerId, parseDateTimeStamp, type VerifiedCredential } from './credential.js';
import { exportInstrument } from './import.js';
import type { Coupon, IdentityCard, Instrument, LoyaltyCard, Ticket, Voucher } from './types.js';
import { TEXT_LENGTH_MAX } from './types.js';

/** Most lines a card face shows; the rest is in the card's detail view. */
export const CARD_LINES_MAX = 8;
/** Most credentialSubject properties an identity card lists. */
const SUBJECT_LINES_MAX = 5;

/**
 * What a card shows: the UI draws it (and a QR code of `qr_text`) without knowing instrument
 * kinds. `status` lets the UI grey out expired cards and mark identity cards as (un)verified.
 */
export interface CardFace {
  readonly title: string;
  readonly subtitle: string;
  readonly lines: readonly string[];
  /** What the card's QR code encodes: a ticket's token, a voucher's code, a member id. */
  readonly qr_text?: string;
  readonly status: 'active' | 'expired' | 'verified' | 'unverified';
}

export interface CardFaceOptions {
  /** Clock for expiry, ms since the epoch. Default now. */
  readonly now_ms?: number;
  /** An identity card's `verifyCredential` result, when it has been checked. */
  readonly verification?: Result<VerifiedCredential>;
}

function clip(line: string): string {
  return line.length <= TEXT_LENGTH_MAX ? line : `${line.slice(0, TEXT_LENGTH_MAX - 1)}…`;
}

/** "2025-06-01T18:30:00Z" -> "2025-06-01 18:30 UTC": readable, and the same on every device. */
export function displayTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function hosts(origins: readonly string[]): string {
  return origins.map((o) => new URL(o).host).join(', ');
}

function expiry(expiresAt: string | undefined, nowMs: number): { line?: string; expired: boolean } {
  if (expiresAt === undefined) return { expired: false };
  const expired = Date.parse(expiresAt) <= nowMs;
  return { line: `${expired ? 'Expired' : 'Valid until'} ${displayTime(expiresAt)}`, expired };
}

function face(
  instrument: Instrument,
  subtitle: string,
  lines: readonly (string | undefined)[],
  extra: { qr_text?: string; status: CardFace['status'] },
): CardFace {
  const shown = lines.filter((l): l is string => l !== undefined).map(clip);
  return { title: clip(instrument.title), subtitle: clip(subtitle), lines: shown.slice(0, CARD_LINES_MAX), ...extra };
}

function voucherFace(v: Voucher, nowMs: number): CardFace {
  const until = expiry(v.expires_at, nowMs);
  const where = v.merchant_origins ? `At ${hosts(v.merchant_origins)}` : undefined;
  const lines = [v.issuer, where, v.code === undefined ? undefined : `Code ${v.code}`, until.line];
  // The QR code is what a till scans: the code, else the redeem link, else the voucher itself.
  const qr = v.code ?? v.redeem_url ?? exportInstrument(v);
  return face(v, `${v.amount} ${v.currency}`, lines, { qr_text: qr, status: until.expired ? 'expired' : 'active' });
}

function couponFace(c: Coupon, nowMs: number): CardFace {
  const until = expiry(c.expires_at, nowMs);
  const off = c.percent_off !== undefined ? `${c.percent_off}% off` : `${c.amount_off} ${c.currency} off`;
  const lines = [c.issuer, `At ${hosts(c.merchant_origins)}`, `Code ${c.code}`, until.line];
  return face(c, off, lines, { qr_text: c.code, status: until.expired ? 'expired' : 'active' });
}

function ticketFace(t: Ticket, nowMs: number): CardFace {
  const until = expiry(t.expires_at, nowMs);
  const lines = [
    t.starts_at === undefined ? undefined : `Starts ${displayTime(t.starts_at)}`,
    t.venue,
    t.issuer,
    until.expired ? until.line : undefined,
  ];
  return face(t, t.event, lines, { qr_text: t.token, status: until.expired ? 'expired' : 'active' });
}

function loyaltyFace(l: LoyaltyCard): CardFace {
  const lines = [`Member ${l.member_id}`, l.points === undefined ? undefined : `${l.points} points`, l.issuer];
  return face(l, l.program, lines, { qr_text: l.member_id, status: 'active' });
}

function subjectLines(card: IdentityCard): string[] {
  const subjects = card.credential.credentialSubject;
  const subject = (Array.isArray(subjects) ? subjects[0] : subjects) as Record<string, unknown>;
  return Object.entries(subject ?? {})
    .filter(([key, value]) => key !== 'id' && ['string', 'number', 'boolean'].includes(typeof value))
    .slice(0, SUBJECT_LINES_MAX)
    .map(([key, value]) => `${key}: ${String(value)}`);
}

function verificationLine(verification: Result<VerifiedCredential> | undefined): {
  line: string;
  status: CardFace['status'];
} {
  if (verification === undefined) return { line: 'Not checked yet', status: 'unverified' };
  if (verification.ok) return { line: 'Verified (eddsa-jcs-2022)', status: 'verified' };
  if (verification.error.code === 'credential_expired') {
    return { line: `Signature valid, but ${String(verification.error.details.reason)}`, status: 'expired' };
  }
  return {
    line: `Not verified: ${String(verification.error.details.reason ?? verification.error.code)}`,
    status: 'unverified',
  };
}

function identityFace(card: IdentityCard, options: CardFaceOptions): CardFace {
  const vc = card.credential;
  const issuerName = typeof vc.issuer === 'object' && typeof vc.issuer.name === 'string' ? vc.issuer.name : undefined;
  const checked = verificationLine(options.verification);
  const until = parseDateTimeStamp(vc.validUntil);
  const lines = [
    ...subjectLines(card),
    vc.validUntil === undefined || until === undefined ? undefined : `Valid until ${displayTime(vc.validUntil)}`,
    checked.line,
  ];
  const subtitle = card.issuer ?? issuerName ?? credentialIssuerId(vc);
  return face(card, subtitle, lines, { status: checked.status });
}

/**
 * The card a wallet shows for an instrument.
 *
 * @example
 * const face = cardFace(ticket);
 * face.qr_text; // the payer token the door scans
 */
export function cardFace(instrument: Instrument, options: CardFaceOptions = {}): CardFace {
  const nowMs = options.now_ms ?? Date.now();
  switch (instrument.kind) {
    case 'voucher':
      return voucherFace(instrument, nowMs);
    case 'coupon':
      return couponFace(instrument, nowMs);
    case 'ticket':
      return ticketFace(instrument, nowMs);
    case 'loyalty':
      return loyaltyFace(instrument);
    case 'identity':
      return identityFace(instrument, options);
  }
}
