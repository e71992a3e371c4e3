/**
 * The one way the SDK talks to a node: global `fetch`, a timeout per attempt, and automatic
 * retries of the failures that are safe to retry. Only web-standard globals are used so that the
 * same code runs on Node and on fetch-based edge runtimes.
 */
import {
  apiErrorFor,
  type ErrorDetails,
  RESPONSE_INVALID,
  WebWalletApiError,
  WebWalletConnectionError,
  WebWalletTimeoutError,
} from './errors.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportConfig {
  apiKey: string;
  baseUrl: string;
  fetch: FetchLike;
  timeout_ms: number;
  maxRetries: number;
}

/** Options every request method accepts. */
export interface RequestOptions {
  /**
   * Sent as `Idempotency-Key` on POSTs (1–255 printable ASCII). Defaults to a fresh UUID per call,
   * reused by that call's retries; pass your own (an order id, say) to make retries across
   * process restarts safe too.
   */
  idempotencyKey?: string;
}

export type Query = Readonly<Record<string, string | number | boolean | Date | undefined>>;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Starts with "/v1/"; ids already percent-encoded (see `path`). */
  path: string;
  query?: Query;
  body?: object;
  options?: RequestOptions;
  /** Reports answer CSV; everything else JSON. */
  accept?: 'json' | 'csv';
}

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/** The backoff doubles from this, with jitter... */
export const BACKOFF_BASE_MS = 250;
/** ...up to this. */
export const BACKOFF_MAX_MS = 8_000;
/** A Retry-After longer than this is cut short: an SDK call should not hang for minutes. */
export const RETRY_AFTER_MAX_S = 10;
/** Only this much of an unexpected body goes into an error message. */
const BODY_EXCERPT_CHARS = 200;
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Percent-encodes each interpolated id, so that an id such as "a/b" or "?x" cannot reach
 * another endpoint, and refuses empty ids, which would turn `GET /v1/invoices/{id}` into a list.
 */
export function path(strings: TemplateStringsArray, ...ids: string[]): string {
  return strings.reduce((out, part, i) => out + part + (i < ids.length ? segment(ids[i]) : ''), '');
}

function segment(id: string | undefined): string {
  if (typeof id !== 'string' || id === '' || id === '.' || id === '..') {
    throw new TypeError(`Expected an object id such as "inv_…", got ${JSON.stringify(id)}.`);
  }
  return encodeURIComponent(id);
}

/** Reads `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
export function parseRetryAfter(value: string | null, now_ms = Date.now()): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // Date.parse also reads bare numbers such as "-3" (as years); an HTTP-date always names a day or month.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now_ms) / 1000));
}

/**
 * Waits what the node asked for (capped), or else an exponential backoff with "equal jitter"
 * so that many clients failing together do not retry in lockstep.
 */
export function retryDelayMs(attempt: number, retryAfterS: number | null, random = Math.random): number {
  if (retryAfterS !== null) return Math.min(retryAfterS, RETRY_AFTER_MAX_S) * 1000;
  const ceiling = Math.min(BACKOFF_BASE_MS * 2 ** attempt, BACKOFF_MAX_MS);
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * 429 and 503 mean the node did not act. A network failure, timeout, 502 or 504 may hide a request
 * that did, and repeating it is still safe: GETs change nothing, POSTs carry the same
 * Idempotency-Key (the node replays its first answer), PATCH sets fields, and a repeated DELETE at
 * worst answers 404. `idempotency_key_in_use` (409) means our own earlier attempt (one that timed
 * out) is still running, so waiting and retrying yields its stored answer. Everything else is an
 * answer the same request would get again.
 */
export function isRetryable(error: Error): boolean {
  if (error instanceof WebWalletConnectionError) return true;
  if (!(error instanceof WebWalletApiError)) return false;
  return RETRIED_STATUSES.has(error.status) || error.code === 'idempotency_key_in_use';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function excerpt(text: string): string {
  return text.length > BODY_EXCERPT_CHARS ? `${text.slice(0, BODY_EXCERPT_CHARS)}…` : text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The node's one error shape, or undefined when the body is something else. */
function errorShape(body: string): { code: string; message: string; details: ErrorDetails } | undefined {
  const parsed = parseJson(body);
  const error = isRecord(parsed) ? parsed.error : undefined;
  if (!isRecord(error) || typeof error.code !== 'string' || typeof error.message !== 'string') return undefined;
  return { code: error.code, message: error.message, details: isRecord(error.details) ? error.details : {} };
}

function unexpectedBody(answer: Answer, what: string): { code: string; message: string; details: ErrorDetails } {
  const contentType = answer.headers.get('content-type');
  return {
    code: RESPONSE_INVALID,
    message:
      `The node answered HTTP ${answer.status} with ${what} (content-type ${contentType ?? 'none'}): ` +
      `${JSON.stringify(excerpt(answer.body))}. Check that baseUrl points at a WebWallet node, ` +
      'and any proxy in front of it.',
    details: { content_type: contentType, body_excerpt: excerpt(answer.body) },
  };
}

/** Builds the typed error for a non-2xx answer, whatever its body. */
export function errorFromAnswer(answer: Answer): WebWalletApiError {
  const shape = errorShape(answer.body) ?? unexpectedBody(answer, 'a body that is not a WebWallet error');
  const requestId = answer.headers.get('x-request-id');
  const retryAfterS = parseRetryAfter(answer.headers.get('retry-after'));
  return apiErrorFor({ ...shape, status: answer.status, requestId, retryAfterS });
}

function successBody(answer: Answer): unknown {
  // 204 and other empty answers (a DELETE, say) carry nothing to parse.
  if (answer.body.trim() === '') return undefined;
  const parsed = parseJson(answer.body);
  if (parsed !== undefined) return parsed;
  const requestId = answer.headers.get('x-request-id');
  throw new WebWalletApiError({
    ...unexpectedBody(answer, 'a body that is not JSON'),
    status: answer.status,
    requestId,
  });
}

function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    params.append(name, value instanceof Date ? value.toISOString() : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function idempotencyKey(options: RequestOptions | undefined): string {
  const given = options?.idempotencyKey;
  if (given === undefined) return crypto.randomUUID();
  // Checked here because fetch throws a TypeError for some invalid header values, which would
  // otherwise look like a network error and be retried.
  if (!IDEMPOTENCY_KEY.test(given)) throw new TypeError('idempotencyKey must be 1 to 255 printable ASCII characters.');
  return given;
}

/** Sends requests for one API key. */
export class Transport {
  // A private field, so that logging the client (util.inspect, console.log) cannot print the key.
  readonly #config: TransportConfig;

  constructor(config: TransportConfig) {
    this.#config = config;
  }

  /** Sends a request and parses the JSON answer. */
  async json<T>(spec: RequestSpec): Promise<T> {
    return successBody(await this.#send(spec)) as T;
  }

  /** Sends a request and returns the answer's text (CSV reports). */
  async text(spec: RequestSpec): Promise<string> {
    return (await this.#send({ ...spec, accept: 'csv' })).body;
  }

  async #send(spec: RequestSpec): Promise<Answer> {
    const url = `${this.#config.baseUrl}${spec.path}${queryString(spec.query)}`;
    // Built once, so that every retry carries the same Idempotency-Key and body.
    const init = this.#init(spec);
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(url, init);
      if (!(outcome instanceof Error)) return outcome;
      if (attempt >= this.#config.maxRetries || !isRetryable(outcome)) throw outcome;
      await sleep(retryDelayMs(attempt, outcome instanceof WebWalletApiError ? outcome.retryAfterS : null));
    }
  }

  #init(spec: RequestSpec): RequestInit {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#config.apiKey}`,
      // Errors come back as JSON even from the CSV endpoints.
      accept: spec.accept === 'csv' ? 'text/csv, application/json' : 'application/json',
    };
    const init: RequestInit = { method: spec.method, headers };
    if (spec.method === 'POST') headers['idempotency-key'] = idempotencyKey(spec.options);
    // The node rejects an empty body sent as JSON, so body-less POSTs send {}.
    const body = spec.body ?? (spec.method === 'POST' ? {} : undefined);
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return init;
  }

  /** One try: the 2xx answer, or the error to throw or retry. Reading the body counts toward the timeout. */
  async #attempt(url: string, init: RequestInit): Promise<Answer | Error> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#config.timeout_ms);
    try {
      const response = await this.#config.fetch(url, { ...init, signal: controller.signal });
      const answer = { status: response.status, headers: response.headers, body: await response.text() };
      return response.ok ? answer : errorFromAnswer(answer);
    } catch (error) {
      return connectionError(error, controller.signal.aborted, init.method ?? 'GET', url, this.#config.timeout_ms);
    } finally {
      clearTimeout(timer);
    }
  }
}

function connectionError(error: unknown, timedOut: boolean, method: string, url: string, timeout_ms: number): Error {
  const target = `${method} ${url.split('?')[0]}`;
  if (timedOut) return new WebWalletTimeoutError(`${target} got no answer within ${timeout_ms} ms.`, { cause: error });
  const reason = error instanceof Error ? error.message : String(error);
  return new WebWalletConnectionError(`${target} failed before an answer arrived: ${reason}.`, { cause: error });
}
