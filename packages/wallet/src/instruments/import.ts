import { canonicalize, decodePayerToken, err, PAYER_TOKEN_PREFIX, type Result } from '@webwallet/core';
import { credentialIssuerId, credentialProblem, credentialTypes, type VerifiableCredential } from './credential.js';
import type { IdentityCard, Instrument, Ticket } from './types.js';
import { IMPORT_TEXT_LENGTH_MAX, TEXT_LENGTH_MAX } from './types.js';
import { invalidField, isControl, newInstrumentId, validateInstrument } from './validate.js';

export interface ImportOptions {
  /** Clock for `added_at`, ms since the epoch. Default now. */
  readonly now_ms?: number;
  /** The id to give a card that comes without one. Default a new random id. */
  readonly id?: string;
}

/** The text form of an instrument (canonical JSON): a file to share, or a QR code's content. */
export function exportInstrument(instrument: Instrument): string {
  return canonicalize(instrument);
}

/** One line of display text from a credential's own text: controls become spaces, long text is cut. */
function displayText(value: string): string {
  const chars = Array.from(value, (c) => (isControl(c.charCodeAt(0)) ? ' ' : c));
  const line = chars.join('').replace(/ {2,}/g, ' ').trim();
  return line.length <= TEXT_LENGTH_MAX ? line : `${line.slice(0, TEXT_LENGTH_MAX - 1)}…`;
}

/** A VC 2.0 name: a string, a language value {"@value": …}, or a list of language values. */
function languageText(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first;
  const literal = (first as { '@value'?: unknown } | null | undefined)?.['@value'];
  return typeof literal === 'string' ? literal : undefined;
}

function credentialTitle(vc: VerifiableCredential): string {
  const name = languageText(vc.name);
  if (name !== undefined && name.trim() !== '') return displayText(name);
  const specific = credentialTypes(vc).filter((t) => t !== 'VerifiableCredential');
  return displayText(specific[specific.length - 1] ?? 'Credential');
}

function credentialIssuerName(vc: VerifiableCredential): string {
  const name = typeof vc.issuer === 'object' ? languageText(vc.issuer.name) : undefined;
  return displayText(name !== undefined && name.trim() !== '' ? name : credentialIssuerId(vc));
}

/**
 * An identity card holding a credential. The card is made whatever the proof: `verifyCredential`
 * decides later whether it shows as verified.
 */
export function identityCardFrom(credential: unknown, options: ImportOptions = {}): Result<IdentityCard> {
  const problem = credentialProblem(credential);
  if (problem !== undefined) return invalidField('credential', problem);
  const vc = credential as VerifiableCredential;
  const card = {
    id: options.id ?? newInstrumentId(),
    kind: 'identity',
    title: credentialTitle(vc),
    issuer: credentialIssuerName(vc),
    added_at: new Date(options.now_ms ?? Date.now()).toISOString(),
    credential: vc,
  };
  return validateInstrument(card) as Result<IdentityCard>;
}

/** A ticket holding a payer token; the event is the payment's reference (the order), else the shop. */
export async function ticketFrom(token: string, options: ImportOptions = {}): Promise<Result<Ticket>> {
  const decoded = await decodePayerToken(token);
  if (!decoded.ok) return invalidField('token', `the payer token is damaged: ${String(decoded.error.details.reason)}`);
  const claims = decoded.value.token.body;
  const shop = new URL(claims.audience).host;
  const event = displayText(claims.reference ?? `Ticket for ${shop}`);
  const ticket = {
    id: options.id ?? newInstrumentId(),
    kind: 'ticket',
    title: event,
    issuer: shop,
    added_at: new Date(options.now_ms ?? Date.now()).toISOString(),
    token: token.trim(),
    event,
    expires_at: claims.expires_at,
  };
  return validateInstrument(ticket) as Result<Ticket>;
}

async function instrumentFromJson(value: Record<string, unknown>, options: ImportOptions): Promise<Result<Instrument>> {
  const filled = {
    ...value,
    id: value.id ?? options.id ?? newInstrumentId(),
    added_at: value.added_at ?? new Date(options.now_ms ?? Date.now()).toISOString(),
  };
  const instrument = validateInstrument(filled);
  if (!instrument.ok || instrument.value.kind !== 'ticket') return instrument;
  // The shape check above is syntactic; a ticket's token must also decode, or the door cannot read it.
  const decoded = await decodePayerToken(instrument.value.token);
  return decoded.ok ? instrument : invalidField('token', `the payer token is damaged: ${decoded.error.details.reason}`);
}

/**
 * Reads a card from pasted text, a scanned QR code or a file: an instrument's JSON (as written by
 * `exportInstrument`; id and added_at are filled in when missing), a W3C Verifiable Credential's
 * JSON (becomes an identity card), or a payer token "wwpt1.…" (becomes a ticket). Anything else
 * fails with `instrument_invalid` and details.reason.
 *
 * @example
 * const card = await parseInstrumentImport(scannedText);
 * if (card.ok) wallet.putInstrument(card.value);
 */
export async function parseInstrumentImport(text: unknown, options: ImportOptions = {}): Promise<Result<Instrument>> {
  if (typeof text !== 'string') return invalidField('', 'import text is a string');
  if (text.length > IMPORT_TEXT_LENGTH_MAX) return invalidField('', `longer than ${IMPORT_TEXT_LENGTH_MAX} characters`);
  const trimmed = text.trim();
  if (trimmed.startsWith(PAYER_TOKEN_PREFIX)) return ticketFrom(trimmed, options);
  if (!trimmed.startsWith('{')) {
    return err('instrument_invalid', {
      field: '',
      reason: `not a card: expected instrument JSON, a verifiable credential, or a payer token ("${PAYER_TOKEN_PREFIX}…")`,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return invalidField('', 'not valid JSON (truncated?)');
  }
  const record = value as Record<string, unknown>;
  if ('@context' in record) return identityCardFrom(record, options);
  if ('kind' in record) return instrumentFromJson(record, options);
  return invalidField('', 'JSON that is neither an instrument (with "kind") nor a credential (with "@context")');
}
