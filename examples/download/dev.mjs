#!/usr/bin/env node
/**
 * Everything the download shop needs, locally, in one process (`npm run download` at the
 * repository root): a WebWallet node, a demo currency and its issuer, the seller's own
 * self-custody account (no merchant account anywhere), a demo buyer holding the currency, a file to
 * sell, a SQLite redemption registry, and the file server. Then it prints the commands a buyer runs.
 *
 * State lives in examples/download/.data (gitignored): the node's data directory, the three
 * account key files (mode 0600, the `webwallet keygen` format, so the CLI can use them),
 * handbook.txt (the file sold) and redemptions.db. A restart reuses all of it; delete the directory
 * to start afresh.
 *
 * Usage: node examples/download/dev.mjs [--node-port 8789] [--port 3002] [--data-dir DIR] [--buy]
 *   --buy  also buys the file as the demo buyer, printing each step, then stops.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { basename, isAbsolute, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { compareDecimal, encodePrefixed, generateKeyPair } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { startNode } from '@webwallet/server';
import { buy, readAccountKey } from './buy.mjs';
import { FILE_PATH, openRedemptionRegistry, startDownloadShop } from './server.mjs';

export const DATA_DIR = join(import.meta.dirname, '.data');
/** What the demo sells, and for how much of which (play) currency. */
export const CURRENCY = 'DEMO';
export const PRICE = '5.00';
const CURRENCY_SCALE = 2;
/** The demo buyer is topped up to this whenever they hold less than TOP_UP_BELOW. */
const BUYER_FUNDS = '100.00';
const TOP_UP_BELOW = '20.00';
const TRUST_LIMIT = '1000000.00';
const REQUEST_TIMEOUT_MS = 30_000;

// --- key files -----------------------------------------------------------------------------------

/**
 * The account key in `path`, created if absent in the format of `webwallet keygen`
 * (packages/cli/src/account-key.ts), readable by its owner only.
 */
async function ensureAccountKey(path) {
  if (!existsSync(path)) {
    const keyPair = await generateKeyPair();
    const file = {
      type: 'webwallet.account_key',
      version: 1,
      public_key: encodePrefixed('pub', keyPair.publicKey),
      secret_key: encodePrefixed('sec', keyPair.secretKey),
    };
    const fd = openSync(path, 'wx', 0o600); // 'wx': two launchers racing never overwrite a key
    try {
      chmodSync(path, 0o600); // the umask may have narrowed it; make it exactly 0600
      writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
    } finally {
      closeSync(fd);
    }
  }
  return readAccountKey(path);
}

// --- the ledger, over the node's HTTP API ----------------------------------------------------------

async function call(nodeUrl, path, init = {}) {
  const response = await fetch(`${nodeUrl}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: response.status, body: await response.json() };
}

async function submit(nodeUrl, document) {
  const { status, body } = await call(nodeUrl, '/v1/transactions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documents: [document] }),
  });
  const result = body.results?.[0];
  if (status !== 200 || result?.status !== 'accepted') {
    const error = result?.error ?? body.error ?? {};
    throw new Error(`${document.type} rejected: ${error.code}: ${error.message} ${JSON.stringify(error.details)}`);
  }
  return result;
}

async function accountView(nodeUrl, id) {
  const { status, body } = await call(nodeUrl, `/v1/accounts/${encodeURIComponent(id)}`);
  if (status === 404) return undefined;
  if (status !== 200) throw new Error(`GET /v1/accounts/${id}: HTTP ${status}`);
  return body;
}

async function currencyView(nodeUrl, code) {
  for (let cursor; ; ) {
    const query = cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`;
    const { body } = await call(nodeUrl, `/v1/currencies${query}`);
    const found = body.items.find((c) => c.code === code);
    if (found || body.next_cursor === null) return found;
    cursor = body.next_cursor;
  }
}

/**
 * Brings the ledger to the demo's starting point, doing only what is missing, so that it is safe
 * on every start (and after the node's data alone was deleted): the three accounts, the currency,
 * the seller's and buyer's trust lines, and enough money in the buyer's account for a few purchases.
 */
export async function ensureLedger(nodeUrl, { issuer, seller, buyer }) {
  for (const party of [issuer, seller, buyer]) {
    if (!(await accountView(nodeUrl, party.publicKey))) {
      await submit(nodeUrl, await transaction('ledger.account.create', { account: party.publicKey }, [party.keyPair]));
    }
  }
  const currency = await currencyView(nodeUrl, CURRENCY);
  if (!currency) {
    const body = { issuer: issuer.publicKey, currency: CURRENCY, scale: CURRENCY_SCALE };
    await submit(nodeUrl, await transaction('ledger.currency.issue', body, [issuer.keyPair]));
  } else if (currency.issuer !== issuer.publicKey) {
    throw new Error(
      `${CURRENCY} on this node was issued by someone else's key: delete the data directory to start afresh`,
    );
  }
  for (const holder of [seller, buyer]) {
    const view = await accountView(nodeUrl, holder.publicKey);
    if (!view.balances.some((b) => b.currency === CURRENCY)) {
      const body = { holder: holder.publicKey, currency: CURRENCY, limit: TRUST_LIMIT };
      await submit(nodeUrl, await transaction('ledger.trust.set', body, [holder.keyPair]));
    }
  }
  const held = (await accountView(nodeUrl, buyer.publicKey)).balances.find((b) => b.currency === CURRENCY);
  if (compareDecimal(held?.available ?? '0', TOP_UP_BELOW) < 0) {
    const legs = [{ from: issuer.publicKey, to: buyer.publicKey, currency: CURRENCY, amount: BUYER_FUNDS }];
    await submit(nodeUrl, await transaction('ledger.transfer', { legs }, [issuer.keyPair]));
  }
}

// --- the file sold ---------------------------------------------------------------------------------

const HANDBOOK = `The WebWallet payer-token handbook
==================================

You bought this file without an account, a checkout page or a payment server.

1. You paid the seller's account on a WebWallet node, with your own key.
2. The node sealed the payment into a block: its receipt proves the payment to
   anyone who trusts the node's public key, offline, forever.
3. You signed a payer token: "I, the payer, made this payment, and I present it
   to this site". It embeds the receipt, so the seller checked it without asking
   anybody.
4. The seller recorded the payment as redeemed. Presenting it again gets 409.

What the seller learned: the paying account, the amount, the time. Pay from a
fresh account per purchase and the seller cannot link your purchases to each
other; the node still sees where that account's money came from.
`;

function ensureSampleFile(path) {
  if (!existsSync(path)) writeFileSync(path, HANDBOOK);
  return path;
}

// --- putting it together ---------------------------------------------------------------------------

/** A path as the buyer types it: relative to the directory they type in (`cwd`) when inside it. */
function displayPath(path, cwd = process.cwd()) {
  const rel = relative(cwd, path);
  const shown = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  return /^[\w./@:+-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", `'\\''`)}'`;
}

/** The exact commands a buyer runs in `cwd` (default: where `npm run download` was started). */
export function buyerCommands({ nodeUrl, buyerKeyFile, seller, audience, shopUrl, cwd, filename = 'handbook.txt' }) {
  const key = displayPath(buyerKeyFile, cwd);
  return [
    `npx webwallet transfer --node ${nodeUrl} --key ${key} --to ${seller} --currency ${CURRENCY} --amount ${PRICE}`,
    `npx webwallet token create --node ${nodeUrl} --key ${key} --transaction <id> --audience ${audience} --out token.txt`,
    // -o, not -OJ: -J refuses to overwrite a file of the same name after the payment is spent.
    `curl -f -o ${filename} -H "Authorization: PayerToken $(cat token.txt)" ${shopUrl}${FILE_PATH}`,
  ];
}

/**
 * Starts the node and the shop and sets up everything between them (see the file comment).
 *
 * @param {object} [options]
 * @param {string} [options.dataDir] Default examples/download/.data.
 * @param {number} [options.nodePort] Default 8789; 0 picks a free port.
 * @param {number} [options.port] The shop's port. Default 3002; 0 picks a free port.
 * @param {number} [options.blockIntervalMs] How often the node seals blocks (its default: 1 s).
 * @param {string} [options.nodeLogLevel] Default 'warn'.
 * @param {(line: string) => void} [options.log] The shop's sales log. Default: stdout.
 * @param {string} [options.cwd] The directory the buyer's commands are written for. Default: the current one.
 */
export async function startDemo(options = {}) {
  const dataDir = options.dataDir ?? DATA_DIR;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const node = await startNode({
    port: options.nodePort ?? 8789,
    data_dir: join(dataDir, 'node'),
    log_level: options.nodeLogLevel ?? 'warn',
    ...(options.blockIntervalMs === undefined ? {} : { block_interval_ms: options.blockIntervalMs }),
  });
  let redemptions;
  try {
    const [issuer, seller, buyer] = await Promise.all(
      ['issuer', 'seller', 'buyer'].map((who) => ensureAccountKey(join(dataDir, `${who}.key.json`))),
    );
    await ensureLedger(node.url, { issuer, seller, buyer });
    const file = ensureSampleFile(join(dataDir, 'handbook.txt'));
    redemptions = openRedemptionRegistry(join(dataDir, 'redemptions.db'));
    // Only the node's URL: the shop fetches the node's key once, and trusts nothing else.
    const shop = await startDownloadShop({
      port: options.port ?? 3002,
      file,
      title: 'The WebWallet payer-token handbook',
      price: PRICE,
      currency: CURRENCY,
      seller: seller.publicKey,
      nodeUrl: node.url,
      registry: redemptions.registry,
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    const close = async () => {
      await shop.close();
      redemptions.close();
      await node.close();
    };
    const commands = buyerCommands({
      nodeUrl: node.url,
      buyerKeyFile: buyer.path,
      seller: seller.publicKey,
      audience: shop.audience,
      shopUrl: shop.url,
      cwd: options.cwd,
      filename: basename(file),
    });
    return { dataDir, node, shop, file, seller, buyer, registry: redemptions.registry, commands, close };
  } catch (error) {
    redemptions?.close();
    await node.close();
    throw error;
  }
}

export function banner(demo) {
  const [transfer, token, download] = demo.commands;
  return `
  The download shop is running. Ctrl-C stops it.

  Shop:            ${demo.shop.url}   <- open it: it says what to pay, and how
  WebWallet node:  ${demo.node.url}   (key ${demo.shop.nodePublicKey})
  Selling:         ${displayPath(demo.file)} for ${PRICE} ${CURRENCY}, paid to the seller's own account
                   ${demo.seller.publicKey}
  Demo buyer:      ${displayPath(demo.buyer.path)} (${demo.buyer.publicKey})
  Redemptions:     ${displayPath(join(demo.dataDir, 'redemptions.db'))}

  Buy it as the demo buyer, in another terminal here:

    1. Pay (note the "id" it prints):
       ${transfer}

    2. Sign a payer token for that payment, for this shop:
       ${token}

    3. Download the file, once (a second time answers 409):
       ${download}

  Or watch a purchase happen: node examples/download/buy.mjs --shop ${demo.shop.url} --key ${displayPath(demo.buyer.path)}
`;
}

function portArg(args, name) {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(`--${name} must be a port number, got ${args[name]}`);
    process.exit(2);
  }
  return value;
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      'node-port': { type: 'string', default: '8789' },
      port: { type: 'string', default: '3002' },
      'data-dir': { type: 'string', default: DATA_DIR },
      buy: { type: 'boolean', default: false },
    },
  });
  let demo;
  try {
    demo = await startDemo({
      dataDir: args['data-dir'],
      nodePort: portArg(args, 'node-port'),
      port: portArg(args, 'port'),
    });
  } catch (error) {
    const busy = error.code === 'EADDRINUSE';
    const setup = error.name === 'NodeSetupError';
    console.error(
      busy
        ? `A port is in use (${error.message}): is "npm run download" already running? Or pass --node-port / --port.`
        : setup
          ? `${error.message.replace('pass --port', 'pass --node-port')}\nWhile "npm run download" runs, buy with "node examples/download/buy.mjs" against it.`
          : error,
    );
    process.exit(1);
  }
  if (args.buy) {
    console.log(`\n  Shop ${demo.shop.url}, node ${demo.node.url}. Buying the file as the demo buyer:\n`);
    const outDir = join(demo.dataDir, 'downloads');
    mkdirSync(outDir, { recursive: true });
    let status = 0;
    try {
      const bought = await buy({
        shopUrl: demo.shop.url,
        keyFile: demo.buyer.path,
        outDir,
        log: (line) => console.log(`  ${line}`),
      });
      const same = readFileSync(bought.file).equals(readFileSync(demo.file));
      console.log(`\n  Purchase complete: ${displayPath(bought.file)} ${same ? 'is' : 'is NOT'} the file on sale.`);
      if (!same) status = 1;
    } catch (error) {
      console.error(`\n  Purchase failed: ${error.message}`);
      status = 1;
    }
    await demo.close();
    process.exit(status);
  }
  console.log(banner(demo));
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    await demo.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
