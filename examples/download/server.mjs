#!/usr/bin/env node
/**
 * A static file server that sells one file, with no payment server. The buyer pays the seller's
 * account on a WebWallet node, signs a payer token for that payment (addressed to this site), and
 * presents it: the file is served on the first presentation of a payment and refused (409) after.
 *
 * The seller has no merchant account anywhere. It trusts one thing, the node's public key, and
 * checks each token offline against the payment's receipt embedded in it (or, for a short
 * by-reference token, by asking the node). First presentations are recorded in a redemption
 * registry: SQLite here, so that a restart remembers them.
 *
 * Run it against a node (`npm run download` at the repository root does all of this for you):
 *   WW_NODE_URL=http://127.0.0.1:8789 WW_SELLER=pub_… FILE=./handbook.pdf PRICE=5.00 CURRENCY=DEMO \
 *     node server.mjs
 */
import { open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { payerTokenPlugin } from '@webwallet/merchant/fastify';
import { SqliteRedemptionRegistry } from '@webwallet/merchant/tokens';
import Database from 'better-sqlite3';
import Fastify from 'fastify';

export const FILE_PATH = '/file';
/** How long the start-up lookup of the node's key may take. */
const NODE_KEY_TIMEOUT_MS = 5_000;
/** How long close() lets downloads in progress run before cutting them short. */
const SHUTDOWN_GRACE_MS = 5_000;
/** How long a buyer should wait before presenting the same token again after a 503. */
const RETRY_AFTER_S = 10;
/** A busy SQLite file makes a claim wait this long for the write lock before failing (503). */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** The amount and currency formats the gate accepts; checked at start so a typo fails loudly. */
const DECIMAL = /^(0|[1-9]\d{0,29})(\.\d{1,18})?$/;
const CURRENCY = /^[A-Z0-9][A-Z0-9-]{0,11}$/;
const ACCOUNT = /^(pub_[A-Za-z0-9_-]{43}|acc_[A-Za-z0-9_-]{4,40})$/;
const NODE_KEY = /^pub_[A-Za-z0-9_-]{43}$/;

const CONTENT_TYPES = {
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.pdf': 'application/pdf',
  '.epub': 'application/epub+zip',
  '.zip': 'application/zip',
  '.mp3': 'audio/mpeg',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
};

// --- HTML: every interpolated value is escaped --------------------------------------------------

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A tagged template escaping every value; arrays of already-built strings are joined as they are. */
function html(strings, ...values) {
  return strings.reduce((out, s, i) => {
    const value = values[i - 1];
    return out + (Array.isArray(value) ? value.join('') : escapeHtml(value)) + s;
  });
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#17191c}
code,pre,textarea{font:13px/1.4 ui-monospace,monospace}
pre{background:#f3f4f6;padding:.75rem;border-radius:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
textarea{width:100%;box-sizing:border-box}
button{font:inherit;font-weight:600;padding:.6rem 1.1rem;border-radius:8px;border:0;background:#1d4ed8;color:#fff;cursor:pointer}
dt{font-weight:600}dd{margin:0 0 .5rem;word-break:break-all}.muted{color:#4f5661}`;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer', // the form puts the token in the URL: never send it on
};

/** The product page: what is sold, for how much, whom to pay, and how to get the file. */
function indexPage(shop) {
  const { title, filename, size, price, currency, seller, audience, nodeUrl, nodePublicKey } = shop;
  const node = nodeUrl ?? 'https://your-node.example';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${[STYLE]}</style>
</head>
<body>
<h1>${title}</h1>
<p><strong id="price">${price} ${currency}</strong> for <code>${filename}</code> (${size.toLocaleString('en')} bytes).
There is no checkout and no account here: pay on the WebWallet node below, then show this site a
<em>payer token</em>, the proof, signed with your key, that you made the payment. It is good for one download.</p>
<dl>
<dt>Pay</dt><dd><code id="payee">${seller}</code></dd>
<dt>Amount</dt><dd><code>${price}</code> <code>${currency}</code> (at least)</dd>
<dt>On the node</dt><dd><code id="node">${node}</code>, key <code>${nodePublicKey}</code></dd>
<dt>Token audience</dt><dd><code id="audience">${audience}</code></dd>
</dl>
<h2>1. Pay</h2>
<pre>npx webwallet transfer --node ${node} --key buyer.key.json --to ${seller} --currency ${currency} --amount ${price}</pre>
<p class="muted">Any self-custody account holding ${currency} can pay. This site learns that account and nothing else about you; paying from a fresh account per purchase keeps your purchases from being linked to each other here (the node still sees where the account's money came from).</p>
<h2>2. Create the token, for this site</h2>
<pre>npx webwallet token create --node ${node} --key buyer.key.json --transaction &lt;id printed by step 1&gt; --audience ${audience} --out token.txt</pre>
<h2>3. Download, once</h2>
<pre>curl -f -o ${filename} -H "Authorization: PayerToken $(cat token.txt)" ${audience}${FILE_PATH}</pre>
<p>or paste the token here:</p>
<form method="get" action="${FILE_PATH}">
<textarea name="payer_token" rows="5" required placeholder="wwpt1.…" autocomplete="off" spellcheck="false"></textarea>
<p><button type="submit">Download ${filename}</button></p>
</form>
<p class="muted">A second presentation of the same payment is refused (409). If the download fails on our side (5xx),
nothing is used up: present the same token again.</p>
</body>
</html>
`;
}

// --- the node's key ------------------------------------------------------------------------------

/**
 * The node's public key from its /.well-known/webwallet: trusted from then on (the same trust a
 * browser gives a site on first visit). Pin it with `nodePublicKey` to trust nothing at start.
 */
export async function fetchNodeKey(nodeUrl) {
  const url = `${nodeUrl.replace(/\/+$/, '')}/.well-known/webwallet`;
  let info;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(NODE_KEY_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    info = await response.json();
  } catch (error) {
    throw new Error(`cannot fetch the node's key from ${url}: ${error.message}`);
  }
  if (typeof info?.public_key !== 'string' || !NODE_KEY.test(info.public_key)) {
    throw new Error(`${url} has no node "public_key": is ${nodeUrl} a WebWallet node?`);
  }
  return info.public_key;
}

// --- the redemption registry ---------------------------------------------------------------------

/**
 * A SQLite redemption registry in `path` (created if absent), in WAL mode so that several server
 * processes can share the file, with a busy timeout so concurrent claims wait rather than fail.
 *
 * @param {string} path
 * @returns {{ registry: import('@webwallet/merchant/tokens').RedemptionRegistry, close(): void }}
 */
export function openRedemptionRegistry(path) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  return { registry: SqliteRedemptionRegistry.open(db), close: () => db.close() };
}

// --- the server ----------------------------------------------------------------------------------

function checkOptions({ file, price, currency, seller, nodeUrl, nodePublicKey, registry }) {
  if (typeof file !== 'string' || file === '') throw new TypeError('file: the path of the file to sell');
  if (!DECIMAL.test(String(price))) throw new TypeError(`price is a decimal string such as "5.00", got ${price}`);
  if (!CURRENCY.test(String(currency))) throw new TypeError(`currency is a code such as "EUR", got ${currency}`);
  if (!ACCOUNT.test(String(seller))) throw new TypeError(`seller is the account to pay ("pub_…"), got ${seller}`);
  if (nodeUrl === undefined && nodePublicKey === undefined) throw new TypeError('give nodeUrl, nodePublicKey or both');
  if (nodePublicKey !== undefined && !NODE_KEY.test(nodePublicKey)) {
    throw new TypeError(`nodePublicKey is a node key ("pub_…"), got ${nodePublicKey}`);
  }
  if (typeof registry?.claim !== 'function') throw new TypeError('registry: a RedemptionRegistry');
}

/** The loopback origins one server answers on: a token for either works. */
function ownOrigins(url) {
  const parsed = new URL(url);
  const origins = [parsed.origin];
  if (parsed.hostname === '127.0.0.1') origins.push(`${parsed.protocol}//localhost:${parsed.port}`);
  return origins;
}

/**
 * Starts the file shop.
 *
 * @param {object} options
 * @param {string} options.file Path of the file sold. It is opened afresh for each download.
 * @param {string} options.price The least amount accepted, as a decimal string: "5.00".
 * @param {string} options.currency The currency code on the node.
 * @param {string} options.seller The account buyers pay ("pub_…"): the seller's own, no merchant account.
 * @param {string} [options.nodeUrl] The node buyers pay on. Needed for short by-reference tokens, and
 *   to fetch the node's key when `nodePublicKey` is not given.
 * @param {string} [options.nodePublicKey] The node's key ("pub_…"): the only thing the shop trusts.
 * @param {import('@webwallet/merchant/tokens').RedemptionRegistry} options.registry Where first
 *   presentations are recorded (see `openRedemptionRegistry`).
 * @param {string | string[]} [options.audience] The origin(s) buyers reach the shop at, which tokens
 *   must be addressed to: "https://downloads.example". Default: the shop's own URL.
 * @param {number} [options.port] Default 3002; 0 picks a free port.
 * @param {string} [options.host] Default 127.0.0.1.
 * @param {string} [options.title] The product's name. Default: the file's name.
 * @param {string} [options.contentType] Default: from the file's extension.
 * @param {(line: string) => void} [options.log] Where sales and failures are reported. Default: stdout.
 * @returns {Promise<{ url: string, audience: string, nodePublicKey: string, close(): Promise<void> }>}
 *
 * @example
 * const { registry } = openRedemptionRegistry('redemptions.db');
 * const shop = await startDownloadShop({ file: 'handbook.pdf', price: '5.00', currency: 'EUR',
 *   seller: 'pub_…', nodeUrl: 'https://node.example', registry });
 */
export async function startDownloadShop(options) {
  checkOptions(options);
  const { file, price, currency, seller, nodeUrl, registry } = options;
  const log = options.log ?? ((line) => console.log(line));
  const info = await stat(file); // fail at start, not at the first sale, when the file is missing
  if (!info.isFile()) throw new Error(`${file} is not a regular file`);
  const nodePublicKey = options.nodePublicKey ?? (await fetchNodeKey(nodeUrl));
  const filename = basename(file);
  const contentType = options.contentType ?? CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  // The gate asks for the audience on every request, so the default (the shop's own URL,
  // unknown until it listens when the port is 0) is filled in right after listen, before any request.
  const audiences = options.audience === undefined ? [] : [options.audience].flat();

  const app = Fastify({ logger: false, return503OnClosing: true });
  /** Releases under way, awaited by close() so that none runs against a closed registry. */
  const releases = new Set();
  const shop = {
    file,
    filename,
    contentType,
    log,
    release(key) {
      const done = registry
        .release(key)
        .catch((error) => log(`could not release ${key}: ${error.message}`))
        .finally(() => releases.delete(done));
      releases.add(done);
    },
  };

  app.get('/', async (_request, reply) => {
    const size = (await stat(file).catch(() => ({ size: 0 }))).size;
    const page = indexPage({
      title: options.title ?? filename,
      filename,
      size,
      price,
      currency,
      seller,
      audience: audiences[0],
      nodeUrl,
      nodePublicKey,
    });
    return reply
      .headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS })
      .send(page);
  });

  await app.register(async (paid) => {
    await paid.register(payerTokenPlugin, {
      payee: seller,
      amount: price,
      currency,
      audience: () => audiences,
      trusted_nodes: [{ public_key: nodePublicKey, ...(nodeUrl === undefined ? {} : { url: nodeUrl }) }],
      registry,
      description: options.title ?? filename,
      onError: (error) => log(`redemption registry failed: ${error.message}`),
    });
    // No HEAD route: a HEAD with a token would pass the gate and use the payment up for no file.
    paid.get(FILE_PATH, { exposeHeadRoute: false }, (request, reply) => sendFile(shop, request, reply));
  });

  const url = await app.listen({ port: options.port ?? 3002, host: options.host ?? '127.0.0.1' });
  if (audiences.length === 0) audiences.push(...ownOrigins(url));
  return { url, audience: audiences[0], nodePublicKey, close: () => closeShop(app, releases) };
}

/**
 * Stops accepting requests and lets downloads in progress finish, for at most
 * SHUTDOWN_GRACE_MS; then cuts the rest short (which releases their claims) and waits for those
 * releases, so that the caller may close the registry.
 */
async function closeShop(app, releases) {
  const timer = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
  await Promise.all(releases);
}

/**
 * Sends the file to a buyer whose token the gate has just claimed. The payment is used up only
 * once the whole file has been read into the response: anything that goes wrong before (the file
 * cannot be opened: 503, on which the gate releases the claim; a read error, the buyer hanging up,
 * a shutdown cutting the download short, after which the status is already 200) releases the
 * claim, so that the buyer can present the same token again.
 */
async function sendFile(shop, request, reply) {
  const { file, filename, contentType, log } = shop;
  const { redemption, source } = request.payerToken;
  const sale = `payer ${redemption.payer}, ${redemption.amount} ${redemption.currency}, redemption ${redemption.key}`;
  let handle;
  let size;
  try {
    handle = await open(file, 'r');
    const info = await handle.stat(); // the size of the file actually opened, not of a path since replaced
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (error) {
    await handle?.close().catch(() => {});
    log(`download failed, claim released so the token can be presented again (${sale}): ${error.message}`);
    return reply
      .code(503)
      .headers({ 'cache-control': 'no-store', 'retry-after': String(RETRY_AFTER_S) })
      .send({
        error: {
          code: 'service_unavailable',
          message:
            'The file cannot be read right now. Your payment is not used up: present the same token again later.',
          details: { retry_after_s: RETRY_AFTER_S },
        },
      });
  }
  // Exactly the bytes Content-Length announces, even if the file grows meanwhile.
  const stream = handle.createReadStream({ start: 0, end: Math.max(size - 1, 0) });
  const res = reply.raw;
  res.once('close', () => {
    // Bytes reach the buyer only after they were read from the file, so a download with bytes left
    // unread was cut short, and its claim is released. Once every byte was read the sale stands,
    // even if the connection then closes: that is also how a client that hangs up the moment the
    // last byte arrives looks (curl does), and the response's own flags (writableEnded,
    // writableFinished) are set too late to tell them apart.
    if (res.statusCode === 200 && stream.bytesRead >= size) {
      log(`sold ${filename} (${size} bytes): ${sale}, proven by the ${source === 'receipt' ? 'receipt' : 'node'}`);
      return;
    }
    log(`download cut short (${stream.bytesRead} of ${size} bytes read), claim released (${sale})`);
    shop.release(redemption.key);
  });
  return reply
    .headers({
      'content-type': contentType,
      'content-length': String(size),
      'content-disposition': `attachment; filename="${filename.replace(/["\\\r\n]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
    .send(stream);
}

// --- command line --------------------------------------------------------------------------------

function env(name, fallback) {
  const value = process.env[name] || fallback;
  if (!value) {
    console.error(`Set ${name}. Example:
  WW_NODE_URL=http://127.0.0.1:8789 WW_SELLER=pub_… FILE=./handbook.pdf PRICE=5.00 CURRENCY=DEMO node server.mjs
or run everything locally with "npm run download" at the repository root.`);
    process.exit(2);
  }
  return value;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const redemptions = openRedemptionRegistry(env('REDEMPTIONS_DB', 'redemptions.db'));
  const shop = await startDownloadShop({
    nodeUrl: env('WW_NODE_URL'),
    nodePublicKey: process.env.WW_NODE_KEY || undefined,
    seller: env('WW_SELLER'),
    file: env('FILE'),
    price: env('PRICE'),
    currency: env('CURRENCY'),
    port: Number(process.env.PORT ?? 3002),
    host: process.env.HOST || '127.0.0.1',
    audience: process.env.PUBLIC_URL || undefined,
  }).catch((error) => {
    console.error(
      error.code === 'EADDRINUSE' ? `Port ${process.env.PORT ?? 3002} is in use: set PORT.` : error.message,
    );
    process.exit(1);
  });
  console.log(
    `Selling ${process.env.FILE} on ${shop.url} (tokens for ${shop.audience}); trusting node ${shop.nodePublicKey}`,
  );
  const stop = () =>
    shop.close().then(() => {
      redemptions.close();
      process.exit(0);
    });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
