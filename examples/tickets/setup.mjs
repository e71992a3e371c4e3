/**
 * The demo's money, set up over the node's public ledger API (POST /v1/transactions) with
 * documents signed here: a currency issued by an issuer key, the organiser's self-custody account
 * with a trust line for it, and a buyer funded with it. Everything is idempotent: a restart finds
 * what exists on the ledger and adds only what is missing.
 *
 * Keys are saved as key files in the CLI's format (`webwallet keygen`, mode 0600), so the printed
 * `webwallet transfer --key …` commands work with them as they are.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compareDecimal,
  createDocument,
  decodePrefixed,
  encodePrefixed,
  generateKeyPair,
  keyPairFromSecret,
  toBase64Url,
} from '@webwallet/core';

/** The key file format of packages/cli/src/account-key.ts. */
export const ACCOUNT_KEY_TYPE = 'webwallet.account_key';
/** The ledger's transaction document version. */
const TRANSACTION_VERSION = 1;
/** The demo currency: two decimals, like most money. */
export const DEMO_CURRENCY = { code: 'DEMO', scale: 2 };
/** What a holder's trust line accepts, and what the demo buyer starts with. */
const TRUST_LIMIT = '1000000.00';
export const BUYER_FUNDS = '100.00';
/** One HTTP request to the node; a receipt normally comes within a block interval (1 s by default). */
const REQUEST_TIMEOUT_MS = 10_000;
export const RECEIPT_WAIT_MS = 15_000;

// --- Key files ---------------------------------------------------------------------------------

/**
 * A key file's key pair; the file is created (mode 0600) when missing.
 * @param {string} path
 * @returns {Promise<{ path: string, account: string, keyPair: import('@webwallet/core').KeyPair }>}
 */
export async function loadOrCreateKey(path) {
  if (!existsSync(path)) {
    const keyPair = await generateKeyPair();
    const file = {
      type: ACCOUNT_KEY_TYPE,
      version: 1,
      public_key: encodePrefixed('pub', keyPair.publicKey),
      secret_key: encodePrefixed('sec', keyPair.secretKey),
    };
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600); // the umask may have narrowed it; the CLI wants exactly owner-only
    return { path, account: file.public_key, keyPair };
  }
  return readKey(path);
}

/**
 * Reads a key file written by `webwallet keygen` or by loadOrCreateKey.
 * @param {string} path
 */
export async function readKey(path) {
  const file = JSON.parse(readFileSync(path, 'utf8'));
  const secret = decodePrefixed('sec', file?.secret_key);
  if (file?.type !== ACCOUNT_KEY_TYPE || !secret.ok) throw new Error(`${path} is not a WebWallet account key file`);
  const keyPair = await keyPairFromSecret(secret.value);
  const account = encodePrefixed('pub', keyPair.publicKey);
  if (account !== file.public_key) throw new Error(`${path} is corrupt: its public key does not match its secret key`);
  return { path, account, keyPair };
}

// --- The ledger API ------------------------------------------------------------------------------

/** A fresh transaction id: 128 random bits, never starting with "-" (so a CLI never takes it for a flag). */
function newTransactionId() {
  for (;;) {
    const id = toBase64Url(globalThis.crypto.getRandomValues(new Uint8Array(16)));
    if (!id.startsWith('-')) return id;
  }
}

/**
 * A signed ledger transaction document (the bodies are in packages/ledger/src/model/schemas.ts).
 * @param {string} type e.g. "ledger.transfer"
 * @param {object} body the body without id and created_at
 * @param {import('@webwallet/core').KeyPair[]} signers
 */
export function transactionDocument(type, body, signers) {
  const full = { id: newTransactionId(), created_at: new Date().toISOString(), ...body };
  return createDocument(type, TRANSACTION_VERSION, full, signers);
}

async function call(nodeUrl, path, init = {}) {
  const response = await fetch(`${nodeUrl}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = await response.json().catch(() => null);
  return { status: response.status, body };
}

/**
 * Submits documents in order; throws with the ledger's error code if any is rejected.
 * @returns {Promise<object[]>} the per-document results
 */
export async function submit(nodeUrl, documents) {
  const { status, body } = await call(nodeUrl, '/v1/transactions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documents }),
  });
  if (status !== 200) throw new Error(`POST /v1/transactions: HTTP ${status} ${JSON.stringify(body)}`);
  body.results.forEach((result, i) => {
    if (result.status !== 'accepted') {
      const { code, message } = result.error ?? {};
      throw new Error(`${documents[i].type} rejected: ${code}: ${message}`);
    }
  });
  return body.results;
}

/** The account's view (balances, trust lines), or undefined if the ledger has no such account. */
export async function getAccount(nodeUrl, account) {
  const { status, body } = await call(nodeUrl, `/v1/accounts/${encodeURIComponent(account)}`);
  if (status === 404) return undefined;
  if (status !== 200) throw new Error(`GET /v1/accounts/${account}: HTTP ${status}`);
  return body;
}

/** Waits until the transaction is sealed into a signed block; returns its receipt. */
export async function waitForReceipt(nodeUrl, id, timeout_ms = RECEIPT_WAIT_MS) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const { status, body } = await call(nodeUrl, `/v1/transactions/${encodeURIComponent(id)}`);
    if (status === 200 && body.receipt) return body.receipt;
    if (status !== 200 && status !== 404) throw new Error(`GET /v1/transactions/${id}: HTTP ${status}`);
    if (Date.now() > deadline) throw new Error(`transaction ${id} not sealed after ${timeout_ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A payment: a `ledger.transfer` from the key's account, sealed; returns its receipt, from which
 * the payer makes a payer token (what `webwallet transfer` and then `webwallet token create` do).
 */
export async function pay(nodeUrl, { key, to, currency, amount, memo }) {
  const leg = { from: key.account, to, currency, amount };
  const document = await transactionDocument(
    'ledger.transfer',
    { legs: [leg], ...(memo === undefined ? {} : { memo }) },
    [key.keyPair],
  );
  await submit(nodeUrl, [document]);
  return waitForReceipt(nodeUrl, document.body.id);
}

function balanceOf(view, currency) {
  return view?.balances.find((b) => b.currency === currency);
}

/**
 * Opens the key's self-custody account and its trust line for the currency, whichever is missing.
 * @returns {Promise<object[]>} the documents to submit (empty when both exist)
 */
async function holderDocuments(nodeUrl, key, currency) {
  const view = await getAccount(nodeUrl, key.account);
  const documents = [];
  if (!view)
    documents.push(await transactionDocument('ledger.account.create', { account: key.account }, [key.keyPair]));
  if (!balanceOf(view, currency)) {
    const trust = { holder: key.account, currency, limit: TRUST_LIMIT };
    documents.push(await transactionDocument('ledger.trust.set', trust, [key.keyPair]));
  }
  return documents;
}

/**
 * An account that holds the currency, funded by the issuer: for a buyer.
 * @param {string} nodeUrl
 * @param {{ issuer: Awaited<ReturnType<typeof readKey>>, key: Awaited<ReturnType<typeof readKey>>, currency: string, amount: string }} options
 */
export async function fundedAccount(nodeUrl, { issuer, key, currency, amount }) {
  const documents = await holderDocuments(nodeUrl, key, currency);
  const legs = [{ from: issuer.account, to: key.account, currency, amount }];
  documents.push(await transactionDocument('ledger.transfer', { legs, memo: 'demo funds' }, [issuer.keyPair]));
  await submit(nodeUrl, documents);
  return key;
}

/**
 * Sets up the demo on a node, idempotently: issuer, organiser and buyer key files in `dir`, the
 * DEMO currency, the organiser's trust line, and a buyer who can afford at least one more ticket.
 *
 * @param {{ nodeUrl: string, dir: string, price: string }} options
 */
export async function setupDemo({ nodeUrl, dir, price }) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const issuer = await loadOrCreateKey(join(dir, 'issuer.key'));
  const organiser = await loadOrCreateKey(join(dir, 'organiser.key'));
  const buyer = await loadOrCreateKey(join(dir, 'buyer.key'));
  const currency = DEMO_CURRENCY.code;

  const documents = [];
  const issuerView = await getAccount(nodeUrl, issuer.account);
  if (!issuerView) {
    documents.push(await transactionDocument('ledger.account.create', { account: issuer.account }, [issuer.keyPair]));
  }
  if (!balanceOf(issuerView, currency)?.issuer) {
    const issue = { issuer: issuer.account, currency, scale: DEMO_CURRENCY.scale };
    documents.push(await transactionDocument('ledger.currency.issue', issue, [issuer.keyPair]));
  }
  documents.push(...(await holderDocuments(nodeUrl, organiser, currency)));
  documents.push(...(await holderDocuments(nodeUrl, buyer, currency)));
  const held = balanceOf(await getAccount(nodeUrl, buyer.account), currency)?.balance ?? '0';
  if (compareDecimal(held, price) < 0) {
    const legs = [{ from: issuer.account, to: buyer.account, currency, amount: BUYER_FUNDS }];
    documents.push(await transactionDocument('ledger.transfer', { legs, memo: 'demo funds' }, [issuer.keyPair]));
  }
  if (documents.length > 0) {
    await submit(nodeUrl, documents).catch((error) => {
      throw new Error(`${error.message}\n(The node's data and the key files in ${dir} disagree? Delete both.)`);
    });
  }
  return { issuer, organiser, buyer, currency, created: documents.map((d) => d.type) };
}
