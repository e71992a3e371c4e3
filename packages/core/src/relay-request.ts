import { canonicalBytes } from './canonical-json.js';
import { type KeyPair, sha256, sign } from './crypto.js';
import { encodePrefixed, toHex } from './encoding.js';

/**
 * Signing requests to a node's wallet sync relay (`/v1/relay/…`). Shared by the node, which
 * checks the signatures, and the wallet, which makes them, so both build the signed bytes with
 * the same code. The node's checks (header parsing, clock window, replay memory) live with the
 * node in packages/server/src/relay/auth.ts.
 *
 *   Authorization: WebWallet-Device key=pub_…,t=<unix seconds>[,n=<nonce>],sig=sig_…
 *
 * sig is the device's Ed25519 signature over the canonical JSON (RFC 8785) of
 * {domain: "webwallet:relay:v1", method, path, t, body_sha256[, nonce]}.
 */

/** Separates relay request signatures from every other thing a device key signs. */
export const RELAY_AUTH_DOMAIN = 'webwallet:relay:v1';
/** The Authorization scheme of relay requests. */
export const RELAY_AUTH_SCHEME = 'WebWallet-Device';
/** How far a request's t may be from the node's clock, either way. */
export const RELAY_CLOCK_SKEW_S_MAX = 300;

/** What a device signs: the request as the node receives it, bound to a time. */
export interface RelayRequest {
  /** HTTP method, e.g. "POST" (signed upper-case). */
  readonly method: string;
  /** Path and query exactly as sent on the request line, e.g. "/v1/relay/mailboxes/mbx_…/messages?after=3". */
  readonly path: string;
  /** Unix seconds. */
  readonly t: number;
  /** The raw body bytes; empty for GET and DELETE. */
  readonly body: Uint8Array;
  /**
   * Optional, 1 to 64 base64url characters. Ed25519 signatures are deterministic, so the same
   * request in the same second is a replay; a random nonce lets a client repeat a request (a poll).
   */
  readonly nonce?: string | undefined;
}

/**
 * The signed bytes: canonical JSON of {domain, method, path, t, body_sha256, nonce?} (hex of the
 * SHA-256 of the raw body; the empty body hashes to e3b0c442…; nonce only when sent).
 */
export function relayRequestMessage(request: RelayRequest): Uint8Array {
  return canonicalBytes({
    domain: RELAY_AUTH_DOMAIN,
    method: request.method.toUpperCase(),
    path: request.path,
    t: request.t,
    body_sha256: toHex(sha256(request.body)),
    ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
  });
}

/**
 * The Authorization header value a device sends.
 *
 * @example
 * const body = new TextEncoder().encode('{}');
 * const header = await relayAuthorization(device, { method: 'POST', path: '/v1/relay/mailboxes', t: nowS, body });
 */
export async function relayAuthorization(device: KeyPair, request: RelayRequest): Promise<string> {
  const sig = encodePrefixed('sig', await sign(relayRequestMessage(request), device.secretKey));
  const nonce = request.nonce === undefined ? '' : `,n=${request.nonce}`;
  return `${RELAY_AUTH_SCHEME} key=${encodePrefixed('pub', device.publicKey)},t=${request.t}${nonce},sig=${sig}`;
}
