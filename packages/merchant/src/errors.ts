/**
 * Errors thrown by the SDK. The node answers every failure with one shape,
 * `{"error":{"code","message","details"}}`; `WebWalletApiError` carries it unchanged so that
 * callers program against the stable `code` (docs/errors.md) rather than the message.
 */

export type ErrorDetails = Readonly<Record<string, unknown>>;

/** What the SDK knows about a failed response, whatever its body looked like. */
export interface ApiErrorInit {
  code: string;
  message: string;
  status: number;
  details?: ErrorDetails;
  requestId?: string | null;
  retryAfterS?: number | null;
}

/** `code` for answers that are not in the node's error shape (a proxy's HTML page, a wrong baseUrl). */
export const RESPONSE_INVALID = 'response_invalid';

/**
 * The node (or something in front of it) answered with an error status, or with a body the SDK
 * cannot read.
 *
 * @example
 * try {
 *   await ww.refunds.create({ invoice_id });
 * } catch (error) {
 *   if (error instanceof WebWalletApiError && error.code === 'refund_exceeds_paid') {
 *     console.log('refundable:', error.details.refundable);
 *   } else throw error;
 * }
 */
export class WebWalletApiError extends Error {
  override name = 'WebWalletApiError';
  /** Stable code from docs/errors.md, or `response_invalid` when the body is not the node's error shape. */
  readonly code: string;
  /** The HTTP status. */
  readonly status: number;
  readonly details: ErrorDetails;
  /** The `X-Request-Id` response header: quote it when reporting a 500 to the node's operator. */
  readonly requestId: string | null;
  /** The `Retry-After` header in seconds (sent with 429 and 503), or null. */
  readonly retryAfterS: number | null;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.code = init.code;
    this.status = init.status;
    this.details = init.details ?? {};
    this.requestId = init.requestId ?? null;
    this.retryAfterS = init.retryAfterS ?? null;
  }
}

/** 401: the API key is missing, malformed, unknown (`api_key_invalid`) or revoked (`api_key_revoked`). */
export class WebWalletAuthenticationError extends WebWalletApiError {
  override name = 'WebWalletAuthenticationError';
}

/** 403: the key lacks a scope (`scope_missing`), or a live key called a sandbox endpoint (`sandbox_only`). */
export class WebWalletPermissionError extends WebWalletApiError {
  override name = 'WebWalletPermissionError';
}

/** 404: no such object for this key's store and mode (a test key never sees live objects). */
export class WebWalletNotFoundError extends WebWalletApiError {
  override name = 'WebWalletNotFoundError';
}

/** 429 `rate_limited`, thrown once the automatic retries are used up; wait `retryAfterS` before trying again. */
export class WebWalletRateLimitError extends WebWalletApiError {
  override name = 'WebWalletRateLimitError';
}

/** Picks the subclass for a status, so callers can `instanceof` the common cases. */
export function apiErrorFor(init: ApiErrorInit): WebWalletApiError {
  switch (init.status) {
    case 401:
      return new WebWalletAuthenticationError(init);
    case 403:
      return new WebWalletPermissionError(init);
    case 404:
      return new WebWalletNotFoundError(init);
    case 429:
      return new WebWalletRateLimitError(init);
    default:
      return new WebWalletApiError(init);
  }
}

/**
 * No HTTP answer arrived: DNS, connection refused or reset, TLS, or a timeout. The request may or
 * may not have reached the node; POSTs carry an Idempotency-Key, so retrying with the same key is safe.
 */
export class WebWalletConnectionError extends Error {
  override name = 'WebWalletConnectionError';
}

/** No answer within `timeout_ms`. */
export class WebWalletTimeoutError extends WebWalletConnectionError {
  override name = 'WebWalletTimeoutError';
}

export type WebhookVerificationReason =
  | 'header_missing'
  | 'header_malformed'
  | 'timestamp_outside_tolerance'
  | 'signature_mismatch'
  | 'body_invalid';

const REASON_MESSAGES: Readonly<Record<WebhookVerificationReason, string>> = {
  header_missing: 'The WebWallet-Signature header is missing. Pass the header of the delivery request.',
  header_malformed: 'The WebWallet-Signature header is not of the form "t=<unix seconds>,v1=<64 hex digits>[,v1=…]".',
  timestamp_outside_tolerance:
    "The signature's timestamp is too far from now: a replayed delivery, or this server's clock is off.",
  signature_mismatch:
    "No signature matches this body and secret. Verify the raw request body (not re-serialized JSON) with the endpoint's current secret.",
  body_invalid: 'The signature is valid but the body is not a JSON event object.',
};

/**
 * A webhook delivery failed verification. Answer it with a 400 and do not act on it.
 *
 * @example
 * catch (error) {
 *   if (error instanceof WebhookVerificationError) return res.writeHead(400).end(error.reason);
 * }
 */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  readonly reason: WebhookVerificationReason;

  constructor(reason: WebhookVerificationReason, detail?: string) {
    super(detail ? `${REASON_MESSAGES[reason]} (${detail})` : REASON_MESSAGES[reason]);
    this.reason = reason;
  }
}
