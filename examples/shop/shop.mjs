#!/usr/bin/env node
/**
 * Members Club: a shop selling one thing, access to a members-only page, for 5.00 USD paid
 * through a WebWallet node. It is the worked example of the integration guide (README.md), and
 * uses nothing but node:http and @webwallet/merchant.
 *
 * Orders, sessions and the ids of handled webhook events live in memory: a restart forgets them
 * (a real shop keeps them in its database, in the same transaction as the order's change).
 *
 * Run it against a node (`npm run shop` at the repository root does all of this for you):
 *   WW_NODE_URL=http://127.0.0.1:8787 WW_API_KEY=ww_test_… WW_WEBHOOK_SECRET=whsec_… node shop.mjs
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { verifyWebhook, WebhookVerificationError, WebWalletMerchant } from '@webwallet/merchant';

/** What the shop sells. Amounts are decimal strings, never floats. */
export const PRICE = { amount: '5.00', currency: 'USD' };
export const SESSION_COOKIE = 'shop_session';
export const WEBHOOK_PATH = '/webhooks/webwallet';
/** Limits: the node's event bodies are a few kilobytes; the buy form has no fields. */
const WEBHOOK_BODY_BYTES_MAX = 1_048_576;
const FORM_BODY_BYTES_MAX = 4096;
/** The in-memory store refuses new orders beyond this, rather than growing without bound. */
const ORDERS_MAX = 10_000;
/** Event ids remembered for deduplication (the node redelivers for up to 3 days; this is a demo). */
const SEEN_EVENTS_MAX = 10_000;
const SESSION_MAX_AGE_S = 30 * 24 * 3600;
/** How often the "payment pending" page reloads itself. */
const PENDING_REFRESH_S = 2;

// --- HTML: every interpolated value is escaped unless it is already Safe -----------------------

class Safe {
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A tagged template: `html\`<p>${userText}</p>\`` escapes userText; nested html`` stays as is. */
function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => {
    const text =
      value instanceof Safe
        ? value.text
        : value === null || value === undefined || value === false
          ? ''
          : escapeHtml(value);
    out += text + strings[i + 1];
  });
  return new Safe(out);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#17191c}
.banner{background:#fff1c2;color:#5c3a00;padding:.5rem 1rem;border-radius:8px;font-weight:600}
button,.btn{display:inline-block;font:inherit;font-weight:600;padding:.75rem 1.25rem;border-radius:8px;border:0;background:#1d4ed8;color:#fff;cursor:pointer;text-decoration:none}
.card{border:1px solid #d4d8de;border-radius:12px;padding:1rem 1.25rem;margin:1rem 0}
.muted{color:#4f5661}`;

function page({ title, mode, refresh_s }, body) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh_s ? html`<meta http-equiv="refresh" content="${refresh_s}">` : null}
<title>${title} · Members Club</title>
<style>${new Safe(STYLE)}</style>
</head>
<body>
${mode === 'test' ? html`<p class="banner">Test mode: pay with play money from the node's sandbox.</p>` : null}
${body}
</body>
</html>
`.text;
}

// --- HTTP helpers --------------------------------------------------------------------------------

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

function sendHtml(res, status, text, headers = {}) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(text);
}

function sendText(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

class BodyTooLarge extends Error {}

/** The request body as raw bytes, exactly as received (webhook signatures are over these bytes). */
async function readRawBody(req, bytes_max) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > bytes_max) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function cookies(req) {
  const out = new Map();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

/** A bounded set: once full, the oldest entry goes (a Set iterates in insertion order). */
function remember(set, value, size_max) {
  set.add(value);
  if (set.size > size_max) set.delete(set.values().next().value);
}

// --- the shop ------------------------------------------------------------------------------------

/**
 * Starts the shop's HTTP server.
 *
 * @param {object} options
 * @param {string} options.nodeUrl The WebWallet node's base URL.
 * @param {string} options.apiKey A secret key: `ww_test_…` while integrating, `ww_live_…` in production.
 * @param {string | string[]} [options.webhookSecret] The webhook endpoint's secret(s); also settable
 *   later with `setWebhookSecret` (the endpoint can only be registered once the shop's URL is known).
 * @param {number} [options.port] Default 3000; 0 picks a free port.
 * @param {string} [options.host] Default 127.0.0.1.
 * @param {string} [options.publicUrl] The shop's external URL (behind a proxy); default http://host:port.
 * @param {(message: string) => void} [options.log] Default console.log.
 * @example
 * const shop = await startShop({ nodeUrl: 'http://127.0.0.1:8787', apiKey: 'ww_test_…', webhookSecret: 'whsec_…' });
 * console.log(`open ${shop.url}`);
 */
export async function startShop({
  nodeUrl,
  apiKey,
  webhookSecret,
  port = 3000,
  host = '127.0.0.1',
  publicUrl,
  log = console.log,
}) {
  const ww = new WebWalletMerchant({ apiKey, baseUrl: nodeUrl });
  let webhookSecrets = webhookSecret;
  /** order id → { id, session, invoice_id, status: 'pending' | 'paid', paid_at, event_id } */
  const orders = new Map();
  /** session id → Set of its order ids. A session is a member once one of its orders is paid. */
  const sessions = new Map();
  /** Ids of webhook events already handled: the node delivers at least once. */
  const seenEvents = new Set();
  let baseUrl = publicUrl?.replace(/\/+$/, '');

  const sessionOf = (req) => {
    const id = cookies(req).get(SESSION_COOKIE);
    return id !== undefined && sessions.has(id) ? id : undefined;
  };
  const ordersOf = (session) => [...(sessions.get(session) ?? [])].map((id) => orders.get(id));
  const isMember = (session) => ordersOf(session).some((order) => order.status === 'paid');
  const sessionCookie = (id) =>
    `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${SESSION_MAX_AGE_S}; HttpOnly; SameSite=Lax${baseUrl.startsWith('https:') ? '; Secure' : ''}`;

  function home(req, res) {
    const session = sessionOf(req);
    const body = isMember(session)
      ? html`<h1>Members Club</h1><p>You are a member. <a class="btn" href="/members">Go to the members page</a></p>`
      : html`<h1>Members Club</h1>
<p>One payment opens the members-only page: the club's recipes, maps and secrets.</p>
<form method="post" action="/buy"><button id="buy" type="submit">Buy membership — ${PRICE.amount} ${PRICE.currency}</button></form>
<p class="muted">You pay on the WebWallet checkout page and come back here.</p>`;
    sendHtml(res, 200, page({ title: 'Home', mode: ww.mode }, body));
  }

  async function buy(req, res) {
    await readRawBody(req, FORM_BODY_BYTES_MAX); // the form has no fields; read it so the connection can be reused
    if (orders.size >= ORDERS_MAX) {
      return sendHtml(res, 503, page({ title: 'Busy', mode: ww.mode }, html`<h1>Too many open orders</h1>`));
    }
    let session = sessionOf(req);
    const headers = {};
    if (!session) {
      session = randomBytes(32).toString('base64url');
      sessions.set(session, new Set());
      headers['set-cookie'] = sessionCookie(session);
    }
    const order = { id: `order_${randomBytes(12).toString('base64url')}`, session, status: 'pending' };
    orders.set(order.id, order);
    sessions.get(session).add(order.id);
    try {
      // The session id is a bearer secret: it never leaves the shop. The invoice carries the order id.
      const invoice = await ww.invoices.create(
        {
          amount: PRICE.amount,
          currency: PRICE.currency,
          order_id: order.id,
          description: 'Members Club membership',
          metadata: { product: 'membership' },
          redirect_url: `${baseUrl}/members`,
        },
        { idempotencyKey: order.id }, // a retried request creates one invoice, not two
      );
      order.invoice_id = invoice.id;
      res.writeHead(303, { ...headers, location: invoice.checkout_url, 'cache-control': 'no-store' }).end();
    } catch (error) {
      // WebWalletApiError (with a stable error.code) or WebWalletConnectionError: the node said no or is unreachable.
      log(`could not create an invoice for ${order.id}: ${error.code ?? ''} ${error.message}`);
      orders.delete(order.id);
      sessions.get(session).delete(order.id);
      const body = html`<h1>Payment is unavailable</h1><p>Please try again in a minute.</p><p><a href="/">Back</a></p>`;
      sendHtml(res, 502, page({ title: 'Payment unavailable', mode: ww.mode }, body), headers);
    }
  }

  function members(req, res) {
    const session = sessionOf(req);
    const mine = ordersOf(session);
    const paid = mine.find((order) => order.status === 'paid');
    if (paid) {
      const body = html`<h1 id="members">Welcome to the members-only page</h1>
<div class="card"><p>The secret recipe: equal parts patience and play money.</p></div>
<p class="muted">Order ${paid.id}, invoice ${paid.invoice_id}, paid ${paid.paid_at}.</p>`;
      return sendHtml(res, 200, page({ title: 'Members', mode: ww.mode }, body));
    }
    if (mine.length > 0) {
      // Paid on the checkout page but the webhook is not here yet (or the buyer came back unpaid).
      const body = html`<h1 id="pending">Payment pending</h1>
<p>We have not received your payment yet. This page refreshes by itself every ${PENDING_REFRESH_S} seconds.</p>
<p><a href="/">Back to the shop</a></p>`;
      return sendHtml(res, 200, page({ title: 'Payment pending', mode: ww.mode, refresh_s: PENDING_REFRESH_S }, body));
    }
    const body = html`<h1 id="not-paid">Members only</h1><p>This page is for members.</p>
<p><a class="btn" href="/">Buy a membership</a></p>`;
    return sendHtml(res, 200, page({ title: 'Not paid', mode: ww.mode }, body));
  }

  async function webhook(req, res) {
    if (webhookSecrets === undefined) return sendText(res, 503, 'webhook secret not configured yet'); // the node retries
    const rawBody = await readRawBody(req, WEBHOOK_BODY_BYTES_MAX); // raw bytes: never JSON.parse before verifying
    let event;
    try {
      event = await verifyWebhook(rawBody, req.headers['webwallet-signature'], webhookSecrets);
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      log(`webhook rejected: ${error.reason}`);
      return sendText(res, 400, error.reason);
    }
    if (seenEvents.has(event.id)) {
      log(`webhook ${event.id}: already handled`); // delivery is at least once
      return sendText(res, 200, 'duplicate');
    }
    if (event.type === 'invoice.settled') fulfil(event.data.invoice, event.id);
    remember(seenEvents, event.id, SEEN_EVENTS_MAX);
    sendText(res, 200, 'ok');
  }

  /** Unlocks the order an `invoice.settled` event is about, after checking it is the invoice we made. */
  function fulfil(invoice, eventId) {
    const order = orders.get(invoice.order_id);
    if (!order || order.invoice_id !== invoice.id) return log(`settled invoice ${invoice.id}: no such order here`);
    if (invoice.mode !== ww.mode || invoice.amount !== PRICE.amount || invoice.currency !== PRICE.currency) {
      return log(`settled invoice ${invoice.id} does not match order ${order.id}: not unlocking`);
    }
    if (order.status === 'paid') return;
    Object.assign(order, { status: 'paid', paid_at: invoice.settled_at, event_id: eventId });
    log(`order ${order.id} paid (invoice ${invoice.id}): membership unlocked`);
  }

  const routes = {
    'GET /': home,
    'POST /buy': buy,
    'GET /members': members,
    [`POST ${WEBHOOK_PATH}`]: webhook,
  };

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://shop.invalid').pathname;
    const handler = routes[`${req.method === 'HEAD' ? 'GET' : req.method} ${path}`];
    try {
      if (handler) return await handler(req, res);
      const allowed = Object.keys(routes).filter((route) => route.endsWith(` ${path}`));
      if (allowed.length > 0) {
        res.writeHead(405, { allow: allowed.map((route) => route.split(' ')[0]).join(', ') }).end();
      } else sendHtml(res, 404, page({ title: 'Not found', mode: ww.mode }, html`<h1>Not found</h1>`));
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        res.writeHead(413, { connection: 'close' }).end();
        return;
      }
      log(`${req.method} ${path} failed: ${error.stack ?? error}`);
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.destroy();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${server.address().port}`;
  baseUrl ??= url;

  return {
    /** Where the shop listens. */
    url,
    /** The shop's external URL: redirects and the webhook endpoint use it. */
    publicUrl: baseUrl,
    webhookUrl: `${baseUrl}${WEBHOOK_PATH}`,
    mode: ww.mode,
    /** The in-memory orders, by order id (read them, e.g. in tests; the shop writes them). */
    orders,
    /** Sets the webhook secret(s): one, or `[new, old]` while rotating. */
    setWebhookSecret(secret) {
      webhookSecrets = secret;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// --- CLI -----------------------------------------------------------------------------------------

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`Set ${name}. Example:
  WW_NODE_URL=http://127.0.0.1:8787 WW_API_KEY=ww_test_… WW_WEBHOOK_SECRET=whsec_… node shop.mjs
or run everything locally with "npm run shop" at the repository root.`);
    process.exit(2);
  }
  return value;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const shop = await startShop({
    nodeUrl: env('WW_NODE_URL'),
    apiKey: env('WW_API_KEY'),
    webhookSecret: env('WW_WEBHOOK_SECRET'),
    port: Number(process.env.PORT ?? 3000),
    publicUrl: process.env.PUBLIC_URL || undefined,
  });
  console.log(`Members Club (${shop.mode} mode) on ${shop.url}; webhooks to ${shop.webhookUrl}`);
  const stop = () => shop.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
