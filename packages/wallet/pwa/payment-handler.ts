import type { Receipt } from '@webwallet/core';
import { compareDecimal, parsePaymentUri, paymentToken } from '@webwallet/wallet';
import { h } from './dom.js';
import type { Session } from './session.js';

/**
 * The wallet window of a Payment Request (see sw.js): the browser opened it at
 * #paymentrequest=<id> for a merchant page that called PaymentRequest.show() with this node's
 * "/pay" method. The window asks the worker what was requested, pays it like any payment link
 * (review, sign on this device, receipt verified), then answers the merchant through the worker
 * with the receipt's transaction and a payer token for the merchant's origin. Leaving the
 * payment (Cancel, going home) answers that it was cancelled.
 */

const FRAGMENT = 'paymentrequest=';
const ID = /^[0-9a-f-]{36}$/;
/** The worker answers at once; longer means it restarted and forgot the request. */
const WORKER_ANSWER_MS = 5_000;

/** What the worker tells the window about the request it opened it for. */
export interface HandledRequest {
  readonly id: string;
  /** The merchant page's origin: the payer token's audience. */
  readonly top_origin: string;
  readonly request_origin: string;
  readonly payment_request_id: string;
  readonly data: unknown;
  readonly total: { readonly currency: string; readonly value: string } | null;
}

/** What the merchant's PaymentResponse.details holds. */
export interface PaymentDetails {
  readonly payment_uri: string;
  readonly transaction_id: string;
  readonly node: string;
  readonly node_key: string;
  readonly block_height: number;
  /** A payer token (docs/payer-tokens.md) with the receipt, for the merchant's origin. */
  readonly payer_token: string;
}

/** Takes the request id out of the fragment (and the fragment out of the address bar). */
export function takePaymentRequestId(): string | undefined {
  const fragment = location.hash.slice(1);
  if (!fragment.startsWith(FRAGMENT)) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  const id = fragment.slice(FRAGMENT.length);
  return ID.test(id) ? id : undefined;
}

/** Sends a message to the wallet's worker and waits for its one answer. */
async function askWorker(message: Record<string, unknown>): Promise<unknown> {
  const registration = await navigator.serviceWorker.ready;
  const worker = navigator.serviceWorker.controller ?? registration.active;
  if (!worker) throw new Error('the wallet’s service worker is not running');
  const channel = new MessageChannel();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the wallet’s service worker did not answer')), WORKER_ANSWER_MS);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.postMessage(message, [channel.port2]);
  });
}

/** The request the worker holds under this id, or undefined when it has none (any more). */
export async function fetchPaymentRequest(id: string): Promise<HandledRequest | undefined> {
  const info = (await askWorker({ type: 'payment-request:get', id })) as Omit<HandledRequest, 'id'> | null;
  return info === null || typeof info !== 'object' ? undefined : { ...info, id };
}

/**
 * The payment URI in the request's data ({ payment_uri: "web+webwallet:pay?..." }, as the hosted
 * checkout sends), or a sentence saying why there is none.
 */
export function paymentUriOf(request: HandledRequest): { uri: string } | { problem: string } {
  const data = request.data as { payment_uri?: unknown } | null;
  const uri = data && typeof data === 'object' ? data.payment_uri : undefined;
  if (typeof uri === 'string' && uri.length > 0) return { uri };
  return { problem: `${request.top_origin} asked for a payment without a payment link (data.payment_uri).` };
}

/**
 * Why the request cannot be paid as it stands, or undefined: the total the browser may show the
 * person must be what the payment link charges, or the person would approve one amount and pay
 * another.
 */
export function totalProblem(request: HandledRequest, uri: string): string | undefined {
  const parsed = parsePaymentUri(uri);
  const total = request.total;
  if (!parsed.ok || total === null) return undefined; // the review says what is wrong with the link
  const { amount, currency } = parsed.value;
  const same =
    total.currency === currency && /^\d+(\.\d+)?$/.test(total.value) && compareDecimal(total.value, amount) === 0;
  if (same) return undefined;
  return `${request.top_origin} shows ${total.value} ${total.currency} as the total, but its payment link charges ${amount} ${currency}.`;
}

/** Whether a receipt is the payment the request's link asked for: payee, amount, currency and memo. */
export function receiptMatches(receipt: Receipt, uri: string): boolean {
  const parsed = parsePaymentUri(uri);
  if (!parsed.ok || receipt.document.type !== 'ledger.transfer') return false;
  const body = receipt.document.body as { legs?: { to?: string; currency?: string; amount?: string }[]; memo?: string };
  const leg = body.legs?.length === 1 ? body.legs[0] : undefined;
  const wanted = parsed.value;
  return (
    leg !== undefined &&
    leg.to === wanted.to &&
    leg.currency === wanted.currency &&
    typeof leg.amount === 'string' &&
    compareDecimal(leg.amount, wanted.amount) === 0 &&
    body.memo === (wanted.memo ?? wanted.invoice)
  );
}

/** Answers the merchant: paid, with the transaction and a payer token for its origin. */
export async function answerPaid(
  session: Session,
  request: HandledRequest,
  uri: string,
  receipt: Receipt,
): Promise<PaymentDetails> {
  if (!receiptMatches(receipt, uri)) throw new Error('the receipt is not for the payment the page asked for');
  const payer = session.accounts().find((a) => a.id === receipt.document.signatures[0]?.key);
  const account = payer ?? session.accounts()[0];
  if (!account) throw new Error('this wallet has no account');
  const token = await paymentToken(receipt, await session.keyPair(account), request.top_origin);
  if (!token.ok) throw new Error(token.error.message);
  const details: PaymentDetails = {
    payment_uri: uri,
    transaction_id: (receipt.document.body as { id: string }).id,
    node: session.nodeUrl,
    node_key: session.nodeKey,
    block_height: receipt.block.body.height,
    payer_token: token.value,
  };
  const settled = await askWorker({ type: 'payment-request:paid', id: request.id, details });
  if (settled !== true) throw new Error('the merchant page stopped waiting for this payment');
  return details;
}

/** Answers the merchant that the payment was not made. */
export async function answerCancelled(request: HandledRequest, reason: string): Promise<void> {
  await askWorker({ type: 'payment-request:cancel', id: request.id, reason }).catch(() => undefined);
}

/** A line above every screen of this window: who asked for the payment. */
export function showRequester(request: HandledRequest): void {
  const banner = h(
    'p',
    { id: 'payment-request', class: 'requester', role: 'note' },
    `Payment requested by ${request.top_origin}`,
  );
  document.getElementById('payment-request')?.remove();
  document.querySelector('header.bar')?.after(banner);
}
