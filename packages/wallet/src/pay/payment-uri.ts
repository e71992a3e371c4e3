import { err, ok, type Result } from '@webwallet/core';

/**
 * Payment URIs: what a checkout page's QR code and "Pay Now" button hand the wallet
 * (docs/processor.md, "Payment URI"):
 *
 *   web+webwallet:pay?node=<node base URL>&invoice=<inv_…>&to=<account>&amount=<decimal>&currency=<code>&memo=<text>
 *
 * Values are percent-encoded as application/x-www-form-urlencoded (URLSearchParams, which is
 * also how the node writes them), so a "+" in a value means a space.
 */

export const PAYMENT_URI_SCHEME = 'web+webwallet:';
/** Longest payment URI accepted: a 1,024-character node URL and a 256-character memo fit encoded. */
export const PAYMENT_URI_LENGTH_MAX = 8_192;
/** Longest text parsePaymentUri reads: a URI wrapped in a handler URL is percent-encoded once more. */
export const PAYMENT_URI_TEXT_LENGTH_MAX = 4 * PAYMENT_URI_LENGTH_MAX;
export const PAYMENT_NODE_URL_LENGTH_MAX = 1_024;
/** The ledger's limit on a transfer's memo (MEMO_LENGTH_MAX in @webwallet/ledger), in code points. */
export const PAYMENT_MEMO_LENGTH_MAX = 256;

/** What a payment URI asks for. */
export interface PaymentRequest {
  /** Base URL of the node whose ledger holds the payee's account. */
  readonly node: string;
  /** The payee: "pub_…" (self-custody) or "acc_…" (e.g. a store's account at a processor). */
  readonly to: string;
  /** Positive decimal in the currency's units, e.g. "12.50". */
  readonly amount: string;
  readonly currency: string;
  /** Text the payment carries; a processor matches it to the invoice. */
  readonly memo?: string;
  /** The processor's invoice ("inv_…") this payment settles. */
  readonly invoice?: string;
}

// The ledger's own patterns (packages/ledger/src/model/schemas.ts): a URI the wallet accepts is
// one the ledger accepts.
const ACCOUNT = /^(pub_[A-Za-z0-9_-]{43}|acc_[A-Za-z0-9_-]{4,40})$/;
const AMOUNT = /^(0|[1-9][0-9]{0,29})(\.[0-9]{1,18})?$/;
const CURRENCY = /^[A-Z0-9][A-Z0-9-]{0,11}$/;
const INVOICE = /^inv_[A-Za-z0-9_-]{1,64}$/;
const ENCODED_SCHEME = 'web%2bwebwallet%3a';
const FIELDS = ['node', 'invoice', 'to', 'amount', 'currency', 'memo'] as const;
type Field = (typeof FIELDS)[number];

function invalid(reason: string, field?: string): Result<never> {
  return err('payment_uri_invalid', field === undefined ? { reason } : { reason, field });
}

/**
 * Parses a payment URI. Also accepts the URI percent-encoded, and a protocol handler's URL that
 * carries it in its `uri` parameter (`https://wallet.example/pay?uri=web%2Bwebwallet%3Apay%3F…`,
 * as browsers call handlers registered with registerProtocolHandler). Unknown parameters are
 * ignored so that later versions can add some; a repeated known parameter is refused, since two
 * readers could pick different ones.
 *
 * @example
 * const request = parsePaymentUri('web+webwallet:pay?node=https%3A%2F%2Fnode.example&to=acc_shop1&amount=4.20&currency=EUR');
 * if (request.ok) console.log(request.value.amount); // "4.20"
 */
export function parsePaymentUri(text: unknown): Result<PaymentRequest> {
  if (typeof text !== 'string') return invalid('a payment URI is text');
  if (text.length > PAYMENT_URI_TEXT_LENGTH_MAX) {
    return invalid(`longer than ${PAYMENT_URI_TEXT_LENGTH_MAX} characters`);
  }
  const uri = unwrap(text.trim());
  if (!uri.ok) return uri;
  return parseDirect(uri.value);
}

/** The web+webwallet: URI itself, out of the forms it arrives in. */
function unwrap(text: string): Result<string> {
  const head = text.slice(0, ENCODED_SCHEME.length).toLowerCase();
  if (head.startsWith(PAYMENT_URI_SCHEME)) return ok(text);
  if (head === ENCODED_SCHEME) {
    try {
      return ok(decodeURIComponent(text));
    } catch {
      return invalid('broken percent-encoding');
    }
  }
  if (!text.startsWith('?') && !/^https?:\/\//i.test(text)) {
    return invalid(`not a ${PAYMENT_URI_SCHEME} URI`);
  }
  const query = text.slice(text.indexOf('?') + 1).split('#')[0] ?? '';
  const wrapped = text.includes('?') ? new URLSearchParams(query).getAll('uri') : [];
  if (wrapped.length > 1) return invalid('the "uri" parameter is repeated', 'uri');
  const inner = wrapped[0];
  if (inner === undefined || !inner.toLowerCase().startsWith(PAYMENT_URI_SCHEME)) {
    return invalid(`a link without a ${PAYMENT_URI_SCHEME} URI in its "uri" parameter`, 'uri');
  }
  return ok(inner);
}

function parseDirect(uri: string): Result<PaymentRequest> {
  if (uri.length > PAYMENT_URI_LENGTH_MAX) return invalid(`longer than ${PAYMENT_URI_LENGTH_MAX} characters`);
  if (!uri.toLowerCase().startsWith(PAYMENT_URI_SCHEME)) return invalid(`not a ${PAYMENT_URI_SCHEME} URI`);
  const rest = uri.slice(PAYMENT_URI_SCHEME.length).split('#')[0] ?? '';
  const question = rest.indexOf('?');
  const action = question < 0 ? rest : rest.slice(0, question);
  if (action !== 'pay') return invalid(`"${action.slice(0, 32)}" is not an action this wallet knows: only "pay"`);
  const values = new Map<Field, string>();
  for (const [key, value] of new URLSearchParams(question < 0 ? '' : rest.slice(question + 1))) {
    if (!(FIELDS as readonly string[]).includes(key)) continue;
    if (values.has(key as Field)) return invalid(`"${key}" is repeated`, key);
    values.set(key as Field, value);
  }
  for (const field of ['node', 'to', 'amount', 'currency'] as const) {
    if (!values.has(field)) return invalid(`"${field}" is missing`, field);
  }
  return checkValues(values);
}

function checkValues(values: ReadonlyMap<Field, string>): Result<PaymentRequest> {
  const [node, to, amount, currency] = (['node', 'to', 'amount', 'currency'] as const).map((f) => values.get(f) ?? '');
  const memo = values.get('memo');
  const invoice = values.get('invoice');
  const nodeProblem = checkNodeUrl(node as string);
  if (nodeProblem) return invalid(nodeProblem, 'node');
  if (!ACCOUNT.test(to as string)) return invalid('"to" is not an account id ("pub_…" or "acc_…")', 'to');
  if (!AMOUNT.test(amount as string) || !/[1-9]/.test(amount as string)) {
    return invalid('"amount" is not a positive decimal such as "12.50"', 'amount');
  }
  if (!CURRENCY.test(currency as string)) return invalid('"currency" is not a currency code such as "EUR"', 'currency');
  if (memo !== undefined && [...memo].length > PAYMENT_MEMO_LENGTH_MAX) {
    return invalid(`"memo" is longer than ${PAYMENT_MEMO_LENGTH_MAX} characters`, 'memo');
  }
  if (invoice !== undefined && !INVOICE.test(invoice))
    return invalid('"invoice" is not an invoice id ("inv_…")', 'invoice');
  // A processor counts a payment toward an invoice by its memo: a memo naming something else
  // would pay the store without paying the invoice the URI shows.
  if (invoice !== undefined && memo !== undefined && memo !== invoice) {
    return invalid('"memo" differs from "invoice": the payment would not count toward the invoice', 'memo');
  }
  return ok({
    node: node as string,
    to: to as string,
    amount: amount as string,
    currency: currency as string,
    ...(memo === undefined ? {} : { memo }),
    ...(invoice === undefined ? {} : { invoice }),
  });
}

/** Why a node URL is unusable, or undefined when it is an http(s) base URL. */
function checkNodeUrl(node: string): string | undefined {
  if (node.length > PAYMENT_NODE_URL_LENGTH_MAX)
    return `"node" is longer than ${PAYMENT_NODE_URL_LENGTH_MAX} characters`;
  let url: URL;
  try {
    url = new URL(node);
  } catch {
    return '"node" is not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '"node" is not an http(s) URL';
  if (url.username !== '' || url.password !== '') return '"node" carries credentials';
  if (url.search !== '' || url.hash !== '' || node.includes('?') || node.includes('#')) {
    return '"node" is a base URL: no query or fragment';
  }
  return undefined;
}

/**
 * Writes a payment URI (the inverse of parsePaymentUri). Throws TypeError for a request that is
 * not valid: a caller builds requests, it does not receive them.
 *
 * @example
 * formatPaymentUri({ node: 'https://node.example', to: 'acc_shop1', amount: '4.20', currency: 'EUR' });
 * // "web+webwallet:pay?node=https%3A%2F%2Fnode.example&to=acc_shop1&amount=4.20&currency=EUR"
 */
export function formatPaymentUri(request: PaymentRequest): string {
  const params = new URLSearchParams();
  for (const field of FIELDS) {
    const value = request[field];
    if (value !== undefined) params.set(field, value);
  }
  const uri = `${PAYMENT_URI_SCHEME}pay?${params.toString()}`;
  const parsed = parseDirect(uri);
  if (!parsed.ok) throw new TypeError(`not a valid payment request: ${String(parsed.error.details.reason)}`);
  // Text that does not survive encoding (a lone surrogate in the memo) would change meaning.
  const changed = FIELDS.find((field) => parsed.value[field] !== request[field]);
  if (changed) throw new TypeError(`"${changed}" cannot be written in a URI unchanged`);
  return uri;
}
