import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isRetryableStatus, RETRY_WINDOW_MS, retryDelayMs } from './backoff.js';
import { signatureHeader } from './signature.js';
import { bareHostname, checkWebhookUrl, type DeliveryAddress, resolveDeliveryAddress } from './url-policy.js';

/** One delivery the queue hands to the worker. */
export interface DueDelivery {
  readonly delivery_id: string;
  readonly event_id: string;
  readonly endpoint_id: string;
  readonly url: string;
  /** Signing secrets still valid, newest first (two during a rotation's grace period). */
  readonly secrets: readonly string[];
  /** The event JSON exactly as stored: it is signed and sent byte for byte. */
  readonly body: string;
  /** Attempts already made before this one (0 for a new delivery). */
  readonly attempts: number;
  readonly event_created_at_ms: number;
}

export interface DeliveryOutcome {
  readonly delivery_id: string;
  readonly attempted_at_ms: number;
  readonly duration_ms: number;
  /** The receiver's HTTP status, or null when it never answered (refused URL, network error, timeout). */
  readonly status_code: number | null;
  /** Why the attempt did not succeed, for the merchant's delivery log; null on success. */
  readonly error: string | null;
  /** succeeded | failed (final) | pending (retry at next_attempt_at_ms) */
  readonly status: 'succeeded' | 'failed' | 'pending';
  readonly next_attempt_at_ms: number | null;
}

/** The outbox, as the worker sees it. The database side implements it. */
export interface DeliveryQueue {
  /** Claims up to `limit` deliveries due at `now_ms` (status pending, next_attempt_at <= now), so that another worker/process does not take them for `lease_ms`. */
  claimDue(now_ms: number, limit: number, lease_ms: number): Promise<DueDelivery[]>;
  /** Records one attempt (appends to the attempt log) and the delivery's new state. */
  record(outcome: DeliveryOutcome): Promise<void>;
  /**
   * Earliest next_attempt_at of pending deliveries, or undefined: lets the worker sleep until then.
   * Deliveries under a lease should count from the lease's end (or not at all): an in-flight
   * delivery reported as due now makes the worker poll every few tens of milliseconds.
   */
  nextDueAt(): Promise<number | undefined>;
}

/** The subset of a pino / Fastify logger the worker uses. */
export interface WebhookLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WebhookWorkerOptions {
  readonly queue: DeliveryQueue;
  /** The operator's `webhook_allow_private`. */
  readonly allow_private: boolean;
  /** First retry delay; doubles per attempt up to 1 hour (`webhook_retry_base_ms`, default 30 s). */
  readonly retry_base_ms: number;
  /** Whole attempt: DNS, connect, TLS, request and response headers. Default 10 s. */
  readonly timeout_ms?: number;
  /** Attempts in flight at once. Default 16. */
  readonly concurrency?: number;
  /** Most deliveries claimed per query. Default 64. */
  readonly batch_size?: number;
  /** Longest sleep without a wake(): picks up deliveries written by other processes. Default 5 s. */
  readonly idle_poll_ms?: number;
  /** Pause after the queue throws, so a database outage is not hammered. Default 1 s. */
  readonly queue_error_pause_ms?: number;
  /** Wall clock in epoch milliseconds. Default Date.now. */
  readonly clock?: () => number;
  readonly logger?: WebhookLogger;
  readonly user_agent?: string;
}

export const WEBHOOK_USER_AGENT = 'WebWallet-Webhooks/1';

/** Response bytes read before hanging up: receivers' answers are not used, only their status. */
const RESPONSE_READ_BYTES_MAX = 64 * 1024;

/** Longest error text recorded per attempt. */
const ERROR_LENGTH_MAX = 500;

/** Lease beyond the attempt's own timeout, so a slow `record()` does not let another worker start a duplicate. */
const LEASE_MARGIN_MS = 60_000;

/**
 * Floor on a sleep when the queue says something is due but claiming found nothing (another worker
 * won it, or the queue counts leased deliveries): prevents a busy loop against the database.
 */
const DUE_POLL_MIN_MS = 25;

const OPTION_LIMIT_MAX = 1024;

/**
 * Delivers webhook events from the outbox: claims due deliveries, POSTs each one signed to the
 * endpoint's checked address, and records the outcome with the retry schedule of docs/processor.md.
 * Never throws from its loop; queue failures are logged and retried after a pause.
 *
 * @example
 * const worker = new WebhookWorker({ queue, allow_private: false, retry_base_ms: 30_000, logger: app.log });
 * worker.start();
 * // after a transaction that wrote events:
 * worker.wake();
 * // on shutdown:
 * await worker.close();
 */
export class WebhookWorker {
  readonly #queue: DeliveryQueue;
  readonly #allow_private: boolean;
  readonly #retry_base_ms: number;
  readonly #timeout_ms: number;
  readonly #concurrency: number;
  readonly #batch_size: number;
  readonly #idle_poll_ms: number;
  readonly #queue_error_pause_ms: number;
  readonly #clock: () => number;
  readonly #logger: WebhookLogger;
  readonly #user_agent: string;

  readonly #inFlight = new Set<Promise<void>>();
  #running: Promise<void> | undefined;
  #closing = false;
  /** Set by wake(); tells the loop to claim again instead of sleeping. Many wakes make one claim. */
  #woken = false;
  #sleepWakeable = false;
  #endSleep: (() => void) | undefined;

  constructor(options: WebhookWorkerOptions) {
    this.#queue = options.queue;
    this.#allow_private = options.allow_private;
    this.#retry_base_ms = positive('retry_base_ms', options.retry_base_ms);
    this.#timeout_ms = positive('timeout_ms', options.timeout_ms ?? 10_000);
    this.#concurrency = limited('concurrency', options.concurrency ?? 16);
    this.#batch_size = limited('batch_size', options.batch_size ?? 64);
    this.#idle_poll_ms = positive('idle_poll_ms', options.idle_poll_ms ?? 5_000);
    this.#queue_error_pause_ms = positive('queue_error_pause_ms', options.queue_error_pause_ms ?? 1_000);
    this.#clock = options.clock ?? Date.now;
    this.#logger = options.logger ?? consoleLogger;
    this.#user_agent = options.user_agent ?? WEBHOOK_USER_AGENT;
  }

  /** Starts the delivery loop. Calling it again, or after close(), does nothing. */
  start(): void {
    if (this.#running !== undefined || this.#closing) return;
    this.#running = this.#run().catch((error: unknown) => {
      this.#logger.error({ err: error }, 'webhook worker loop stopped unexpectedly');
    });
  }

  /** Claims due deliveries now instead of at the next poll: call it after writing events. Cheap and coalescing. */
  wake(): void {
    this.#woken = true;
    if (this.#sleepWakeable) this.#endSleep?.();
  }

  /** Stops claiming and waits for attempts in flight, each bounded by timeout_ms, to be recorded. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#endSleep?.();
    await this.#running;
    await Promise.all(this.#inFlight);
  }

  async #run(): Promise<void> {
    while (!this.#closing) {
      this.#woken = false;
      const pause = await this.#tick();
      if (pause.wakeable && this.#woken) continue;
      if (pause.sleep_ms > 0) await this.#sleep(pause.sleep_ms, pause.wakeable);
    }
  }

  /** One round: claim what is due and start it; says how long to sleep before the next round. */
  async #tick(): Promise<{ sleep_ms: number; wakeable: boolean }> {
    try {
      const free = this.#concurrency - this.#inFlight.size;
      // Full: a finishing attempt wakes the loop.
      if (free <= 0) return { sleep_ms: this.#idle_poll_ms, wakeable: true };
      const limit = Math.min(free, this.#batch_size);
      const claimed = await this.#queue.claimDue(this.#clock(), limit, this.#timeout_ms + LEASE_MARGIN_MS);
      for (const delivery of claimed) this.#launch(delivery);
      if (claimed.length >= limit) return { sleep_ms: 0, wakeable: true }; // more may be due
      return { sleep_ms: await this.#untilNextDue(), wakeable: true };
    } catch (error) {
      this.#logger.error({ err: error }, 'webhook queue failed; retrying after a pause');
      return { sleep_ms: this.#queue_error_pause_ms, wakeable: false };
    }
  }

  async #untilNextDue(): Promise<number> {
    const next_ms = await this.#queue.nextDueAt();
    if (next_ms === undefined) return this.#idle_poll_ms;
    return Math.min(this.#idle_poll_ms, Math.max(DUE_POLL_MIN_MS, next_ms - this.#clock()));
  }

  /** Sleeps; wake() cuts it short if `wakeable`, close() always does. */
  #sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.#endSleep = undefined;
        this.#sleepWakeable = false;
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.#endSleep = end;
      this.#sleepWakeable = wakeable;
    });
  }

  #launch(delivery: DueDelivery): void {
    const task = this.#deliver(delivery).finally(() => {
      this.#inFlight.delete(task);
      this.wake(); // a slot is free
    });
    this.#inFlight.add(task);
  }

  /** Never rejects: a rejected task would be an unhandled rejection, which ends the process. */
  async #deliver(delivery: DueDelivery): Promise<void> {
    try {
      await this.#queue.record(await this.#attempt(delivery));
    } catch (error) {
      // The lease runs out and the delivery is attempted again: at least once, as documented.
      this.#logger.error(
        { err: error, delivery_id: delivery.delivery_id },
        'recording a webhook attempt failed; the delivery will be retried when its lease expires',
      );
    }
  }

  async #attempt(delivery: DueDelivery): Promise<DeliveryOutcome> {
    const attempted_at_ms = this.#clock();
    const started_ms = performance.now();
    const result = await this.#send(delivery);
    if (result.kind === 'refused') {
      // The URL passed at registration, so this is a policy change or DNS now pointing inward: worth a look.
      this.#logger.warn(
        { delivery_id: delivery.delivery_id, endpoint_id: delivery.endpoint_id, error: result.error },
        'webhook delivery refused by the URL policy',
      );
    }
    const duration_ms = Math.round(performance.now() - started_ms);
    const state = nextState(result, delivery, this.#clock(), this.#retry_base_ms);
    return { delivery_id: delivery.delivery_id, attempted_at_ms, duration_ms, ...describeResult(result), ...state };
  }

  /** Checks the URL, resolves and checks its address, and POSTs there, all within timeout_ms. Never throws. */
  async #send(delivery: DueDelivery): Promise<SendResult> {
    const checked = checkWebhookUrl(delivery.url, { allow_private: this.#allow_private });
    if (!checked.ok) return { kind: 'refused', error: `${checked.error.code}: ${checked.error.message}` };
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#timeout_ms);
    try {
      const target = await abortable(
        resolveDeliveryAddress(checked.value, { allow_private: this.#allow_private }),
        deadline.signal,
      );
      if (!target.ok) return { kind: 'refused', error: `${target.error.code}: ${target.error.message}` };
      const body = Buffer.from(delivery.body, 'utf8');
      const answer = await post(checked.value, target.value, this.#headers(delivery, body), body, deadline.signal);
      return { kind: 'answered', ...answer };
    } catch (error) {
      const reason = deadline.signal.aborted ? `timeout: no answer within ${this.#timeout_ms} ms` : errorText(error);
      return { kind: 'unreachable', error: reason };
    } finally {
      clearTimeout(timer);
    }
  }

  #headers(delivery: DueDelivery, body: Buffer): OutgoingHttpHeaders {
    const timestamp_s = Math.floor(this.#clock() / 1000);
    return {
      'Content-Type': 'application/json',
      'Content-Length': String(body.length),
      'User-Agent': this.#user_agent,
      'WebWallet-Event-Id': delivery.event_id,
      'WebWallet-Delivery-Id': delivery.delivery_id,
      'WebWallet-Signature': signatureHeader(delivery.secrets, timestamp_s, delivery.body),
    };
  }
}

/** What one attempt came to, before the retry policy is applied. */
export type SendResult =
  /** The receiver answered with this final status. */
  | { readonly kind: 'answered'; readonly status_code: number; readonly location: string | undefined }
  /** The URL policy refused the URL or its addresses: final. */
  | { readonly kind: 'refused'; readonly error: string }
  /** DNS, connection or TLS failure, or timeout: retried. */
  | { readonly kind: 'unreachable'; readonly error: string };

/**
 * The delivery's state after an attempt: 2xx succeeds; network errors, timeouts, 408, 429 and 5xx
 * are retried until the next try would fall beyond RETRY_WINDOW_MS after the event; anything else,
 * including redirects (never followed: they could lead anywhere, past the URL policy), fails for good.
 */
export function nextState(
  result: SendResult,
  delivery: Pick<DueDelivery, 'attempts' | 'event_created_at_ms'>,
  now_ms: number,
  retry_base_ms: number,
  random: () => number = Math.random,
): Pick<DeliveryOutcome, 'status' | 'next_attempt_at_ms'> {
  if (result.kind === 'answered' && result.status_code >= 200 && result.status_code <= 299) {
    return { status: 'succeeded', next_attempt_at_ms: null };
  }
  const retryable =
    result.kind === 'unreachable' || (result.kind === 'answered' && isRetryableStatus(result.status_code));
  if (!retryable) return { status: 'failed', next_attempt_at_ms: null };
  const next_attempt_at_ms = now_ms + retryDelayMs(delivery.attempts + 1, retry_base_ms, undefined, random);
  if (next_attempt_at_ms > delivery.event_created_at_ms + RETRY_WINDOW_MS) {
    return { status: 'failed', next_attempt_at_ms: null };
  }
  return { status: 'pending', next_attempt_at_ms };
}

function describeResult(result: SendResult): Pick<DeliveryOutcome, 'status_code' | 'error'> {
  if (result.kind !== 'answered') return { status_code: null, error: truncate(result.error) };
  const { status_code, location } = result;
  if (status_code >= 300 && status_code <= 399) {
    const where = location === undefined ? '' : ` to ${location}`;
    return { status_code, error: truncate(`redirect${where} not followed; register the final URL instead`) };
  }
  return { status_code, error: status_code >= 200 && status_code <= 299 ? null : `HTTP ${status_code}` };
}

/**
 * POSTs `body` to `url`, connecting to `target` only: the pinned lookup hands the socket the
 * checked address instead of resolving again, while Host and TLS SNI/certificate checks still use
 * the URL's hostname. Resolves with the status once the response is read (up to 64 KiB) or cut off.
 */
function post(
  url: URL,
  target: DeliveryAddress,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  signal: AbortSignal,
): Promise<{ status_code: number; location: string | undefined }> {
  const hostname = bareHostname(url.hostname);
  const https = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const request = (https ? httpsRequest : httpRequest)(
      {
        hostname,
        port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        // A fresh connection per attempt: a pooled socket would skip the pinned, freshly checked address.
        agent: false,
        lookup: pinnedLookup(target),
        signal,
        // SNI carries names only (RFC 6066 §3).
        ...(https && isIP(hostname) === 0 ? { servername: hostname } : {}),
      },
      (response) => {
        const answer = { status_code: response.statusCode ?? 0, location: response.headers.location };
        void readSome(response).then(() => resolve(answer));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * A lookup that answers with the checked addresses only. Node asks for `all` when it may try several
 * addresses (autoSelectFamily); otherwise it gets the first one.
 */
function pinnedLookup(target: DeliveryAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all === true)
      callback(
        null,
        target.addresses.map(({ address, family }) => ({ address, family })),
      );
    else callback(null, target.address, target.family);
  };
}

/** Reads and discards up to RESPONSE_READ_BYTES_MAX bytes, then hangs up; settles however the response ends. */
function readSome(response: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let read_bytes = 0;
    const done = () => {
      response.destroy();
      resolve();
    };
    response.on('data', (chunk: Buffer) => {
      read_bytes += chunk.length;
      if (read_bytes >= RESPONSE_READ_BYTES_MAX) done();
    });
    response.on('end', done);
    response.on('error', done);
    response.on('close', done);
  });
}

/** Settles like `promise`, or rejects when `signal` aborts first (DNS lookups cannot be cancelled). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined || error.message.includes(code) ? error.message : `${code}: ${error.message}`;
}

function truncate(text: string): string {
  return text.length <= ERROR_LENGTH_MAX ? text : `${text.slice(0, ERROR_LENGTH_MAX - 1)}…`;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function limited(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > OPTION_LIMIT_MAX) {
    throw new RangeError(`${name} must be an integer from 1 to ${OPTION_LIMIT_MAX}, got ${value}`);
  }
  return value;
}

const consoleLogger: WebhookLogger = {
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};
