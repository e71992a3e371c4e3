#!/usr/bin/env node
/**
 * The buyer's side, as a wallet would do it, over HTTP only: ask the shop for the file, read what
 * to pay from its 402 answer, pay on the node with the buyer's key, wait for the payment's
 * receipt, sign a payer token for the shop, download the file, and show that a second
 * presentation of the same payment is refused.
 *
 * With `npm run download` running, in another terminal at the repository root:
 *   node examples/download/buy.mjs [--shop http://127.0.0.1:3002] [--key examples/download/.data/buyer.key.json]
 * or, all in one command: node examples/download/dev.mjs --buy
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bytesEqual, createPayerToken, decodePrefixed, encodePrefixed, keyPairFromSecret } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';

const ACCOUNT_KEY_TYPE = 'webwallet.account_key';
/** How long to wait for the node to seal the payment into a block (a default node seals every second). */
const SEAL_WAIT_MS = 30_000;
const SEAL_POLL_MS = 100;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Reads a key file written by `webwallet keygen` (or by dev.mjs, in the same format), refusing one
 * that other users can read, as the CLI does.
 *
 * @returns {Promise<{ publicKey: string, keyPair: import('@webwallet/core').KeyPair, path: string }>}
 */
export async function readAccountKey(path) {
  if ((statSync(path).mode & 0o077) !== 0) throw new Error(`${path} is readable by other users: chmod 600 ${path}`);
  const file = JSON.parse(readFileSync(path, 'utf8'));
  const secret = decodePrefixed('sec', file?.secret_key);
  const publicKey = decodePrefixed('pub', file?.public_key);
  if (file?.type !== ACCOUNT_KEY_TYPE || file.version !== 1 || !secret.ok || !publicKey.ok) {
    throw new Error(`${path} is not a WebWallet account key (made by "webwallet keygen")`);
  }
  const keyPair = await keyPairFromSecret(secret.value);
  if (!bytesEqual(keyPair.publicKey, publicKey.value)) throw new Error(`${path}: public and secret keys differ`);
  return { publicKey: encodePrefixed('pub', keyPair.publicKey), keyPair, path };
}

async function json(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${response.url} answered HTTP ${response.status} without JSON`);
  }
}

/** The shop's 402 answer: what to pay, to whom, on which node, and the audience for the token. */
async function paymentInstructions(fileUrl) {
  const response = await fetch(fileUrl, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = await json(response);
  if (response.status !== 402 || body?.error?.code !== 'payment_required') {
    throw new Error(`expected 402 payment_required from ${fileUrl}, got HTTP ${response.status}`);
  }
  const payment = body.error.details.payment;
  const node = payment.nodes.find((n) => n.url);
  if (!node) throw new Error('the shop names no node URL to pay on');
  return { ...payment, node };
}

/** Submits a signed document; returns the node's result, or throws with the node's error code. */
async function submit(nodeUrl, document) {
  const response = await fetch(`${nodeUrl}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documents: [document] }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = await json(response);
  const result = body?.results?.[0];
  if (!response.ok || result?.status !== 'accepted') {
    const error = result?.error ?? body?.error ?? {};
    throw new Error(`${document.type} rejected: ${error.code ?? `HTTP ${response.status}`}: ${error.message ?? ''}`);
  }
  return result;
}

/** Polls the node until the transaction is sealed in a block; returns its receipt. */
async function sealedReceipt(nodeUrl, id) {
  const deadline = Date.now() + SEAL_WAIT_MS;
  for (;;) {
    const response = await fetch(`${nodeUrl}/v1/transactions/${encodeURIComponent(id)}`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const view = await json(response);
    if (response.ok && view.receipt) return view.receipt;
    if (Date.now() > deadline) throw new Error(`transaction ${id} not sealed after ${SEAL_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, SEAL_POLL_MS));
  }
}

function filenameOf(response, fallback) {
  const match = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '');
  return basename(match?.[1] ?? fallback); // basename: a hostile shop must not choose the directory
}

/**
 * Buys the shop's file as the owner of `keyFile` and saves it in `outDir`.
 *
 * @param {object} options
 * @param {string} options.shopUrl The shop's base URL, e.g. http://127.0.0.1:3002.
 * @param {string} options.keyFile The buyer's key file; the account must hold the currency.
 * @param {string} options.outDir Where the downloaded file is written.
 * @param {(line: string) => void} [options.log] Each step is reported here.
 * @returns {Promise<{ transaction: string, token: string, file: string, sha256: string, replay: number }>}
 */
export async function buy({ shopUrl, keyFile, outDir, log = (line) => console.log(line) }) {
  const fileUrl = `${shopUrl.replace(/\/+$/, '')}/file`;
  const buyer = await readAccountKey(keyFile);

  const payment = await paymentInstructions(fileUrl);
  log(`1. GET ${fileUrl} without a token: 402 Payment Required.`);
  log(`   The shop asks for ${payment.amount} ${payment.currency} to ${payment.payee}`);
  log(`   on the node ${payment.node.url} (key ${payment.node.public_key}); tokens for ${payment.audience}.`);

  const legs = [{ from: buyer.publicKey, to: payment.payee, currency: payment.currency, amount: payment.amount }];
  const document = await transaction('ledger.transfer', { legs }, [buyer.keyPair]);
  const accepted = await submit(payment.node.url, document);
  log(`2. Paid from ${buyer.publicKey}: transaction ${accepted.id} accepted (seq ${accepted.seq}).`);

  const receipt = await sealedReceipt(payment.node.url, accepted.id);
  if (receipt.block.body.node !== payment.node.public_key) {
    throw new Error(`the payment was sealed by ${receipt.block.body.node}, not the node the shop trusts`);
  }
  log(`3. Sealed in block ${receipt.block.body.height}: the receipt proves the payment to anyone who trusts the node.`);

  const created = await createPayerToken({ keyPair: buyer.keyPair, receipt, audience: payment.audience });
  if (!created.ok) throw new Error(`cannot create the token: ${created.error.code}: ${created.error.message}`);
  const token = created.value;
  log(`4. Signed a payer token for ${payment.audience} (${token.length} characters, receipt embedded).`);

  const headers = { authorization: `PayerToken ${token}` };
  const download = await fetch(fileUrl, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (download.status !== 200) {
    const error = (await json(download))?.error ?? {};
    throw new Error(`download refused: HTTP ${download.status} ${error.code}: ${error.message}`);
  }
  const bytes = Buffer.from(await download.arrayBuffer());
  const file = join(outDir, filenameOf(download, 'download'));
  writeFileSync(file, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  log(
    `5. GET ${fileUrl} with the token: 200, ${bytes.length} bytes saved to ${file} (sha256 ${sha256.slice(0, 16)}…).`,
  );

  const again = await fetch(fileUrl, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const refusal = (await json(again))?.error?.code;
  log(`6. The same token again: ${again.status} ${refusal}. The payment has been redeemed once, and only once.`);
  if (again.status !== 409) throw new Error(`expected 409 on the second presentation, got ${again.status}`);
  return { transaction: accepted.id, token, file, sha256, replay: again.status };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dataDir = join(import.meta.dirname, '.data');
  const { values } = parseArgs({
    options: {
      shop: { type: 'string', default: 'http://127.0.0.1:3002' },
      key: { type: 'string', default: join(dataDir, 'buyer.key.json') },
      out: { type: 'string', default: join(dataDir, 'downloads') },
    },
  });
  mkdirSync(values.out, { recursive: true });
  try {
    await buy({ shopUrl: values.shop, keyFile: values.key, outDir: values.out });
  } catch (error) {
    console.error(`Purchase failed: ${error.message}`);
    process.exit(1);
  }
}
