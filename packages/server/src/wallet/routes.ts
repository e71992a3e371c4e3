import { WebWalletError } from '@webwallet/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../http/errors.js';
import { buildWalletPwa, cachedBuild, type PwaBuilder, type PwaFile } from './pwa-build.js';

/** Where the node serves the wallet web app. */
export const WALLET_PATH = '/wallet/';
/** The node's payment method identifier path (W3C Payment Method Identifiers): `<origin>/pay`. */
export const PAYMENT_METHOD_PATH = '/pay';
export const PAYMENT_METHOD_MANIFEST_PATH = '/pay/manifest.json';

export interface WalletRouteOptions {
  /** Builds the app; default: the wallet package's build script. Built once, on first request. */
  readonly build?: PwaBuilder;
  /** The node's external base URL, for the absolute URLs of the payment method manifest. */
  readonly public_url?: string | undefined;
}

/**
 * The page's policy: the app's own files only, no inline code, requests to this node only, no
 * framing; DOM sinks locked by Trusted Types, with one policy ("wallet") that vouches for the
 * service worker's URL. Images may also be data: URLs: the QR codes the app draws and the small
 * logos cards carry (an image cannot run code).
 */
export const WALLET_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types wallet',
].join('; ');

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

const PAGE_HEADERS = {
  'content-security-policy': WALLET_CSP,
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  // The camera reads QR codes of cards (only when asked, and the browser asks the person first).
  'permissions-policy': 'camera=(self), microphone=(), geolocation=()',
};

/** Files a browser fetches for a page on another origin when it installs the payment handler. */
const PAYMENT_APP_FILES = new Set(['manifest.webmanifest', 'icon.svg', 'icon.png']);

/** Whether the client takes gzip (RFC 9110 section 12.5.3; "gzip;q=0" refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function notFound(request: FastifyRequest): WebWalletError {
  return new WebWalletError('route_not_found', { method: request.method, path: request.url.split('?')[0] ?? '' });
}

/**
 * The wallet web app at /wallet/ (index.html, app.js, app.css, sw.js, manifest.webmanifest,
 * icon.svg) and the payment method manifest at /pay, which the hosted checkout names in its
 * Payment Request (`supportedMethods: "<origin>/pay"`).
 *
 * Files are revalidated on every load (no-cache with an ETag, so an unchanged file costs a 304);
 * the service worker keeps its own copy for offline use.
 *
 * @example
 * walletRoutes(app, { public_url: config.public_url });
 */
export function walletRoutes(app: FastifyInstance, options: WalletRouteOptions = {}): void {
  const builder = options.build ?? buildWalletPwa;
  const hidden = { schema: { hide: true } };

  async function serve(request: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> {
    let files: readonly PwaFile[];
    let version: string;
    try {
      ({ files, version } = await cachedBuild(builder));
    } catch (error) {
      request.log.error({ err: error }, 'the wallet app could not be built');
      return sendError(
        reply,
        new WebWalletError('service_unavailable', { reason: 'the wallet app could not be built' }),
      );
    }
    const file = files.find((f) => f.name === name);
    if (!file) return sendError(reply, notFound(request));
    const etag = `"${version}"`;
    reply.headers({ ...COMMON_HEADERS, 'cache-control': 'no-cache', etag, vary: 'accept-encoding' });
    if (name === 'index.html') reply.headers(PAGE_HEADERS);
    // A merchant page's browser reads the manifest and its icon to install the wallet as its
    // payment handler (sw.js): they are public and carry nothing personal.
    if (PAYMENT_APP_FILES.has(name)) reply.header('cross-origin-resource-policy', 'cross-origin');
    if (name === 'sw.js') reply.header('content-security-policy', "default-src 'self'");
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    reply.type(file.type);
    if (acceptsGzip(request.headers['accept-encoding'])) {
      return reply.header('content-encoding', 'gzip').send(Buffer.from(file.gzip));
    }
    return reply.send(Buffer.from(file.body));
  }

  app.get('/wallet', hidden, async (_request, reply) => reply.redirect(WALLET_PATH, 308));
  app.get(WALLET_PATH, hidden, async (request, reply) => serve(request, reply, 'index.html'));
  app.get(`${WALLET_PATH}:file`, hidden, async (request, reply) => {
    const { file } = request.params as { file: string };
    // index.html has one address, /wallet/: a second one would be a second cache entry offline.
    if (file === 'index.html') return sendError(reply, notFound(request));
    return serve(request, reply, file);
  });

  const manifest = (request: FastifyRequest) => {
    const base = (options.public_url ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
    // W3C Payment Method Manifest: the wallet's web app manifest is the default payment app.
    return { default_applications: [`${base}${WALLET_PATH}manifest.webmanifest`] };
  };
  for (const path of [PAYMENT_METHOD_PATH, PAYMENT_METHOD_MANIFEST_PATH]) {
    app.get(path, hidden, async (request, reply) =>
      reply
        .headers({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' })
        // Browsers look for this header on the method URL first; the body is the same manifest.
        .header('link', `<${PAYMENT_METHOD_MANIFEST_PATH}>; rel="payment-method-manifest"`)
        // Payment apps on other origins may read it (it is public), as the spec's examples allow.
        .header('access-control-allow-origin', '*')
        .type('application/json')
        .send(manifest(request)),
    );
  }
}
