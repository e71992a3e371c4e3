import {
  type CreatePayerTokenOptions,
  createDocument,
  createPayerToken,
  documentId,
  encodePrefixed,
  err,
  type KeyPair,
  ok,
  type Receipt,
  type Result,
  randomBytes,
  type SignedDocument,
  toBase64Url,
  verifyReceipt,
  WebWalletError,
} from '@webwallet/core';
import { type BalanceView, NodeClient, type NodeInfo, RECEIPT_WAIT_DEFAULT_MS } from '../node/node-client.js';
import type { PaymentRequest } from './payment-uri.js';

/**
 * Paying a payment request from a self-custody account: review what it asks (who, how much,
 * from which account, whether the balance covers it), sign a ledger.transfer on the device,
 * submit it, wait for the signed block and check the receipt offline before calling it paid.
 */

/** How often a submission is sent when the node cannot be reached. */
export const SUBMIT_ATTEMPTS_MAX = 3;
/** Pause before the second attempt; it doubles for the third. */
export const SUBMIT_RETRY_DELAY_MS = 200;

/** The transfer body a payment signs (the ledger's TransferBody with one leg). */
export interface PaymentBody {
  readonly id: string;
  readonly created_at: string;
  readonly legs: readonly [{ from: string; to: string; currency: string; amount: string }];
  readonly memo?: string;
}

export type PaymentDocument = SignedDocument<PaymentBody>;

/** What the user confirms. Amounts are the request's decimal strings; the balance is the node's. */
export interface Review {
  readonly payee: string;
  readonly amount: string;
  readonly currency: string;
  readonly memo: string | undefined;
  readonly invoice: string | undefined;
  /** The node that will hold the payment and sign its receipt. */
  readonly node: { readonly url: string; readonly public_key: string; readonly name: string };
  readonly from: string;
  /** The payer's available balance in the currency, as the node reports it ("0" without a trust line). */
  readonly balance_available: string;
  /**
   * Whether the available balance plus the credit limit covers the amount. Advice only: the
   * ledger decides when the payment is submitted (issuer fees, other payments in between).
   */
  readonly sufficient: boolean;
}

export interface NodeChoice {
  /** The client for the request's node; default one for `request.node`. */
  readonly node?: NodeClient;
  /**
   * Node keys the wallet already trusts ("pub_…"), e.g. the key shown in the review. When given,
   * a node presenting another key is refused (node_key_untrusted) before anything is signed.
   */
  readonly trusted_node_keys?: readonly string[];
}

export interface ReviewOptions extends NodeChoice {
  /** The paying account ("pub_…"). */
  readonly from: string;
}

const PUB = /^pub_[A-Za-z0-9_-]{43}$/;

function clientFor(request: PaymentRequest, choice: NodeChoice): NodeClient {
  return choice.node ?? new NodeClient({ url: request.node });
}

/** The node's identity, refused when the wallet pins other keys. */
async function nodeIdentity(node: NodeClient, choice: NodeChoice): Promise<Result<NodeInfo>> {
  const info = await node.info();
  if (!info.ok) return info;
  const trusted = choice.trusted_node_keys;
  if (trusted !== undefined && !trusted.includes(info.value.public_key)) {
    return err('node_key_untrusted', { node: info.value.public_key, trusted, url: node.url });
  }
  return info;
}

/**
 * Everything the user sees before confirming, read from the node: its key (from
 * /.well-known/webwallet) and the payer's balance (never computed locally).
 *
 * @example
 * const review = await reviewPayment(request, { from: 'pub_…' });
 * if (review.ok && review.value.sufficient) showConfirmation(review.value);
 */
export async function reviewPayment(request: PaymentRequest, options: ReviewOptions): Promise<Result<Review>> {
  if (!PUB.test(options.from)) throw new TypeError(`from must be a "pub_…" account, got ${options.from}`);
  const node = clientFor(request, options);
  const info = await nodeIdentity(node, options);
  if (!info.ok) return info;
  const account = await node.account(options.from);
  if (!account.ok) return account;
  if (account.value === undefined) return err('account_not_found', { account: options.from, node: node.url });
  const line = account.value.balances.find((b) => b.currency === request.currency);
  return ok({
    payee: request.to,
    amount: request.amount,
    currency: request.currency,
    memo: request.memo,
    invoice: request.invoice,
    node: { url: node.url, public_key: info.value.public_key, name: info.value.name },
    from: options.from,
    balance_available: line?.available ?? '0',
    sufficient: covers(line, request.amount),
  });
}

function covers(line: BalanceView | undefined, amount: string): boolean {
  if (line === undefined) return false;
  if (line.issuer) return true;
  const decimals = Math.max(decimalsOf(line.available), decimalsOf(line.credit_limit), decimalsOf(amount));
  return scaled(line.available, decimals) + scaled(line.credit_limit, decimals) >= scaled(amount, decimals);
}

function decimalsOf(text: string): number {
  return text.split('.')[1]?.length ?? 0;
}

/** A decimal string as an integer of `decimals` places: exact, any size, negatives included. */
function scaled(text: string, decimals: number): bigint {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const value = BigInt(whole + fraction.padEnd(decimals, '0'));
  return negative ? -value : value;
}

export interface BuildOptions {
  /** Signing time, ms since the epoch; default now. The node refuses times 5 minutes off its clock. */
  readonly now_ms?: number;
  /** The transaction id; default 128 random bits. Reuse an id only to resubmit the same payment. */
  readonly id?: string;
}

/**
 * The signed ledger.transfer that pays a request from the key pair's self-custody account.
 * Building twice with the same id and time gives the same document (Ed25519 is deterministic),
 * which is what makes a resubmission safe.
 *
 * @example
 * const document = await buildPaymentDocument(request, keyPair);
 */
export async function buildPaymentDocument(
  request: PaymentRequest,
  keyPair: KeyPair,
  options: BuildOptions = {},
): Promise<PaymentDocument> {
  const memo = request.memo ?? request.invoice;
  const body: PaymentBody = {
    id: options.id ?? toBase64Url(randomBytes(16)),
    created_at: new Date(options.now_ms ?? Date.now()).toISOString(),
    legs: [
      {
        from: encodePrefixed('pub', keyPair.publicKey),
        to: request.to,
        currency: request.currency,
        amount: request.amount,
      },
    ],
    ...(memo === undefined ? {} : { memo }),
  };
  return createDocument('ledger.transfer', 1, body, [keyPair]);
}

export interface PayOptions extends NodeChoice, BuildOptions {
  /**
   * How long to wait for the block that seals the payment. Default 10,000. The node holds the
   * receipt lookup and answers as the block is sealed (NodeClient.waitForReceipt).
   */
  readonly wait_ms?: number;
  /** Least time between receipt lookups, for nodes that answer before the block. Default 50. */
  readonly poll_ms?: number;
}

export interface Paid {
  readonly transaction_id: string;
  /** Verified against `node_key`: store it; it proves the payment offline. */
  readonly receipt: Receipt;
  /** The node key the receipt verified with, fetched before submitting. */
  readonly node_key: string;
  /** From the call to the verified receipt. */
  readonly duration_ms: number;
}

/**
 * Pays a request: fetches the node's key, signs, submits (the same document again, up to three
 * times in all, when the node cannot be reached: the ledger's id makes that idempotent), waits
 * for the receipt and verifies it offline. A rejection keeps the ledger's code
 * (insufficient_funds, trust_limit_exceeded, …); a receipt that does not verify is an error.
 *
 * When the result is node_unreachable or payment_not_sealed, the payment may still have been
 * made: details.transaction_id names it; look it up later (NodeClient.transaction) before paying
 * again.
 *
 * @example
 * const paid = await pay(request, keyPair);
 * if (paid.ok) await wallet.putReceipt(paid.value.receipt);
 */
export async function pay(request: PaymentRequest, keyPair: KeyPair, options: PayOptions = {}): Promise<Result<Paid>> {
  const started = performance.now();
  const node = clientFor(request, options);
  const info = await nodeIdentity(node, options);
  if (!info.ok) return info;
  const document = await buildPaymentDocument(request, keyPair, options);
  const transaction_id = document.body.id;
  const submitted = await submitWithRetry(node, document);
  if (!submitted.ok) return withTransaction(submitted.error, transaction_id);
  const receipt = await node.waitForReceipt(transaction_id, {
    timeout_ms: options.wait_ms ?? RECEIPT_WAIT_DEFAULT_MS,
    ...(options.poll_ms === undefined ? {} : { poll_ms: options.poll_ms }),
  });
  if (!receipt.ok) return withTransaction(receipt.error, transaction_id);
  const checked = await checkReceipt(receipt.value, document, info.value.public_key);
  if (!checked.ok) return withTransaction(checked.error, transaction_id);
  return ok({
    transaction_id,
    receipt: receipt.value,
    node_key: info.value.public_key,
    duration_ms: performance.now() - started,
  });
}

async function submitWithRetry(node: NodeClient, document: PaymentDocument): Promise<Result<true>> {
  let attempt = 1;
  for (;;) {
    const submitted = await node.submit([document]);
    if (submitted.ok) {
      const [result] = submitted.value;
      if (result?.status === 'rejected') return { ok: false, error: result.error };
      return ok(true);
    }
    if (submitted.error.code !== 'node_unreachable' || attempt >= SUBMIT_ATTEMPTS_MAX) {
      return { ok: false, error: addDetails(submitted.error, { attempts: attempt }) };
    }
    await new Promise((resolve) => setTimeout(resolve, SUBMIT_RETRY_DELAY_MS * 2 ** (attempt - 1)));
    attempt++;
  }
}

/** The receipt must be for exactly the document signed here, in a block by the node's key. */
async function checkReceipt(receipt: Receipt, document: PaymentDocument, nodeKey: string): Promise<Result<true>> {
  const verified = await verifyReceipt(receipt, [nodeKey]);
  if (!verified.ok) return verified;
  if (verified.value.document_id !== documentId(document.body)) {
    return err('receipt_invalid', { reason: 'the receipt is for another transaction than the one signed' });
  }
  return ok(true);
}

function addDetails(error: WebWalletError, details: Record<string, unknown>): WebWalletError {
  return new WebWalletError(error.code, { ...error.details, ...details }, error.message);
}

function withTransaction(error: WebWalletError, transaction_id: string): { ok: false; error: WebWalletError } {
  return { ok: false, error: addDetails(error, { transaction_id }) };
}

export type PaymentTokenOptions = Omit<
  CreatePayerTokenOptions,
  'keyPair' | 'receipt' | 'audience' | 'node' | 'document'
>;

/**
 * A payer token for a payment this key pair made: the text a seller at `audience` verifies
 * (offline from the embedded receipt by default) to hand over what was bought.
 *
 * @example
 * const token = await paymentToken(paid.receipt, keyPair, 'https://shop.example');
 */
export function paymentToken(
  receipt: Receipt,
  keyPair: KeyPair,
  audience: string,
  options: PaymentTokenOptions = {},
): Promise<Result<string>> {
  return createPayerToken({ ...options, keyPair, receipt, audience });
}
