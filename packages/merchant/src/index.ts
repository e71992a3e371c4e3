/**
 * @webwallet/merchant: take payments through a WebWallet node. This entry point imports nothing
 * beyond web-standard globals (fetch, WebCrypto, TextEncoder, URL), so it runs on Node 20+ and on
 * fetch-based edge runtimes. Payer-token gates are at @webwallet/merchant/tokens (which uses
 * @webwallet/core) and @webwallet/merchant/fastify.
 */
export {
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  MAX_RETRIES_MAX,
  modeOfKey,
  TIMEOUT_MS_MAX,
  WebWalletMerchant,
  type WebWalletMerchantOptions,
} from './client.js';
export {
  type ApiErrorInit,
  type ErrorDetails,
  RESPONSE_INVALID,
  WebhookVerificationError,
  type WebhookVerificationReason,
  WebWalletApiError,
  WebWalletAuthenticationError,
  WebWalletConnectionError,
  WebWalletNotFoundError,
  WebWalletPermissionError,
  WebWalletRateLimitError,
  WebWalletTimeoutError,
} from './errors.js';
export { type FetchLike, RETRY_AFTER_MAX_S, type RequestOptions } from './http.js';
export type {
  BalanceResource,
  Events,
  Invoices,
  Keys,
  PaymentLinks,
  Payouts,
  Refunds,
  Reports,
  Sandbox,
  Webhooks,
} from './resources.js';
export type * from './types.js';
export {
  DEFAULT_TOLERANCE_S,
  SIGNATURE_HEADER,
  signWebhookPayload,
  type VerifyWebhookOptions,
  verifyWebhook,
} from './webhook.js';
