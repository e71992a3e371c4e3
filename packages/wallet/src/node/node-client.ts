import {
  decodePrefixed,
  err,
  ok,
  type Receipt,
  type Result,
  type SignedDocument,
  type WebWalletError,
} from '@webwallet/core';
import { errorFromBody, readLimited } from './http.js';

/**
 * A client for one WebWallet node's HTTP API, built on `fetch` so the same code runs in browsers
 * and in Node. Every expected failure is a `Result`: a node that cannot be reached, answers too
 * slowly, too much or nonsense is `node_unreachable`; a node's own error answer
 * (`{"error":{code,message,details}}`) keeps its code and details.
 *
 * Balances are read from here and only from here: the ledger is authoritative, and a wallet never
 * computes a balance from its own copy of the history.
 */

/** Default time limit of one request, including reading its body. */
export const NODE_TIMEOUT_DEFAULT_MS = 10_000;
/** Largest response body read from a node: a page of 200 transactions with receipts fits easily. */
export const RESPONSE_BYTES_MAX = 4 * 1024 * 1024;
/** Most documents per submission: the node's own limit per POST /v1/transactions. */
export const SUBMIT_DOCUMENTS_MAX = 1_000;
/** Page sizes the node accepts for lists. */
export const PAGE_SIZE_MAX = 200;
export const RECEIPT_WAIT_DEFAULT_MS = 10_000;
/**
 * Least time between two receipt lookups. A node holds each lookup until the block is sealed
 * (`wait_ms`), so this matters only with nodes that answer at once (older ones, or one too busy
 * to hold the request): they are asked this often.
 */
export const RECEIPT_POLL_DEFAULT_MS = 50;
/** Longest one lookup asks the node to hold it: the node's limit for `wait_ms`. */
export const RECEIPT_LOOKUP_WAIT_MAX_MS = 10_000;
const NODE_URL_LENGTH_MAX = 1_024;

/** The fetch this client needs: the platform's, or a wrapper (a proxy, a test harness). */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface NodeClientOptions {
  /** The node's base URL, e.g. "https://node.example" (what a payment URI's `node` holds). */
  readonly url: string;
  readonly fetch?: Fetch;
  /** Time limit of each request, body included. Default 10,000. */
  readonly timeout_ms?: number;
}

/** GET /.well-known/webwallet: who the node is. */
export interface NodeInfo {
  /** The node's Ed25519 key ("pub_…"): the key its blocks, and so its receipts, verify with. */
  readonly public_key: string;
  readonly name: string;
  readonly api_base_url: string;
}

export interface BalanceView {
  readonly currency: string;
  readonly balance: string;
  readonly held: string;
  /** balance - held; the account may go below zero down to -credit_limit. */
  readonly available: string;
  readonly limit: string | null;
  readonly credit_limit: string;
  readonly frozen: boolean;
  /** The account issued this currency (its balance is minus the circulating supply). */
  readonly issuer: boolean;
}

/** GET /v1/accounts/:id. */
export interface AccountView {
  readonly id: string;
  readonly keys: readonly string[];
  readonly threshold: number;
  readonly custodial: boolean;
  readonly allow_rippling: boolean;
  readonly balances: readonly BalanceView[];
  readonly pending: readonly unknown[];
}

/** One document's outcome from POST /v1/transactions. */
export type SubmitResult =
  | {
      readonly status: 'accepted';
      readonly id: string;
      readonly document_id?: string;
      readonly seq?: number;
      readonly accepted_at?: string;
      /** True when the node had accepted the same document before (a resubmission). */
      readonly duplicate?: boolean;
    }
  | { readonly status: 'rejected'; readonly id: string | null; readonly error: WebWalletError };

/** GET /v1/transactions/:id. */
export interface TransactionView {
  readonly id: string;
  readonly document_id: string;
  readonly seq: number;
  readonly type: string;
  readonly accepted_at: string;
  readonly document: SignedDocument;
  /** Height of the first block covering it; null until sealed. */
  readonly block_height: number | null;
  /** The proof of inclusion, once a signed block covers the transaction. */
  readonly receipt: Receipt | null;
}

export interface TransactionPage {
  readonly items: readonly TransactionView[];
  /** Pass as `cursor` for the next page; null at the end. */
  readonly next_cursor: string | null;
}

export interface WaitOptions {
  /** How long to wait for the block that seals the transaction. Default 10,000. */
  readonly timeout_ms?: number;
  /** Least time between lookups (they repeat only when a node answers before the block). Default 50. */
  readonly poll_ms?: number;
}

export interface LookupOptions {
  /**
   * While the transaction is unsealed, let the node hold the answer up to this long and answer as
   * the block seals it (GET /v1/transactions/{id}?wait_ms=). 0 to 10,000; default 0, at once.
   * Kept below the client's timeout_ms. Nodes that predate it answer at once.
   */
  readonly wait_ms?: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @example
 * const node = new NodeClient({ url: 'https://node.example' });
 * const info = await node.info();
 * if (info.ok) console.log(info.value.public_key);
 */
export class NodeClient {
  /** The base URL without a trailing slash. */
  readonly url: string;
  private readonly fetcher: Fetch;
  private readonly timeout_ms: number;

  constructor(options: NodeClientOptions) {
    this.url = checkNodeUrl(options.url);
    // Bound to globalThis: browsers throw "Illegal invocation" when fetch is called as a method.
    this.fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeout_ms = options.timeout_ms ?? NODE_TIMEOUT_DEFAULT_MS;
    if (!Number.isSafeInteger(this.timeout_ms) || this.timeout_ms < 1) {
      throw new RangeError(`timeout_ms must be a positive integer, got ${options.timeout_ms}`);
    }
  }

  /** GET /.well-known/webwallet: the node's name, public key and API base URL. */
  async info(): Promise<Result<NodeInfo>> {
    const answer = await this.request('GET', '/.well-known/webwallet');
    if (!answer.ok) return answer;
    const body = answer.value;
    if (!isObject(body) || !decodePrefixed('pub', body.public_key).ok) {
      return this.malformed('/.well-known/webwallet', 'no "pub_…" public_key');
    }
    if (typeof body.name !== 'string' || typeof body.api_base_url !== 'string') {
      return this.malformed('/.well-known/webwallet', 'name and api_base_url must be strings');
    }
    return ok({ public_key: body.public_key as string, name: body.name, api_base_url: body.api_base_url });
  }

  /** An account with its balances, or undefined when the node has no such account. */
  async account(id: string): Promise<Result<AccountView | undefined>> {
    const path = `/v1/accounts/${encodeURIComponent(id)}`;
    const answer = await this.request('GET', path);
    if (!answer.ok) return answer.error.code === 'account_not_found' ? ok(undefined) : answer;
    const body = answer.value;
    if (!isObject(body) || typeof body.id !== 'string' || !Array.isArray(body.balances)) {
      return this.malformed(path, 'an account has an id and balances');
    }
    if (!body.balances.every(isBalance)) return this.malformed(path, 'a balance has currency and decimal amounts');
    return ok(body as unknown as AccountView);
  }

  /**
   * POST /v1/transactions: one result per document, in order. Resubmitting a document the node
   * accepted before is safe: the ledger answers `accepted` with `duplicate: true`.
   */
  async submit(documents: readonly SignedDocument[]): Promise<Result<SubmitResult[]>> {
    if (documents.length === 0 || documents.length > SUBMIT_DOCUMENTS_MAX) {
      return err('batch_too_large', { count: documents.length, max: SUBMIT_DOCUMENTS_MAX });
    }
    const answer = await this.request('POST', '/v1/transactions', { documents });
    if (!answer.ok) return answer;
    const results = isObject(answer.value) ? answer.value.results : undefined;
    if (!Array.isArray(results) || results.length !== documents.length) {
      return this.malformed('/v1/transactions', 'one result per document');
    }
    const parsed: SubmitResult[] = [];
    for (const result of results) {
      const one = submitResult(result);
      if (!one) return this.malformed('/v1/transactions', 'a result is accepted, or rejected with an error');
      parsed.push(one);
    }
    return ok(parsed);
  }

  /** A transaction with its receipt once sealed, or undefined when the node has no such id. */
  async transaction(id: string, options: LookupOptions = {}): Promise<Result<TransactionView | undefined>> {
    const wait = options.wait_ms ?? 0;
    if (!Number.isSafeInteger(wait) || wait < 0 || wait > RECEIPT_LOOKUP_WAIT_MAX_MS) {
      throw new RangeError(`wait_ms must be an integer from 0 to ${RECEIPT_LOOKUP_WAIT_MAX_MS}, got ${wait}`);
    }
    const held = Math.min(wait, this.holdMax());
    const path = `/v1/transactions/${encodeURIComponent(id)}${held > 0 ? `?wait_ms=${held}` : ''}`;
    const answer = await this.request('GET', path);
    if (!answer.ok) return answer.error.code === 'transaction_not_found' ? ok(undefined) : answer;
    if (!isTransaction(answer.value)) return this.malformed(path, 'a transaction has id, document and receipt');
    return ok(answer.value);
  }

  /**
   * Waits until a signed block covers the transaction and returns its receipt (not yet verified:
   * check it with `verifyReceipt` and the node key). Each lookup asks the node to hold its answer
   * until the block is sealed, so the receipt arrives as the block is written; a node that answers
   * at once is asked again every `poll_ms`. `payment_not_sealed` when the wait runs out; a failed
   * lookup on the way is retried until then, as a wallet on a flaky network should.
   */
  async waitForReceipt(id: string, options: WaitOptions = {}): Promise<Result<Receipt>> {
    const timeout = options.timeout_ms ?? RECEIPT_WAIT_DEFAULT_MS;
    const poll = options.poll_ms ?? RECEIPT_POLL_DEFAULT_MS;
    const deadline = Date.now() + timeout;
    let seen = false;
    let failure: WebWalletError | undefined;
    for (;;) {
      const asked = Date.now();
      const wait_ms = Math.min(Math.max(0, deadline - asked), RECEIPT_LOOKUP_WAIT_MAX_MS);
      const found = await this.transaction(id, { wait_ms });
      if (found.ok && found.value === undefined) return err('transaction_not_found', { id });
      if (found.ok && found.value?.receipt) return ok(found.value.receipt);
      if (!found.ok && found.error.code !== 'node_unreachable') return found;
      if (found.ok) seen = true;
      else failure = found.error;
      const now = Date.now();
      if (now >= deadline) break;
      // Answered before the block (an older node, a busy one, a failure): not again before poll_ms.
      const pause = Math.min(asked + poll, deadline) - now;
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
    // Never seen at all: the node is the problem, not the block.
    if (!seen && failure) return { ok: false, error: failure };
    return err('payment_not_sealed', { transaction: id, waited_ms: timeout });
  }

  /** GET /v1/accounts/:id/transactions, newest first; undefined when the account does not exist. */
  async accountTransactions(
    id: string,
    page: { readonly cursor?: string; readonly limit?: number } = {},
  ): Promise<Result<TransactionPage | undefined>> {
    const query = new URLSearchParams();
    if (page.cursor !== undefined) query.set('cursor', page.cursor);
    if (page.limit !== undefined) {
      if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > PAGE_SIZE_MAX) {
        throw new RangeError(`limit must be 1 to ${PAGE_SIZE_MAX}, got ${page.limit}`);
      }
      query.set('limit', String(page.limit));
    }
    const search = query.toString() === '' ? '' : `?${query.toString()}`;
    const path = `/v1/accounts/${encodeURIComponent(id)}/transactions${search}`;
    const answer = await this.request('GET', path);
    if (!answer.ok) return answer.error.code === 'account_not_found' ? ok(undefined) : answer;
    const body = answer.value;
    const items = isObject(body) ? body.items : undefined;
    if (!isObject(body) || !Array.isArray(items) || !items.every(isTransaction)) {
      return this.malformed(path, 'a page has items (transactions) and next_cursor');
    }
    if (body.next_cursor !== null && typeof body.next_cursor !== 'string') {
      return this.malformed(path, 'next_cursor is a string or null');
    }
    return ok({ items, next_cursor: body.next_cursor });
  }

  /** Longest a lookup may be held: half the request's time limit, so the answer still fits in it. */
  private holdMax(): number {
    return Math.floor(this.timeout_ms / 2);
  }

  /** One request: the parsed JSON of a 2xx answer, or the node's error, or node_unreachable. */
  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Result<unknown>> {
    const url = this.url + path;
    let status: number;
    let text: string | undefined;
    try {
      const init: RequestInit = {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
        signal: AbortSignal.timeout(this.timeout_ms),
      };
      if (body !== undefined) init.body = JSON.stringify(body);
      const response = await this.fetcher(url, init);
      status = response.status;
      const bytes = await readLimited(response, RESPONSE_BYTES_MAX);
      text = bytes === undefined ? undefined : new TextDecoder().decode(bytes);
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : String(error);
      return err('node_unreachable', { url, reason, timeout_ms: this.timeout_ms });
    }
    if (text === undefined) return err('node_unreachable', { url, status, reason: 'the answer exceeds 4 MiB' });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return err('node_unreachable', { url, status, reason: 'the answer is not JSON (is this a WebWallet node?)' });
    }
    if (status >= 200 && status < 300) return ok(json);
    const error = errorFromBody(json);
    if (error) return { ok: false, error };
    return err('node_unreachable', { url, status, reason: 'an error answer without a WebWallet error body' });
  }

  private malformed(path: string, reason: string): Result<never> {
    return err('node_unreachable', { url: this.url + path, reason: `unexpected answer: ${reason}` });
  }
}

/** The base URL without trailing slashes; an http(s) URL without credentials, query or fragment. */
function checkNodeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`node url must be an absolute http(s) URL, got ${JSON.stringify(url)}`);
  }
  const plain = parsed.username === '' && parsed.password === '' && parsed.search === '' && parsed.hash === '';
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !plain || url.length > NODE_URL_LENGTH_MAX) {
    throw new TypeError(`node url must be an http(s) URL without credentials, query or fragment, got ${url}`);
  }
  return url.replace(/\/+$/, '');
}

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

function isBalance(value: unknown): boolean {
  if (!isObject(value) || typeof value.currency !== 'string') return false;
  return ['balance', 'held', 'available', 'credit_limit'].every((k) => {
    const amount = value[k];
    return typeof amount === 'string' && DECIMAL.test(amount);
  });
}

function submitResult(value: unknown): SubmitResult | undefined {
  if (!isObject(value)) return undefined;
  if (value.status === 'accepted' && typeof value.id === 'string') return value as SubmitResult;
  if (value.status !== 'rejected') return undefined;
  const error = errorFromBody(value);
  if (!error) return undefined;
  return { status: 'rejected', id: typeof value.id === 'string' ? value.id : null, error };
}

function isTransaction(value: unknown): value is TransactionView {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    isObject(value.document) &&
    (value.receipt === null || (isObject(value.receipt) && value.receipt.version === 1))
  );
}
