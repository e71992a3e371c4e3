/**
 * Webhook signatures as docs/processor.md defines them:
 * `WebWallet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]`.
 * A delivery carries one v1 per valid secret while a secret is being rotated. Uses WebCrypto only,
 * so verification runs unchanged on Node and edge runtimes.
 */
import { WebhookVerificationError } from './errors.js';
import type { WebhookEvent } from './types.js';

/** The node's header name; Node's `req.headers` has it lower-cased. */
export const SIGNATURE_HEADER = 'WebWallet-Signature';
/** Deliveries signed more than this many seconds from now are refused (replay protection). */
export const DEFAULT_TOLERANCE_S = 300;
/** Limits on what a header may hold before it is refused unparsed. */
const HEADER_CHARS_MAX = 4096;
const SIGNATURES_MAX = 16;
const SIGNATURE_HEX = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

export interface VerifyWebhookOptions {
  /** Largest accepted distance between the signature's `t` and now, in seconds. Default 300. */
  tolerance_s?: number;
  /** "Now" in unix seconds; for tests and for re-checking stored deliveries. */
  now_s?: number;
}

interface ParsedHeader {
  t: number;
  signatures: Uint8Array[];
}

const encoder = new TextEncoder();

function bytesOf(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? encoder.encode(body) : body;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** "t=…,v1=…[,v1=…]". Unknown schemes (a future v2, say) are skipped so that they can be added later. */
function parseHeader(header: string): ParsedHeader {
  if (header.length > HEADER_CHARS_MAX) throw new WebhookVerificationError('header_malformed', 'header too long');
  let t: number | undefined;
  const signatures: Uint8Array[] = [];
  for (const item of header.split(',')) {
    const [scheme, value, extra] = item.trim().split('=');
    if (value === undefined || extra !== undefined) throw new WebhookVerificationError('header_malformed');
    if (scheme === 't') {
      if (t !== undefined || !TIMESTAMP.test(value)) throw new WebhookVerificationError('header_malformed', 'bad t');
      t = Number(value);
    } else if (scheme === 'v1') {
      if (!SIGNATURE_HEX.test(value)) throw new WebhookVerificationError('header_malformed', 'bad v1');
      signatures.push(hexToBytes(value));
    }
  }
  if (t === undefined || signatures.length === 0) throw new WebhookVerificationError('header_malformed', 'no t or v1');
  if (signatures.length > SIGNATURES_MAX) throw new WebhookVerificationError('header_malformed', 'too many v1');
  return { t, signatures };
}

/** HMAC-SHA256(secret, "<t>." || body), over the body's exact bytes. */
async function hmac(secret: string, t: number, body: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const prefix = encoder.encode(`${t}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
}

/**
 * Compares every byte whatever the first difference, so that the time taken does not tell an
 * attacker how much of a forged signature is right.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function secretList(secret: string | readonly string[]): readonly string[] {
  const list = typeof secret === 'string' ? [secret] : secret;
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s === '')) {
    throw new TypeError('Pass the webhook secret ("whsec_…"), or a non-empty array of them.');
  }
  return list;
}

async function anySignatureMatches(secrets: readonly string[], parsed: ParsedHeader, body: Uint8Array) {
  let matched = false;
  for (const secret of secrets) {
    const expected = await hmac(secret, parsed.t, body);
    // No early exit: every candidate is compared in full.
    for (const signature of parsed.signatures) matched = timingSafeEqual(expected, signature) || matched;
  }
  return matched;
}

function checkTolerance(t: number, options: VerifyWebhookOptions): void {
  const tolerance_s = options.tolerance_s ?? DEFAULT_TOLERANCE_S;
  if (!(tolerance_s >= 0)) throw new RangeError('tolerance_s must be a number of seconds, at least 0.');
  const now_s = options.now_s ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now_s - t) > tolerance_s) {
    throw new WebhookVerificationError('timestamp_outside_tolerance', `t=${t}, now=${now_s}`);
  }
}

function isEvent(value: unknown): value is WebhookEvent {
  const v = value as { id?: unknown; type?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && typeof v.type === 'string';
}

function parseEvent(body: Uint8Array): WebhookEvent {
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new WebhookVerificationError('body_invalid');
  }
  if (!isEvent(event)) throw new WebhookVerificationError('body_invalid', 'expected an object with id and type');
  return event;
}

/** Node types headers as `string | string[]`; a repeated header's values form one list. */
function headerText(header: string | readonly string[] | null | undefined): string {
  const text = typeof header === 'string' ? header : Array.isArray(header) ? header.join(',') : header;
  if (text === null || text === undefined) throw new WebhookVerificationError('header_missing');
  if (typeof text !== 'string') throw new WebhookVerificationError('header_malformed', 'not a string');
  if (text.trim() === '') throw new WebhookVerificationError('header_missing');
  return text;
}

/**
 * Checks a webhook delivery's `WebWallet-Signature` against the raw request body, then parses
 * it. Throws `WebhookVerificationError` (with a `reason`) unless a `v1` signature matches one of
 * the secrets and its timestamp is within `tolerance_s` of now. Pass the body exactly as received:
 * JSON parsed and serialized again does not verify. Deliveries arrive at least once, so
 * deduplicate on `event.id`.
 *
 * @example
 * const event = await verifyWebhook(rawBody, req.headers['webwallet-signature'], process.env.WW_WEBHOOK_SECRET!);
 * if (event.type === 'invoice.settled') await fulfil(event.data.invoice.order_id);
 *
 * @param secret One secret, or several while rotating (`[newSecret, oldSecret]`).
 */
export async function verifyWebhook(
  rawBody: string | Uint8Array,
  signatureHeader: string | readonly string[] | null | undefined,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const secrets = secretList(secret);
  const parsed = parseHeader(headerText(signatureHeader));
  const body = bytesOf(rawBody);
  // The signature first: a stale timestamp is only worth reporting on a delivery that is authentic.
  if (!(await anySignatureMatches(secrets, parsed, body))) throw new WebhookVerificationError('signature_mismatch');
  checkTolerance(parsed.t, options);
  return parseEvent(body);
}

/**
 * Builds the `WebWallet-Signature` header the node would send for this body, so that a merchant's
 * tests can post signed deliveries to their own webhook handler.
 *
 * @example
 * const body = JSON.stringify({ id: 'evt_1', type: 'invoice.settled', data: { invoice } });
 * const header = await signWebhookPayload(body, 'whsec_test');
 * await fetch('http://localhost:3000/webhooks', { method: 'POST', body, headers: { 'WebWallet-Signature': header } });
 *
 * @param secret One secret, or several to sign as the node does during a rotation.
 * @param t Unix seconds; defaults to now.
 */
export async function signWebhookPayload(
  rawBody: string | Uint8Array,
  secret: string | readonly string[],
  t: number = Math.floor(Date.now() / 1000),
): Promise<string> {
  if (!Number.isSafeInteger(t) || t < 0) throw new RangeError('t must be a whole number of unix seconds.');
  const body = bytesOf(rawBody);
  const signatures = await Promise.all(secretList(secret).map((s) => hmac(s, t, body)));
  return [`t=${t}`, ...signatures.map((s) => `v1=${bytesToHex(s)}`)].join(',');
}
