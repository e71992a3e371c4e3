import { randomBytes, verify } from './crypto.js';
import { deflateRaw, InflateLimitError, inflateRaw } from './deflate.js';
import { createDocument, documentHash, type SignedDocument, signingPayload } from './document.js';
import { decodePrefixed, encodePrefixed, fromBase64Url, fromUtf8, toBase64Url } from './encoding.js';
import { err, ok, type Result, type WebWalletError } from './errors.js';
import { type Receipt, verifyReceiptInclusion } from './receipt.js';

/**
 * Payer tokens: the payer proves "I am the one who paid" with a statement signed by the key that
 * made a ledger payment, and anyone who trusts the node's key can check it, offline when the token
 * carries the payment's receipt. docs/payer-tokens.md specifies the format.
 */

export const PAYER_TOKEN_TYPE = 'webwallet.payer_token';
export const PAYER_TOKEN_VERSION = 1;
/** Text form: this prefix, then base64url of the raw-DEFLATE-compressed JSON envelope. */
export const PAYER_TOKEN_PREFIX = 'wwpt1.';
/** Longest token text accepted; a full token with a 30-step proof is about 2.5 KB. */
export const PAYER_TOKEN_TEXT_LENGTH_MAX = 16_384;
/** Most bytes a token may inflate to: bounds the work a hostile token can cause. */
export const PAYER_TOKEN_JSON_BYTES_MAX = 65_536;
/** Longest lifetime (expires_at - issued_at) a token may claim: a ticket bought a year ahead. */
export const PAYER_TOKEN_LIFETIME_MAX_S = 366 * 86_400;
export const PAYER_TOKEN_LIFETIME_DEFAULT_S = 86_400;
/** Allowed clock difference between the payer's device and the verifier. */
export const CLOCK_SKEW_DEFAULT_S = 300;
export const REFERENCE_LENGTH_MAX = 256;
export const AUDIENCE_LENGTH_MAX = 512;

/** The signed statement. Every field is checked against the payment or the verifier's terms. */
export interface PayerTokenClaims {
  /** Which payment: the ledger node's public key and the transaction's id on that node. */
  readonly payment: { readonly node: string; readonly transaction: string };
  /** The paying account ("pub_…"), whose key signs the token. */
  readonly payer: string;
  /** The account paid, and how much of which currency it received from the payer. */
  readonly payee: string;
  readonly amount: string;
  readonly currency: string;
  /** The payment's memo (an order or invoice id), when it has one. */
  readonly reference?: string;
  /** The origin the token is for, e.g. "https://shop.example". */
  readonly audience: string;
  /** 128 random bits (base64url): two tokens for one payment never look alike. */
  readonly nonce: string;
  readonly issued_at: string;
  readonly expires_at: string;
}

/** The decoded token: the signed claims and, in the full form, the payment's receipt. */
export interface PayerToken {
  readonly token: SignedDocument<PayerTokenClaims>;
  readonly receipt?: Receipt;
}

// ---------------------------------------------------------------------------------------------
// Text form

export async function encodePayerToken(token: PayerToken): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(token));
  return PAYER_TOKEN_PREFIX + toBase64Url(await deflateRaw(json));
}

function malformed(reason: string): Result<never> {
  return err('token_malformed', { reason });
}

/** Parses token text (surrounding whitespace is ignored); checks the envelope's shape only. */
export async function decodePayerToken(text: unknown): Promise<Result<PayerToken>> {
  if (typeof text !== 'string') return malformed('a token is a string');
  if (text.length > PAYER_TOKEN_TEXT_LENGTH_MAX) {
    return malformed(`longer than ${PAYER_TOKEN_TEXT_LENGTH_MAX} characters`);
  }
  const trimmed = text.trim();
  if (!trimmed.startsWith(PAYER_TOKEN_PREFIX)) return malformed(`does not start with "${PAYER_TOKEN_PREFIX}"`);
  const bytes = fromBase64Url(trimmed.slice(PAYER_TOKEN_PREFIX.length));
  if (!bytes.ok) return malformed('not base64url after the prefix (truncated or garbled?)');
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(await inflateRaw(bytes.value, PAYER_TOKEN_JSON_BYTES_MAX)));
  } catch (error) {
    if (error instanceof InflateLimitError) return malformed(`inflates beyond ${PAYER_TOKEN_JSON_BYTES_MAX} bytes`);
    return malformed('does not decompress to JSON (truncated or garbled?)');
  }
  return checkEnvelope(json);
}

function checkEnvelope(value: unknown): Result<PayerToken> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return malformed('not a JSON object');
  const extra = Object.keys(value).filter((k) => k !== 'token' && k !== 'receipt');
  if (extra.length > 0) return malformed(`unknown fields: ${extra.join(', ')}`);
  const { token, receipt } = value as { token?: unknown; receipt?: unknown };
  const doc = token as Partial<SignedDocument> | undefined;
  if (typeof doc !== 'object' || doc === null || doc.type !== PAYER_TOKEN_TYPE || doc.version !== PAYER_TOKEN_VERSION) {
    return malformed(`token must be a "${PAYER_TOKEN_TYPE}" version ${PAYER_TOKEN_VERSION} document`);
  }
  if (!Array.isArray(doc.signatures) || doc.signatures.length !== 1) return malformed('exactly one signature');
  const claims = checkClaims(doc.body);
  if (!claims.ok) return claims;
  if (receipt !== undefined && (typeof receipt !== 'object' || receipt === null)) {
    return malformed('receipt must be an object');
  }
  return ok(value as PayerToken);
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const DECIMAL = /^(0|[1-9]\d{0,29})(\.\d{1,18})?$/;
const CURRENCY = /^[A-Z0-9][A-Z0-9-]{0,11}$/;
const ACCOUNT = /^(pub_[A-Za-z0-9_-]{43}|acc_[A-Za-z0-9_-]{4,40})$/;
const PUB = /^pub_[A-Za-z0-9_-]{43}$/;
const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const NONCE = /^[A-Za-z0-9_-]{22}$/;
const CLAIM_FIELDS = new Set([
  'payment',
  'payer',
  'payee',
  'amount',
  'currency',
  'reference',
  'audience',
  'nonce',
  'issued_at',
  'expires_at',
]);

function str(value: unknown, pattern: RegExp): boolean {
  return typeof value === 'string' && pattern.test(value);
}

function checkClaims(body: unknown): Result<PayerTokenClaims> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return malformed('claims are an object');
  const c = body as Record<string, unknown>;
  const extra = Object.keys(c).filter((k) => !CLAIM_FIELDS.has(k));
  if (extra.length > 0) return malformed(`unknown claims: ${extra.join(', ')}`);
  const payment = c.payment as Record<string, unknown> | null | undefined;
  if (typeof payment !== 'object' || payment === null || Object.keys(payment).length !== 2) {
    return malformed('payment is {node, transaction}');
  }
  if (!str(payment.node, PUB) || !str(payment.transaction, CLIENT_ID)) {
    return malformed('payment.node is a "pub_…" key and payment.transaction a transaction id');
  }
  if (!str(c.payer, PUB)) return malformed('payer is a "pub_…" account (a self-custody account pays)');
  if (!str(c.payee, ACCOUNT)) return malformed('payee is an account id');
  if (!str(c.amount, DECIMAL) || !str(c.currency, CURRENCY)) return malformed('amount and currency');
  if (c.reference !== undefined && (typeof c.reference !== 'string' || c.reference.length > REFERENCE_LENGTH_MAX)) {
    return malformed(`reference is a string of at most ${REFERENCE_LENGTH_MAX} characters`);
  }
  if (typeof c.audience !== 'string' || originOf(c.audience) !== c.audience) {
    return malformed('audience is an origin such as "https://shop.example"');
  }
  if (!str(c.nonce, NONCE)) return malformed('nonce is 16 bytes of base64url');
  const lifetime = lifetimeS(c.issued_at, c.expires_at);
  if (lifetime === undefined) return malformed('issued_at and expires_at are RFC 3339 UTC times');
  if (lifetime <= 0 || lifetime > PAYER_TOKEN_LIFETIME_MAX_S) {
    return malformed(`expires_at is after issued_at, by at most ${PAYER_TOKEN_LIFETIME_MAX_S} s`);
  }
  return ok(c as unknown as PayerTokenClaims);
}

function lifetimeS(issued: unknown, expires: unknown): number | undefined {
  if (!str(issued, TIMESTAMP) || !str(expires, TIMESTAMP)) return undefined;
  const from = Date.parse(issued as string);
  const to = Date.parse(expires as string);
  if (Number.isNaN(from) || Number.isNaN(to)) return undefined;
  return (to - from) / 1000;
}

/** The ASCII origin of a URL ("https://shop.example:8443"), or undefined for a non-HTTP(S) URL. */
export function originOf(url: string): string | undefined {
  if (url.length > AUDIENCE_LENGTH_MAX) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// What a payment document says

/** The amount one payer paid one payee, read from a ledger transaction document's body. */
export interface PaymentTerms {
  readonly payer: string;
  readonly payee: string;
  readonly currency: string;
  readonly amount: string;
  readonly reference?: string;
}

interface LegLike {
  from?: unknown;
  to?: unknown;
  currency?: unknown;
  amount?: unknown;
}

/**
 * Every (payer, payee, currency) a transaction pays, with amounts summed over legs. Only final
 * payments count: a `ledger.transfer` without `pending` terms, or a `ledger.payment`. Holds are
 * not payments (they may still be voided).
 */
export function paymentTerms(document: { type: string; body: unknown }): PaymentTerms[] | undefined {
  const body = (document.body ?? {}) as Record<string, unknown>;
  const reference = typeof body.memo === 'string' ? { reference: body.memo } : {};
  if (document.type === 'ledger.payment') {
    const deliver = (body.deliver ?? {}) as { currency?: unknown; amount?: unknown };
    const legs = [{ from: body.from, to: body.to, currency: deliver.currency, amount: deliver.amount }];
    return sumLegs(legs, reference);
  }
  if (document.type === 'ledger.transfer' && body.pending === undefined && Array.isArray(body.legs)) {
    return sumLegs(body.legs as LegLike[], reference);
  }
  return undefined;
}

function sumLegs(legs: readonly LegLike[], reference: { reference?: string }): PaymentTerms[] {
  const sums = new Map<string, { payer: string; payee: string; currency: string; amount: string }>();
  for (const leg of legs) {
    if (!str(leg.from, ACCOUNT) || !str(leg.to, ACCOUNT) || !str(leg.currency, CURRENCY)) continue;
    if (!str(leg.amount, DECIMAL)) continue;
    const key = `${leg.from} ${leg.to} ${leg.currency}`;
    const prior = sums.get(key);
    const amount = prior ? addDecimal(prior.amount, leg.amount as string) : (leg.amount as string);
    sums.set(key, { payer: leg.from as string, payee: leg.to as string, currency: leg.currency as string, amount });
  }
  return [...sums.values()].map((t) => ({ ...t, ...reference }));
}

// Amounts here are decimal strings of unknown scale (the receipt does not carry the currency's
// scale), compared exactly as scaled bigints: no floating point, no range limit.
function scaled(text: string, decimals: number): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

function decimalsOf(text: string): number {
  return text.split('.')[1]?.length ?? 0;
}

export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const d = Math.max(decimalsOf(a), decimalsOf(b));
  const x = scaled(a, d);
  const y = scaled(b, d);
  return x < y ? -1 : x > y ? 1 : 0;
}

function addDecimal(a: string, b: string): string {
  const d = Math.max(decimalsOf(a), decimalsOf(b));
  const digits = (scaled(a, d) + scaled(b, d)).toString().padStart(d + 1, '0');
  return d === 0 ? digits : `${digits.slice(0, -d)}.${digits.slice(-d)}`;
}

// ---------------------------------------------------------------------------------------------
// Creating

export interface CreatePayerTokenOptions {
  /** The paying account's key pair; its public key must be the payer in the payment. */
  readonly keyPair: { readonly publicKey: Uint8Array; readonly secretKey: Uint8Array };
  /** The payment's receipt (full form), or the node key and document (by-reference form). */
  readonly receipt?: Receipt;
  readonly node?: string;
  readonly document?: { type: string; body: unknown };
  /** Embed the receipt (default when a receipt is given) or carry only the payment's id. */
  readonly form?: 'full' | 'reference';
  /** The origin the token is for. */
  readonly audience: string;
  /** Which payee, when the payment pays more than one. */
  readonly payee?: string;
  readonly lifetime_s?: number;
  /** Clock override for tests, in ms since the epoch. */
  readonly now_ms?: number;
}

/**
 * Signs a payer token for a payment the key pair made. Fails with a coded error when the key
 * did not pay, the payment pays nobody (or several payees and none was chosen), or an option
 * is out of range.
 *
 * @example
 * const text = await createPayerToken({ keyPair, receipt, audience: 'https://shop.example' });
 */
export async function createPayerToken(options: CreatePayerTokenOptions): Promise<Result<string>> {
  const form = options.form ?? (options.receipt ? 'full' : 'reference');
  if (form === 'full' && !options.receipt) return err('invalid_request', { reason: 'the full form needs a receipt' });
  const claims = await buildClaims(options);
  if (!claims.ok) return claims;
  const token = await createDocument(PAYER_TOKEN_TYPE, PAYER_TOKEN_VERSION, claims.value, [options.keyPair]);
  return ok(await encodePayerToken(form === 'full' ? { token, receipt: options.receipt as Receipt } : { token }));
}

async function buildClaims(options: CreatePayerTokenOptions): Promise<Result<PayerTokenClaims>> {
  const document = options.receipt?.document ?? options.document;
  const node = options.receipt?.block.body.node ?? options.node;
  if (!document || !str(node, PUB)) return err('invalid_request', { reason: 'give a receipt, or node and document' });
  const audience = originOf(options.audience);
  if (audience === undefined) return err('invalid_request', { reason: 'audience must be an http(s) origin' });
  const lifetime = options.lifetime_s ?? PAYER_TOKEN_LIFETIME_DEFAULT_S;
  if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > PAYER_TOKEN_LIFETIME_MAX_S) {
    return err('invalid_request', { reason: `lifetime_s is 1 to ${PAYER_TOKEN_LIFETIME_MAX_S}` });
  }
  const payer = encodePrefixed('pub', options.keyPair.publicKey);
  const terms = (paymentTerms(document) ?? []).filter(
    (t) => t.payer === payer && (options.payee === undefined || t.payee === options.payee),
  );
  if (terms.length === 0) return err('payment_payer_mismatch', { payer, reason: 'this key made no such payment' });
  if (terms.length > 1) {
    return err('invalid_request', {
      reason: 'the payment pays several payees; choose one',
      payees: terms.map((t) => t.payee),
    });
  }
  const term = terms[0] as PaymentTerms;
  const now = options.now_ms ?? Date.now();
  const transaction = (document.body as { id?: unknown }).id;
  if (!str(transaction, CLIENT_ID)) return err('invalid_request', { reason: 'the document has no transaction id' });
  return ok({
    payment: { node: node as string, transaction: transaction as string },
    payer,
    payee: term.payee,
    amount: term.amount,
    currency: term.currency,
    ...(term.reference === undefined ? {} : { reference: term.reference }),
    audience,
    nonce: toBase64Url(randomBytes(16)),
    issued_at: new Date(now).toISOString(),
    expires_at: new Date(now + lifetime * 1000).toISOString(),
  });
}

// ---------------------------------------------------------------------------------------------
// Verifying

/** A node whose checkpoints the verifier trusts; `url` enables online lookups of by-reference tokens. */
export interface TrustedNode {
  readonly public_key: string;
  readonly url?: string;
}

/** What the verifier sells: the token must prove a payment of at least `amount` to `payee`. */
export interface PaymentExpectation {
  readonly payee: string;
  readonly amount: string;
  readonly currency: string;
  /** The order/invoice id the payment's memo must carry, when the verifier requires one. */
  readonly reference?: string;
  /** The origins (e.g. "https://shop.example") the token may be addressed to. */
  readonly audience: string | readonly string[];
}

export type FetchLike = (input: string, init?: { signal?: AbortSignal }) => Promise<Response>;

export interface VerifyPayerTokenOptions {
  readonly trusted_nodes: readonly TrustedNode[];
  readonly expect: PaymentExpectation;
  /** Clock for expiry checks, ms since the epoch. */
  readonly now_ms?: number;
  readonly clock_skew_s?: number;
  /** For online lookups: default the global fetch. */
  readonly fetch?: FetchLike;
  /** Each online request's time limit. Default 5,000. */
  readonly timeout_ms?: number;
  /** How long an online lookup waits for a fresh payment to be sealed into a block. Default 3,000. */
  readonly seal_wait_ms?: number;
}

export interface VerifiedPayerToken {
  readonly claims: PayerTokenClaims;
  /** The key a redemption registry records: one per payment, whatever token presents it. */
  readonly redemption_key: string;
  /** Where the payment's proof came from: the embedded receipt, or the node (online). */
  readonly source: 'receipt' | 'node';
  readonly block_height: number;
}

export const ONLINE_TIMEOUT_DEFAULT_MS = 5_000;
export const SEAL_WAIT_DEFAULT_MS = 3_000;
const SEAL_POLL_MS = 200;
/** The longest `wait_ms` a node accepts on GET /v1/transactions/{id}. */
const NODE_HOLD_MAX_MS = 10_000;

/** The redemption key of a payment: the same for every token that presents it. */
export function redemptionKey(claims: PayerTokenClaims): string {
  return `${claims.payment.node}/${claims.payment.transaction}`;
}

/**
 * Verifies a payer token (text or decoded) against what the verifier sells. The token is valid
 * when its signature is the payer's, the payment is proven (offline from the embedded receipt, or
 * online from a trusted node with a URL), it pays the expected payee at least the expected amount
 * in the expected currency (and reference), and audience and expiry match. It does NOT check
 * first presentation: record `redemption_key` in a redemption registry for that.
 *
 * @example
 * const result = await verifyPayerToken(text, {
 *   trusted_nodes: [{ public_key: 'pub_…' }],
 *   expect: { payee: 'pub_…seller', amount: '5.00', currency: 'EUR', audience: 'https://shop.example' },
 * });
 * if (!result.ok) console.log(result.error.code);
 */
export async function verifyPayerToken(
  input: string | PayerToken,
  options: VerifyPayerTokenOptions,
): Promise<Result<VerifiedPayerToken>> {
  const decoded = typeof input === 'string' ? await decodePayerToken(input) : checkEnvelope(input);
  if (!decoded.ok) return decoded;
  const { token, receipt } = decoded.value;
  const claims = token.body;
  const timely = checkAudienceAndTime(claims, options);
  if (!timely.ok) return timely;
  const signed = await checkSignature(token);
  if (!signed.ok) return signed;
  const node = options.trusted_nodes.find((n) => n.public_key === claims.payment.node);
  if (!node) return err('node_key_untrusted', { node: claims.payment.node });
  const proof = receipt ? await offlineProof(receipt, claims) : await onlineProof(node, claims, options);
  if (!proof.ok) return proof;
  const matched = matchPayment(proof.value.document, claims, options.expect);
  if (!matched.ok) return matched;
  return ok({
    claims,
    redemption_key: redemptionKey(claims),
    source: receipt ? 'receipt' : 'node',
    block_height: proof.value.block_height,
  });
}

function checkAudienceAndTime(claims: PayerTokenClaims, options: VerifyPayerTokenOptions): Result<true> {
  const wanted = typeof options.expect.audience === 'string' ? [options.expect.audience] : options.expect.audience;
  if (!wanted.some((a) => originOf(a) === claims.audience)) {
    return err('token_audience_mismatch', { audience: claims.audience, expected: wanted });
  }
  const now = options.now_ms ?? Date.now();
  const skew = (options.clock_skew_s ?? CLOCK_SKEW_DEFAULT_S) * 1000;
  if (Date.parse(claims.expires_at) + skew <= now) return err('token_expired', { expires_at: claims.expires_at });
  if (Date.parse(claims.issued_at) - skew > now) return err('token_not_yet_valid', { issued_at: claims.issued_at });
  return ok(true);
}

async function checkSignature(token: SignedDocument<PayerTokenClaims>): Promise<Result<true>> {
  const [entry] = token.signatures;
  if (!entry || entry.key !== token.body.payer) {
    return err('token_signer_not_payer', { signer: entry?.key ?? null, payer: token.body.payer });
  }
  const signature = decodePrefixed('sig', entry.sig);
  const publicKey = decodePrefixed('pub', entry.key);
  if (!signature.ok || !publicKey.ok) return err('token_signature_invalid', { reason: 'signature is not "sig_…"' });
  const id = encodePrefixed('doc', documentHash(token.body));
  const payload = signingPayload(PAYER_TOKEN_TYPE, PAYER_TOKEN_VERSION, id);
  if (!(await verify(signature.value, payload, publicKey.value))) {
    return err('token_signature_invalid', { key: entry.key });
  }
  return ok(true);
}

interface ProvenPayment {
  readonly document: { type: string; body: unknown };
  readonly block_height: number;
}

async function offlineProof(receipt: Receipt, claims: PayerTokenClaims): Promise<Result<ProvenPayment>> {
  const included = await verifyReceiptInclusion(receipt, [claims.payment.node]);
  if (!included.ok) return included;
  const body = receipt.document.body as { id?: unknown };
  if (body.id !== claims.payment.transaction) {
    return err('token_payment_mismatch', { reason: 'the receipt is for another transaction' });
  }
  return ok({ document: receipt.document, block_height: included.value.block.height });
}

async function onlineProof(
  node: TrustedNode,
  claims: PayerTokenClaims,
  options: VerifyPayerTokenOptions,
): Promise<Result<ProvenPayment>> {
  if (node.url === undefined) return err('token_receipt_required', { node: node.public_key });
  const deadline = Date.now() + (options.seal_wait_ms ?? SEAL_WAIT_DEFAULT_MS);
  // The node holds the lookup until the block is sealed (?wait_ms=), leaving the request a second
  // of its time limit to answer; older nodes answer at once, so the loop asks again.
  const holdMaxMs = Math.min(NODE_HOLD_MAX_MS, Math.max(0, (options.timeout_ms ?? ONLINE_TIMEOUT_DEFAULT_MS) - 1_000));
  for (;;) {
    const waitMs = Math.min(holdMaxMs, Math.max(0, deadline - Date.now()));
    const fetched = await fetchTransaction(node.url, claims.payment.transaction, options, waitMs);
    if (!fetched.ok) return fetched;
    if (fetched.value !== null) return offlineProof(fetched.value, claims);
    if (Date.now() + SEAL_POLL_MS > deadline) {
      return err('payment_not_sealed', { transaction: claims.payment.transaction });
    }
    await new Promise((resolve) => setTimeout(resolve, SEAL_POLL_MS));
  }
}

/** The transaction's receipt from the node, null while it waits for its block. */
async function fetchTransaction(
  baseUrl: string,
  id: string,
  options: VerifyPayerTokenOptions,
  waitMs: number,
): Promise<Result<Receipt | null>> {
  const query = waitMs > 0 ? `?wait_ms=${Math.floor(waitMs)}` : '';
  const url = `${baseUrl.replace(/\/+$/, '')}/v1/transactions/${encodeURIComponent(id)}${query}`;
  const fetcher = options.fetch ?? (globalThis.fetch as FetchLike);
  let body: unknown;
  try {
    const response = await fetcher(url, {
      signal: AbortSignal.timeout(options.timeout_ms ?? ONLINE_TIMEOUT_DEFAULT_MS),
    });
    // The status decides before the body: a proxy's 404 page is not JSON but still means "no such payment".
    if (response.status === 404) return err('payment_not_found', { transaction: id });
    if (!response.ok) return err('node_unreachable', { url, status: response.status });
    body = await response.json();
  } catch (error) {
    return err('node_unreachable', { url, reason: (error as Error).message });
  }
  const receipt = (body as { receipt?: unknown } | null)?.receipt;
  if (receipt === null) return ok(null);
  if (typeof receipt !== 'object' || receipt === undefined) {
    return err('node_unreachable', { url, reason: 'the answer has no receipt field' });
  }
  return ok(receipt as Receipt);
}

function matchPayment(
  document: { type: string; body: unknown },
  claims: PayerTokenClaims,
  expect: PaymentExpectation,
): Result<true> {
  const terms = paymentTerms(document);
  if (terms === undefined) return err('payment_unsupported', { type: document.type });
  const mine = terms.filter((t) => t.payer === claims.payer);
  if (mine.length === 0) return err('payment_payer_mismatch', { payer: claims.payer });
  const term = mine.find((t) => t.payee === claims.payee && t.currency === claims.currency);
  const same =
    term !== undefined && compareDecimal(term.amount, claims.amount) === 0 && term.reference === claims.reference;
  if (!same) return err('token_payment_mismatch', { reason: 'the claims differ from what the payment says' });
  return matchExpectation(claims, expect);
}

function matchExpectation(claims: PayerTokenClaims, expect: PaymentExpectation): Result<true> {
  if (claims.payee !== expect.payee) return mismatch('payment_payee_mismatch', claims.payee, expect.payee);
  if (claims.currency !== expect.currency) {
    return mismatch('payment_currency_mismatch', claims.currency, expect.currency);
  }
  if (compareDecimal(claims.amount, expect.amount) < 0) {
    return mismatch('payment_amount_too_low', claims.amount, expect.amount);
  }
  if (expect.reference !== undefined && claims.reference !== expect.reference) {
    return mismatch('payment_reference_mismatch', claims.reference ?? null, expect.reference);
  }
  return ok(true);
}

function mismatch(
  code:
    | 'payment_payee_mismatch'
    | 'payment_currency_mismatch'
    | 'payment_amount_too_low'
    | 'payment_reference_mismatch',
  actual: string | null,
  expected: string,
): { ok: false; error: WebWalletError } {
  return err(code, { actual, expected });
}

/** The canonical bytes a payer signs for these claims (for docs and other implementations). */
export function payerTokenSigningPayload(claims: PayerTokenClaims): Uint8Array {
  return signingPayload(PAYER_TOKEN_TYPE, PAYER_TOKEN_VERSION, encodePrefixed('doc', documentHash(claims)));
}
