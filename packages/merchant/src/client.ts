/**
 * The merchant client: one instance per API key, holding a resource group for each part of
 * docs/processor.md.
 */
import { type FetchLike, Transport } from './http.js';
import {
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
import type { Mode } from './types.js';

export interface WebWalletMerchantOptions {
  /** A secret key, `ww_live_…` or `ww_test_…`; its prefix decides the mode. */
  apiKey: string;
  /** The node's base URL, e.g. `https://pay.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** Replaces the global `fetch` (a proxy agent, a test double, a runtime without a global fetch). */
  fetch?: FetchLike;
  /** Time allowed for each attempt, including reading the body. Default 30 000. */
  timeout_ms?: number;
  /** Automatic retries after the first attempt. Default 2; 0 turns retrying off. */
  maxRetries?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 2;
/** Limits on the options, so that a typo cannot make a call wait for hours. */
export const TIMEOUT_MS_MAX = 600_000;
export const MAX_RETRIES_MAX = 10;

const API_KEY = /^ww_(live|test)_[0-9A-Za-z]+$/;

/** The mode a key acts in, from its prefix; throws for anything that is not a secret key. */
export function modeOfKey(apiKey: string): Mode {
  const match = typeof apiKey === 'string' ? API_KEY.exec(apiKey) : null;
  if (!match) {
    throw new TypeError(
      'apiKey must be a secret key, "ww_live_…" or "ww_test_…" (webwallet merchant create prints them).',
    );
  }
  return match[1] as Mode;
}

function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(
      `baseUrl must be an absolute URL such as "https://pay.example.com", got ${JSON.stringify(baseUrl)}.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('baseUrl must be an http(s) URL.');
  if (url.search !== '' || url.hash !== '') throw new TypeError('baseUrl must not have a query or fragment.');
  // Trailing slashes dropped, so that "/v1/…" joins onto "https://host" and "https://host/ww/" alike.
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function checkedInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${value}.`);
  }
  return value;
}

function defaultFetch(): FetchLike {
  if (typeof globalThis.fetch !== 'function') {
    throw new TypeError('No global fetch in this runtime: pass one as the fetch option.');
  }
  // Called through globalThis on each request: a detached `fetch` throws "Illegal invocation" in
  // browsers and some edge runtimes, and test tools that patch the global still see the call.
  return (input, init) => globalThis.fetch(input, init);
}

/**
 * A client for a WebWallet node's merchant API. Create one per API key and reuse it.
 *
 * @example
 * import { WebWalletMerchant } from '@webwallet/merchant';
 *
 * const ww = new WebWalletMerchant({ apiKey: process.env.WW_API_KEY!, baseUrl: 'https://pay.example.com' });
 * const invoice = await ww.invoices.create({ amount: '12.50', currency: 'USD', order_id: 'order-42' });
 * // send the buyer to invoice.checkout_url
 */
export class WebWalletMerchant {
  /** `test` for `ww_test_…` keys (sandbox ledger, play money), `live` for `ww_live_…` keys. */
  readonly mode: Mode;
  readonly invoices: Invoices;
  readonly refunds: Refunds;
  readonly payouts: Payouts;
  readonly balance: BalanceResource;
  readonly webhooks: Webhooks;
  readonly paymentLinks: PaymentLinks;
  readonly events: Events;
  readonly keys: Keys;
  readonly sandbox: Sandbox;
  readonly reports: Reports;

  constructor(options: WebWalletMerchantOptions) {
    this.mode = modeOfKey(options.apiKey);
    const http = new Transport({
      apiKey: options.apiKey,
      baseUrl: normalizeBaseUrl(options.baseUrl),
      fetch: options.fetch ?? defaultFetch(),
      timeout_ms: checkedInteger('timeout_ms', options.timeout_ms ?? DEFAULT_TIMEOUT_MS, 1, TIMEOUT_MS_MAX),
      maxRetries: checkedInteger('maxRetries', options.maxRetries ?? DEFAULT_MAX_RETRIES, 0, MAX_RETRIES_MAX),
    });
    this.invoices = new Invoices(http);
    this.refunds = new Refunds(http);
    this.payouts = new Payouts(http);
    this.balance = new BalanceResource(http);
    this.webhooks = new Webhooks(http);
    this.paymentLinks = new PaymentLinks(http);
    this.events = new Events(http);
    this.keys = new Keys(http);
    this.sandbox = new Sandbox(http);
    this.reports = new Reports(http);
  }
}
