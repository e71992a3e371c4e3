#!/usr/bin/env node
/**
 * Event tickets with no ticketing back end: a ticket is a payer token. The buyer pays the
 * organiser's account on a WebWallet node with the event's id as memo, makes a payer token for that
 * payment (`webwallet token create`), and shows it as a QR code at the door. The door-check page
 * verifies tickets offline, from the payment receipt each token carries and the node's public key
 * it loaded once, and admits each payment once per device.
 *
 * This server only explains how to buy, turns a token into a printable ticket (verifying it
 * first), and serves the door page. It keeps no state: nothing is recorded when a ticket is shown.
 *
 * Run it against a node (`npm run tickets` at the repository root does everything for you):
 *   WW_NODE_URL=http://127.0.0.1:8788 WW_ORGANISER=pub_… node server.mjs
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { originOf, PAYER_TOKEN_LIFETIME_MAX_S, PAYER_TOKEN_TEXT_LENGTH_MAX, verifyPayerToken } from '@webwallet/core';
import { build } from 'esbuild';
import QRCode from 'qrcode';

const HERE = import.meta.dirname;

/**
 * The QR code of a ticket. Error correction L: a token is 1.5 to 2.5 KB, and level M holds at
 * most 2,331 bytes (L: 2,953), so only L takes every token. L also gives the fewest, largest
 * modules for a given size, which is what matters for a code shown on a clean phone screen (the
 * stronger levels pay for scratches and stains on paper).
 */
export const QR_OPTIONS = Object.freeze({ type: 'svg', errorCorrectionLevel: 'L', margin: 4 });
/** The ticket form carries one token (at most 16 KB) URL-encoded. */
const FORM_BODY_BYTES_MAX = 4 * PAYER_TOKEN_TEXT_LENGTH_MAX;
/** When no end is given, an event lasts this long; tickets must stay valid until it ends. */
export const EVENT_DURATION_DEFAULT_MS = 6 * 3600 * 1000;
const NODE_INFO_TIMEOUT_MS = 10_000;
/** How often, at most, a door device asks whether the door page has a new version. */
const SW_UPDATE_CHECK_S = 3600;
/** The event's id is the payments' memo, which the ledger limits to this many characters. */
const MEMO_LENGTH_MAX = 256;

const ACCOUNT = /^(pub_[A-Za-z0-9_-]{43}|acc_[A-Za-z0-9_-]{4,40})$/;
const DECIMAL = /^(0|[1-9]\d{0,29})(\.\d{1,18})?$/;
const CURRENCY = /^[A-Z0-9][A-Z0-9-]{0,11}$/;

// --- HTML: every interpolated value is escaped unless it is already Safe -----------------------

class Safe {
  constructor(text) {
    this.text = text;
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
    const text = value instanceof Safe ? value.text : value === null || value === undefined ? '' : escapeHtml(value);
    out += text + strings[i + 1];
  });
  return new Safe(out);
}

function page(title, body) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/style.css">
</head>
<body>
${body}
</body>
</html>
`.text;
}

/** "pub_AbCd…WxYz" */
export function shortId(id) {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

function formatTime(iso) {
  const format = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'short', timeZone: 'UTC' });
  return `${format.format(new Date(iso))} UTC`;
}

/**
 * The `webwallet token create --lifetime` that lasts until `iso` (the event's end): whole hours,
 * rounded up, e.g. "172h"; at most the longest lifetime a token may have.
 */
export function lifetimeUntil(iso, now_ms = Date.now()) {
  const hours = Math.ceil((Date.parse(iso) - now_ms) / 3_600_000);
  return `${Math.min(Math.max(hours, 1), Math.floor(PAYER_TOKEN_LIFETIME_MAX_S / 3600))}h`;
}

// --- HTTP ------------------------------------------------------------------------------------------

/** No third-party anything, no inline script or style, no framing; DOM sinks locked (Trusted Types). */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
];

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache', ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

/** @param {{ door?: boolean }} [options] the door page registers a service worker and may use the camera */
function sendHtml(res, status, body, { door = false } = {}) {
  // The door's one Trusted Types policy ("door") vouches for the service worker's URL; no other page has any.
  const policies = door ? 'trusted-types door' : "trusted-types 'none'";
  send(res, status, 'text/html; charset=utf-8', body, {
    'cache-control': 'no-store',
    'content-security-policy': [...CSP, policies].join('; '),
    'permissions-policy': door ? 'camera=(self)' : 'camera=()',
  });
}

class HttpProblem extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function readBody(req, bytes_max) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > bytes_max)
      throw new HttpProblem(413, 'payload_too_large', `A ticket form is at most ${bytes_max} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// --- The door page's files -------------------------------------------------------------------------

/**
 * Bundles door/door.js with @webwallet/core for the browser. Core loads node:crypto and node:zlib
 * only on Node, through a variable specifier that esbuild leaves alone; a static import of a Node
 * module would break the page, so the bundle is refused if it has one.
 */
export async function buildDoorScript() {
  const result = await build({
    entryPoints: [join(HERE, 'door', 'door.js')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Not minifySyntax: it would fold core's variable specifiers back into import("node:crypto").
    minifyWhitespace: true,
    minifyIdentifiers: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
  });
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports);
  const external = imports.filter((i) => i.path.startsWith('node:') || i.external).map((i) => i.path);
  const text = result.outputFiles[0]?.text ?? '';
  if (external.length > 0 || /\bimport\s*\(\s*["'`]node:/.test(text)) {
    throw new Error(`the door bundle must not import Node modules: ${external.join(', ') || 'import("node:…")'}`);
  }
  return text;
}

function staticFile(...parts) {
  return readFileSync(join(HERE, ...parts), 'utf8');
}

// --- The server ------------------------------------------------------------------------------------

/** The node's public key, from its /.well-known/webwallet. */
async function fetchNodeKey(nodeUrl) {
  const response = await fetch(`${nodeUrl}/.well-known/webwallet`, {
    signal: AbortSignal.timeout(NODE_INFO_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`${nodeUrl}/.well-known/webwallet: HTTP ${response.status}`);
  const { public_key } = await response.json();
  return public_key;
}

function checkOptions({ organiser, price, currency, event }) {
  if (!ACCOUNT.test(organiser ?? '')) throw new TypeError('organiser must be an account id ("pub_…")');
  if (!DECIMAL.test(price ?? '')) throw new TypeError('price must be a decimal string such as "25.00"');
  if (!CURRENCY.test(currency ?? '')) throw new TypeError('currency must be a currency code such as "DEMO"');
  if (typeof event?.name !== 'string' || Number.isNaN(Date.parse(event.starts_at))) {
    throw new TypeError('event needs a name and a starts_at time');
  }
}

/** The event with its defaults: an id (the payment memo) and an end time. */
function normaliseEvent(event) {
  const id =
    event.id ??
    event.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
  if (id.length < 1 || id.length > MEMO_LENGTH_MAX)
    throw new TypeError(`event.id is 1 to ${MEMO_LENGTH_MAX} characters`);
  const starts = Date.parse(event.starts_at);
  const ends = event.ends_at === undefined ? starts + EVENT_DURATION_DEFAULT_MS : Date.parse(event.ends_at);
  if (!(ends > starts)) throw new TypeError('event.ends_at must be a time after starts_at');
  const [starts_at, ends_at] = [starts, ends].map((ms) => new Date(ms).toISOString());
  return { id, name: event.name, venue: event.venue ?? '', starts_at, ends_at };
}

/**
 * Starts the tickets server.
 *
 * @param {object} options
 * @param {number} [options.port] 0 picks a free port
 * @param {string} [options.host] default 127.0.0.1
 * @param {string} [options.publicUrl] the origin buyers and the door use, when not http://host:port
 * @param {string} options.nodeUrl the WebWallet node the payments are made on
 * @param {string} [options.nodePublicKey] the node's key; default: from the node's /.well-known/webwallet
 * @param {string} options.organiser the account ticket payments go to ("pub_…")
 * @param {string} options.price decimal string, e.g. "25.00"
 * @param {string} options.currency e.g. "DEMO"
 * @param {{ id?: string, name: string, starts_at: string, ends_at?: string, venue?: string }} options.event
 * @param {(method: string, url: string) => void} [options.onRequest] called for every request
 * @returns {Promise<{ url: string, config: object, close(): Promise<void> }>}
 */
export async function startTickets(options) {
  checkOptions(options);
  const { nodeUrl, organiser, price, currency, host = '127.0.0.1', port = 0, onRequest } = options;
  const event = normaliseEvent(options.event);
  const nodePublicKey = options.nodePublicKey ?? (await fetchNodeKey(nodeUrl));
  const files = {
    door: staticFile('door', 'index.html'),
    doorScript: await buildDoorScript(),
    sw: staticFile('door', 'sw.js'),
    style: staticFile('public', 'style.css'),
    icon: staticFile('public', 'icon.svg'),
    ticketScript: staticFile('public', 'ticket.js'),
  };

  const state = { origin: '', config: undefined, swScript: '' };
  const server = createServer((req, res) => {
    onRequest?.(req.method, req.url);
    handle(req, res).catch((error) => {
      if (error instanceof HttpProblem) return sendHtml(res, error.status, errorPage(error.code, error.message));
      console.error(error);
      if (!res.headersSent) sendHtml(res, 500, errorPage('internal', 'Something went wrong on our side.'));
    });
  });

  async function handle(req, res) {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (pathname === '/ticket' && req.method === 'POST') return ticket(req, res);
    if (!get) throw new HttpProblem(405, 'method_not_allowed', 'This address only answers GET.');
    switch (pathname) {
      case '/':
        return sendHtml(res, 200, eventPage());
      case '/ticket':
        res.writeHead(303, { location: '/' }).end();
        return;
      case '/door':
        res.writeHead(308, { location: '/door/' }).end();
        return;
      case '/door/':
        return sendHtml(res, 200, files.door, { door: true });
      case '/door/door.js':
        return send(res, 200, 'text/javascript; charset=utf-8', files.doorScript);
      case '/door/config.json':
        return send(res, 200, 'application/json', JSON.stringify(state.config));
      case '/door/sw.js':
        return send(res, 200, 'text/javascript; charset=utf-8', state.swScript, {
          // The browser looks for a new door version after each page load; with the page's
          // updateViaCache: 'all' it asks the server at most this often, not at every reload.
          'cache-control': `max-age=${SW_UPDATE_CHECK_S}`,
          'content-security-policy': "default-src 'self'",
          'service-worker-allowed': '/door', // a scope of /door covers /door itself, not only /door/…
        });
      case '/style.css':
        return send(res, 200, 'text/css; charset=utf-8', files.style);
      case '/icon.svg':
        return send(res, 200, 'image/svg+xml', files.icon);
      case '/ticket.js':
        return send(res, 200, 'text/javascript; charset=utf-8', files.ticketScript);
      default:
        throw new HttpProblem(404, 'not_found', 'There is nothing at this address.');
    }
  }

  function eventPage() {
    const commands = buyCommands({ nodeUrl, organiser, price, currency, event, audience: state.origin });
    return page(
      `${event.name} · tickets`,
      html`<h1>${event.name}</h1>
<p class="muted">${formatTime(event.starts_at)}${event.venue ? html` · ${event.venue}` : null}</p>
<div class="card">
<dl class="facts">
<dt>Ticket</dt><dd id="price">${price} ${currency}</dd>
<dt>Pay to</dt><dd><code id="organiser">${organiser}</code></dd>
<dt>Memo</dt><dd><code id="event-id">${event.id}</code></dd>
<dt>On the node</dt><dd><code>${nodeUrl}</code></dd>
</dl>
</div>
<h2>How to get a ticket</h2>
<ol>
<li>Pay ${price} ${currency} to the organiser, with the event's id as memo:
<pre><code id="pay-command">${commands.pay}</code></pre></li>
<li>Make a ticket for that payment, valid until the event ends (the transaction id is printed by step 1):
<pre><code id="token-command">${commands.token}</code></pre></li>
<li>Paste the token it prints (it starts with <code>wwpt1.</code>) here to see your ticket:
<form method="post" action="/ticket">
<label for="token">Your token</label>
<textarea id="token" name="token" rows="6" maxlength="${PAYER_TOKEN_TEXT_LENGTH_MAX}" required spellcheck="false" autocomplete="off"></textarea>
<button type="submit">Show my ticket</button>
</form></li>
</ol>
<p class="muted">Privacy: pay from a fresh account for each ticket, and your tickets cannot be linked to each other
or to your other payments. The organiser and the node still see each payment.</p>
<p class="muted">Door staff: open <a href="/door/">the door check</a> once while online; it then works offline.</p>`,
    );
  }

  async function ticket(req, res) {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      throw new HttpProblem(415, 'unsupported_media_type', 'Send the form on the event page.');
    }
    const token = (new URLSearchParams(await readBody(req, FORM_BODY_BYTES_MAX)).get('token') ?? '').trim();
    if (token === '') throw new HttpProblem(400, 'invalid_request', 'Paste your token (it starts with "wwpt1.").');
    const result = await verifyPayerToken(token, {
      trusted_nodes: [{ public_key: nodePublicKey }],
      expect: { payee: organiser, amount: price, currency, reference: event.id, audience: state.origin },
    });
    if (!result.ok) {
      const { code, status, message, details } = result.error;
      // The message points at details.*; a person reading the page needs the facts themselves.
      const facts = Object.entries(details)
        .filter(([, value]) => ['string', 'number'].includes(typeof value) || value === null || Array.isArray(value))
        .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : (value ?? 'none')}`);
      const hint =
        code === 'payment_reference_mismatch'
          ? ` A ticket is a payment with --memo ${event.id}; pay again with that memo (this payment cannot become a ticket).`
          : '';
      const detail = `${facts.length > 0 ? ` (${facts.join('; ')})` : ''}${hint}`;
      // Every verification failure is the token's fault; never answer a bad token with a 5xx.
      throw new HttpProblem(status >= 400 && status < 500 ? status : 422, code, `${message}${detail}`);
    }
    const { claims } = result.value;
    if (Date.parse(claims.expires_at) < Date.parse(event.ends_at)) {
      const message = `This token expires ${formatTime(claims.expires_at)}, before the event ends. Make a new token for the same payment with --lifetime ${lifetimeUntil(event.ends_at)}.`;
      throw new HttpProblem(422, 'ticket_expires_too_soon', message);
    }
    // A copy: qrcode writes its defaults into the options object it is given.
    const svg = await QRCode.toString(token, { ...QR_OPTIONS }).catch(() => {
      throw new HttpProblem(422, 'token_too_long', 'This token is too long for a QR code.');
    });
    sendHtml(res, 200, ticketPage(claims, token, svg));
  }

  function ticketPage(claims, token, svg) {
    return page(
      `Ticket · ${event.name}`,
      html`<h1>Your ticket</h1>
<div class="card" id="ticket">
<dl class="facts">
<dt>Event</dt><dd>${event.name}</dd>
<dt>When</dt><dd>${formatTime(event.starts_at)}</dd>
${event.venue ? html`<dt>Where</dt><dd>${event.venue}</dd>` : null}
<dt>Paid</dt><dd id="paid">${claims.amount} ${claims.currency}</dd>
<dt>Payer</dt><dd class="mono" id="payer" title="${claims.payer}">${shortId(claims.payer)}</dd>
<dt>Valid until</dt><dd id="valid-until">${formatTime(claims.expires_at)}</dd>
</dl>
<div class="qr" role="img" aria-label="QR code of your ticket">${new Safe(svg)}</div>
</div>
<p>Show this code at the door. It admits one person, once: anyone holding it can use it, so do not share it.
Save this page, or keep the token below; you can paste it here again at any time.</p>
<label for="token">Your token</label>
<textarea id="token" rows="6" readonly spellcheck="false">${token}</textarea>
<button type="button" id="copy" hidden>Copy</button> <span id="copy-status" role="status"></span>
<p><a href="/">Back to the event</a></p>
<script src="/ticket.js"></script>`,
    );
  }

  function errorPage(code, message) {
    return page(
      'Not a valid ticket',
      html`<h1>That is not a valid ticket</h1>
<p class="error" id="error" data-code="${code}"><strong>${code}</strong>: ${message}</p>
<p><a href="/">Back to the event</a></p>`,
    );
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const url = `http://${host}:${address.port}`;
  state.origin = originOf(options.publicUrl ?? url) ?? url;
  state.config = {
    event,
    organiser,
    price,
    currency,
    audience: state.origin,
    node_public_key: nodePublicKey,
  };
  // A new version of any cached file, or of the config, makes browsers install a fresh copy.
  const version = createHash('sha256')
    .update(JSON.stringify([files, state.config]))
    .digest('hex')
    .slice(0, 16);
  state.swScript = files.sw.replace('__VERSION__', version);

  return {
    url,
    config: state.config,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The CLI commands that buy a ticket; `key` is the buyer's key file. */
export function buyCommands({ nodeUrl, organiser, price, currency, event, audience, key = 'your-account.key' }) {
  const common = `--node ${nodeUrl} --key ${shellWord(key)}`;
  return {
    pay: `webwallet transfer ${common} --to ${organiser} --currency ${currency} --amount ${price} --memo ${shellWord(event.id)}`,
    token: `webwallet token create ${common} --transaction <id from step 1> --audience ${audience} --lifetime ${lifetimeUntil(event.ends_at)}`,
  };
}

/** A word a POSIX shell reads back as it is. */
export function shellWord(text) {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

// `node server.mjs`: configured from the environment.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = process.env;
  const tickets = await startTickets({
    nodeUrl: env.WW_NODE_URL ?? 'http://127.0.0.1:8788',
    organiser: env.WW_ORGANISER,
    price: env.WW_PRICE ?? '25.00',
    currency: env.WW_CURRENCY ?? 'DEMO',
    event: {
      id: env.WW_EVENT_ID,
      name: env.WW_EVENT_NAME ?? 'Spring Gig',
      starts_at: env.WW_EVENT_STARTS_AT ?? new Date(Date.now() + 7 * 86_400_000).toISOString(),
      venue: env.WW_EVENT_VENUE,
    },
    port: Number(env.PORT ?? 3001),
    publicUrl: env.WW_PUBLIC_URL,
  });
  console.log(`tickets: ${tickets.url} (door check: ${tickets.url}/door/)`);
}
