import {
  ERRORS,
  type ErrorCode,
  type ErrorDetails,
  type FetchLike,
  PAYER_TOKEN_PREFIX,
  type PayerTokenClaims,
  type TrustedNode,
  type VerifyPayerTokenOptions,
  verifyPayerToken,
} from '@webwallet/core';
import type { Redemption, RedemptionRegistry } from './registry.js';

/**
 * Sell a route for a ledger payment, with no payment server: a request without a payer token is
 * answered `402 Payment Required` with payment instructions; an invalid token `403`; a payment
 * already redeemed `409`; a valid token presented for the first time runs the route.
 */
export interface PayerTokenGateOptions {
  /** The account that must be paid, "pub_…" or "acc_…". */
  readonly payee: string;
  /** The price: the least amount accepted, as a decimal string, and the currency code. */
  readonly amount: string;
  readonly currency: string;
  /**
   * The origin(s) tokens must be addressed to: this site as buyers reach it, e.g.
   * "https://shop.example". A function is asked on each request (for an origin known only after
   * the server starts listening).
   */
  readonly audience: string | readonly string[] | (() => string | readonly string[]);
  /** Nodes whose receipts are trusted; a node with a `url` also serves by-reference tokens online. */
  readonly trusted_nodes: readonly TrustedNode[];
  /** Where first presentations are recorded. Shared by every process serving the route. */
  readonly registry: RedemptionRegistry;
  /** An order reference the payment's memo must carry, fixed or read from the request URL. */
  readonly reference?: string | ((url: URL) => string | undefined);
  /** Shown to the buyer in the 402 answer. */
  readonly description?: string;
  /** Clock for expiry checks and redemption times, ms since the epoch. */
  readonly now?: () => number;
  readonly clock_skew_s?: number;
  /** For online lookups of by-reference tokens. */
  readonly fetch?: FetchLike;
  readonly timeout_ms?: number;
  readonly seal_wait_ms?: number;
  /** Told about infrastructure faults (a registry that fails), which answer 503. */
  readonly onError?: (error: unknown) => void;
}

/** What a route learns about the payment that unlocked it. */
export interface PayerTokenRedemption {
  readonly redemption: Redemption;
  readonly claims: PayerTokenClaims;
  readonly source: 'receipt' | 'node';
}

/** The header scheme: `Authorization: PayerToken wwpt1.…`. */
export const AUTHORIZATION_SCHEME = 'PayerToken';
/** The query parameter a plain link or form may carry the token in instead. */
export const TOKEN_QUERY_PARAMETER = 'payer_token';

/** The outcome of checking a request: a redemption, or the answer to send instead. */
export type GateDecision =
  | { readonly ok: true; readonly value: PayerTokenRedemption }
  | { readonly ok: false; readonly status: number; readonly headers: Record<string, string>; readonly body: unknown };

/** The token text a request presents, from the Authorization header or the query string. */
export function presentedToken(authorization: string | null | undefined, url: URL): string | undefined {
  if (authorization) {
    const [scheme, ...rest] = authorization.trim().split(/\s+/);
    const lower = scheme?.toLowerCase();
    if (lower === AUTHORIZATION_SCHEME.toLowerCase() && rest.length === 1) return rest[0];
    // "Bearer wwpt1.…" is an easy mistake; the prefix makes the intent unambiguous.
    if (lower === 'bearer' && rest.length === 1 && rest[0]?.startsWith(PAYER_TOKEN_PREFIX)) return rest[0];
  }
  return url.searchParams.get(TOKEN_QUERY_PARAMETER) ?? undefined;
}

function errorAnswer(code: ErrorCode, details: ErrorDetails, status = ERRORS[code].status): GateDecision {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (status === 503) headers['retry-after'] = '1';
  return { ok: false, status, headers, body: { error: { code, message: ERRORS[code].message, details } } };
}

function audiencesOf(options: PayerTokenGateOptions): readonly string[] {
  const audience = typeof options.audience === 'function' ? options.audience() : options.audience;
  return typeof audience === 'string' ? [audience] : audience;
}

function referenceFor(options: PayerTokenGateOptions, url: URL): string | undefined {
  return typeof options.reference === 'function' ? options.reference(url) : options.reference;
}

/** The 402 answer: everything a wallet needs to pay and come back with a token. */
export function paymentRequired(options: PayerTokenGateOptions, url: URL): GateDecision {
  const reference = referenceFor(options, url);
  const [audience] = audiencesOf(options);
  const node = options.trusted_nodes[0];
  const query = new URLSearchParams();
  if (node?.url) query.set('node', node.url);
  query.set('to', options.payee);
  query.set('amount', options.amount);
  query.set('currency', options.currency);
  if (reference !== undefined) query.set('memo', reference);
  const payment = {
    payee: options.payee,
    amount: options.amount,
    currency: options.currency,
    ...(reference === undefined ? {} : { reference }),
    ...(options.description === undefined ? {} : { description: options.description }),
    audience,
    nodes: options.trusted_nodes.map((n) => ({ public_key: n.public_key, ...(n.url ? { url: n.url } : {}) })),
    payment_uri: `web+webwallet:pay?${query.toString()}`,
    present_token: `Authorization: ${AUTHORIZATION_SCHEME} <token>, or ?${TOKEN_QUERY_PARAMETER}=<token>`,
  };
  return errorAnswer('payment_required', { payment });
}

/** Verification failures that say "try again shortly" rather than "this token is bad". */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['node_unreachable', 'payment_not_sealed']);

/**
 * Checks a request's payer token and, when it is valid, claims its payment in the registry. Use
 * it to gate routes in frameworks other than fetch-style servers and Fastify; call
 * `registry.release(key)` if fulfilment then fails.
 */
export async function checkPayerToken(
  options: PayerTokenGateOptions,
  authorization: string | null | undefined,
  url: URL,
): Promise<GateDecision> {
  const text = presentedToken(authorization, url);
  if (text === undefined) return paymentRequired(options, url);
  const now = options.now?.() ?? Date.now();
  const reference = referenceFor(options, url);
  const verified = await verifyPayerToken(text, verifyOptions(options, now, reference));
  if (!verified.ok) {
    const { code, details } = verified.error;
    return errorAnswer(code, details, RETRYABLE.has(code) ? 503 : 403);
  }
  const { claims } = verified.value;
  const redemption: Redemption = {
    key: verified.value.redemption_key,
    payer: claims.payer,
    payee: claims.payee,
    amount: claims.amount,
    currency: claims.currency,
    ...(claims.reference === undefined ? {} : { reference: claims.reference }),
    audience: claims.audience,
    redeemed_at: new Date(now).toISOString(),
  };
  let first: boolean;
  try {
    first = await options.registry.claim(redemption);
  } catch (error) {
    options.onError?.(error);
    return errorAnswer('service_unavailable', { reason: 'the redemption registry failed' });
  }
  if (!first) return errorAnswer('token_replayed', { redemption_key: redemption.key });
  return { ok: true, value: { redemption, claims, source: verified.value.source } };
}

function verifyOptions(
  options: PayerTokenGateOptions,
  now: number,
  reference: string | undefined,
): VerifyPayerTokenOptions {
  return {
    trusted_nodes: options.trusted_nodes,
    expect: {
      payee: options.payee,
      amount: options.amount,
      currency: options.currency,
      audience: audiencesOf(options),
      ...(reference === undefined ? {} : { reference }),
    },
    now_ms: now,
    ...(options.clock_skew_s === undefined ? {} : { clock_skew_s: options.clock_skew_s }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.timeout_ms === undefined ? {} : { timeout_ms: options.timeout_ms }),
    ...(options.seal_wait_ms === undefined ? {} : { seal_wait_ms: options.seal_wait_ms }),
  };
}

export type PaidHandler = (request: Request, paid: PayerTokenRedemption) => Response | Promise<Response>;

/**
 * A fetch-style handler (`Request -> Response`: Deno.serve, Bun.serve, Cloudflare Workers, Hono…)
 * that runs `handler` only for a request with a valid, first-time payer token. When the handler
 * throws or answers 5xx, the redemption is released so the buyer can try again: a failed
 * fulfilment never consumes a payment.
 *
 * @example
 * const sell = withPayerToken({ payee, amount: '5.00', currency: 'EUR', audience: 'https://shop.example',
 *   trusted_nodes: [{ public_key: 'pub_…' }], registry }, () => new Response(file));
 * Deno.serve(sell);
 */
export function withPayerToken(
  options: PayerTokenGateOptions,
  handler: PaidHandler,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const decision = await checkPayerToken(options, request.headers.get('authorization'), new URL(request.url));
    if (!decision.ok) return Response.json(decision.body, { status: decision.status, headers: decision.headers });
    let response: Response;
    try {
      response = await handler(request, decision.value);
    } catch (error) {
      await releaseQuietly(options, decision.value.redemption.key);
      throw error;
    }
    if (response.status >= 500) await releaseQuietly(options, decision.value.redemption.key);
    return response;
  };
}

export async function releaseQuietly(options: PayerTokenGateOptions, key: string): Promise<void> {
  try {
    await options.registry.release(key);
  } catch (error) {
    options.onError?.(error);
  }
}
