#!/usr/bin/env node
/**
 * Everything the shop needs, locally and in test mode, in one process (`npm run shop` at the
 * repository root): a WebWallet node, a merchant signed up on it, the shop's webhook endpoint
 * registered with the test key, and the shop.
 *
 * State lives in examples/shop/.data (gitignored): the node's data directory, plus shop.json with
 * the merchant's keys and the webhook secret, so that a restart reuses them. Delete the directory
 * to start afresh.
 *
 * Usage: node examples/shop/dev.mjs [--node-port 8787] [--port 3000]
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebWalletMerchant } from '@webwallet/merchant';
import { startNode } from '@webwallet/server';
import { startShop, WEBHOOK_PATH } from './shop.mjs';

const DATA_DIR = join(import.meta.dirname, '.data');
const STATE_FILE = join(DATA_DIR, 'shop.json');
const MERCHANT_NAME = 'Members Club';

const { values: args } = parseArgs({
  options: {
    'node-port': { type: 'string', default: '8787' },
    port: { type: 'string', default: '3000' },
  },
});
const port = (name) => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(`--${name} must be a port number, got ${args[name]}`);
    process.exit(2);
  }
  return value;
};

/** Step 2 of the guide: sign up with the admin token (what `webwallet merchant create` does). */
async function signUp(nodeUrl, adminToken) {
  const response = await fetch(`${nodeUrl}/v1/merchants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: MERCHANT_NAME }),
  });
  if (response.status !== 201) throw new Error(`sign-up failed: HTTP ${response.status} ${await response.text()}`);
  const { merchant, store, keys } = await response.json();
  return { merchant_id: merchant.id, store_id: store.id, keys };
}

function loadState() {
  return existsSync(STATE_FILE) ? JSON.parse(readFileSync(STATE_FILE, 'utf8')) : {};
}

function saveState(state) {
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(STATE_FILE, 0o600); // keys and the webhook secret: owner only, even if the file existed
}

/** The stored test key, if the node still knows it (the node's data may have been deleted alone). */
async function stillValid(nodeUrl, state) {
  if (!state.keys?.test) return false;
  try {
    await new WebWalletMerchant({ apiKey: state.keys.test, baseUrl: nodeUrl, maxRetries: 0 }).balance.retrieve();
    return true;
  } catch {
    return false;
  }
}

const node = await startNode({
  port: port('node-port'),
  data_dir: DATA_DIR,
  webhook_allow_private: true, // the shop listens on loopback: allowed for local development only
  log_level: 'warn',
});

let state = loadState();
if (!(await stillValid(node.url, state))) {
  const adminToken = readFileSync(join(DATA_DIR, 'admin-token'), 'utf8').trim();
  state = await signUp(node.url, adminToken);
  saveState(state);
}

const shopPort = port('port');
const shopUrl = `http://127.0.0.1:${shopPort}`;
const ww = new WebWalletMerchant({ apiKey: state.keys.test, baseUrl: node.url });

// Step 5 of the guide: register the webhook endpoint once, and keep its secret (shown only once).
const webhookUrl = `${shopUrl}${WEBHOOK_PATH}`;
const registered = state.webhook && (await ww.webhooks.retrieve(state.webhook.id).catch(() => undefined));
if (registered?.url !== webhookUrl || !registered.enabled) {
  if (registered) await ww.webhooks.delete(registered.id); // the shop moved to another port
  const endpoint = await ww.webhooks.create({ url: webhookUrl, events: ['invoice.settled'] });
  state.webhook = { id: endpoint.id, url: endpoint.url, secret: endpoint.secret };
  saveState(state);
}

const shop = await startShop({
  nodeUrl: node.url,
  apiKey: state.keys.test,
  webhookSecret: state.webhook.secret,
  port: shopPort,
}).catch(async (error) => {
  await node.close();
  console.error(error.code === 'EADDRINUSE' ? `Port ${shopPort} is in use: pass --port.` : error);
  process.exit(1);
});

console.log(`
  Members Club (test mode) is running. Ctrl-C stops it.

  Shop:            ${shop.url}   <- open this, click "Buy membership", then "Pay with test wallet"
  WebWallet node:  ${node.url}   (API docs: ${node.url}/docs)
  Store:           ${state.store_id}
  Test key:        ${state.keys.test}
  Webhook:         ${state.webhook.id} -> ${state.webhook.url}
  State:           ${DATA_DIR}
`);

let stopping = false;
const stop = async () => {
  if (stopping) process.exit(1);
  stopping = true;
  await shop.close();
  await node.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
