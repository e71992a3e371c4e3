#!/usr/bin/env node
// The wallet benchmark: issue 6's three performance goals, each next to a baseline measured in the
// same run.
//
//   (1) initial load: app.js + app.css of the wallet web app, gzipped, against the 200 KB budget,
//       from the build script (packages/wallet/scripts/build-pwa.mjs, what the node serves) and as
//       a real node sends them over HTTP (its in-memory build, Content-Encoding: gzip);
//   (2) "Pay" → stored, verified receipt, one payment at a time, against a local node at its
//       default block_interval_ms (DEFAULT_CONFIG of @webwallet/server, 200) and at others (1000,
//       the old default, 100, 50): what the app does after the click (derive the account key,
//       pay(): node identity, sign, submit, wait for the block (one lookup the node holds until
//       the block is sealed), verify the receipt; then put it in the wallet document, merge, seal
//       and write the sealed state). Before each click an untimed random pause (the person
//       reading the review). Baseline: the bare POST /v1/transactions round trip (accepted, not
//       yet sealed) of a pre-signed transfer on the same node;
//   (3) 10,000 receipts synced to a newly paired device through the node's relay: the new
//       device's WalletSync.join (pairing + first sync), each new device in a fresh worker thread
//       (code not yet compiled, as on a real new device). Baseline: the same Yjs state applied
//       locally (WalletDocument.load(encodeState())) in a fresh worker too, and opening it sealed
//       with the cipher sync uses, so the relay's and the crypto's share shows.
//
//   npm run bench:wallet -- [--quick] [--json]   (--help for more)
//
// Every node is a real one (startNode, embedded SQLite, default settings unless stated) in a child
// process of its own, as in production; the wallet runs on this process's main thread. (2) runs
// first: its last node then serves the app for (1) and is the relay of (3).
//
// Needs the packages built (npx tsc -b). Progress goes to stderr; stdout carries one JSON object,
// and without --json a readable summary follows on stderr: { date, mode, quick, machine, settings,
// initial_load, pay, sync, targets, notes, total_seconds }.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { Session } from 'node:inspector/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { encodePrefixed, generateKeyPair, randomBytes, toBase64Url, toHex, utf8 } from '@webwallet/core';
import {
  accountKeyPair,
  buildPaymentDocument,
  formatPaymentUri,
  NodeClient,
  newRecoveryPhrase,
  openSealed,
  parsePaymentUri,
  pay,
  reviewPayment,
  seal,
  WalletDocument,
  WalletSync,
  walletSeed,
} from '@webwallet/wallet';
import { startNodeProcess } from './lib/http.mjs';
import { cpuTicks, fmt, log, percentile, rng, round, sleep } from './lib/util.mjs';

const USAGE = `Usage: node bench/wallet.mjs [--quick] [--json]

  --quick            whole run under a minute (10 payments per block interval, 1,000 receipts)
  --json             print only the JSON object on stdout; progress goes to stderr
Tuning:
  --payments N       measured payments per block interval, one at a time (quick 10, full 50)
  --intervals LIST   block_interval_ms of the nodes paid against; "default" is the node's own
                     setting (quick default,1000,100; full default,1000,100,50)
  --receipts N       receipts synced to the new device (quick 1000, full 10000)
  --runs R           new devices paired, one after another (default 3); each must meet the target
  --skip LIST        leave out sections: bundle, pay, sync
  --no-pause         pay back to back (no random pause of up to a quarter interval before each click)

Profiling: WEBWALLET_BENCH_CPU_PROF=dir writes a V8 CPU profile of each new device's join and
first sync in (3), as dir/wallet-join-<run>.cpuprofile.
`;

const PROFILES = {
  quick: {
    payments: 10,
    warmup_payments: 1,
    intervals: ['default', 1_000, 100],
    receipts: 1_000,
    runs: 3,
    pause: true,
  },
  full: {
    payments: 50,
    warmup_payments: 3,
    intervals: ['default', 1_000, 100, 50],
    receipts: 10_000,
    runs: 3,
    pause: true,
  },
};

/** Issue 6's goals. */
const INITIAL_LOAD_GZIP_BYTES_TARGET = 200 * 1024;
const PAY_P50_MS_TARGET = 300;
const SYNC_MS_TARGET = 5_000;
const SYNC_RECEIPTS_TARGET = 10_000;

const CURRENCY = 'EUR';
const PRICE = '0.01';
const FUNDING = '1000.00';
/** A wallet with 10,000 payments sits on a ledger of at least that many transactions: 14 proof steps. */
const PROOF_STEPS = 14;
/** What the app binds its sealed document to (pwa/session.ts). */
const DOCUMENT_AAD = 'webwallet:pwa:document:v1:';

const HERE = dirname(fileURLToPath(import.meta.url));

// Anything started here is stopped and removed on Ctrl-C or a failure, newest first.
const cleanups = [];
async function runCleanups() {
  while (cleanups.length > 0)
    await cleanups
      .pop()()
      .catch((error) => log(`cleanup failed: ${error.message}`));
}

function unwrap(result, what) {
  if (!result.ok) throw new Error(`${what}: ${result.error.code} ${JSON.stringify(result.error.details ?? {})}`);
  return result.value;
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values) => percentile(values, 50);

/** p50/p90/p95/p99 (nearest rank: with 50 samples p99 is the largest), min, max, mean; in ms. */
function stats(values) {
  return {
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p95: round(percentile(values, 95)),
    p99: round(percentile(values, 99)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    mean: round(mean(values)),
  };
}

// --- options ------------------------------------------------------------------------------------

function parseOptions(argv) {
  const options = { quick: false, json: false, help: false, skip: new Set(), overrides: {} };
  const args = [...argv];
  const value = (flag) => {
    const v = args.shift();
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  const count = (flag) => {
    const n = Number(value(flag));
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
    return n;
  };
  while (args.length > 0) {
    const arg = args.shift();
    if (arg === '--quick') options.quick = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg === '--no-pause') options.overrides.pause = false;
    else if (arg === '--payments') options.overrides.payments = count(arg);
    else if (arg === '--receipts') options.overrides.receipts = count(arg);
    else if (arg === '--runs') options.overrides.runs = count(arg);
    else if (arg === '--intervals') {
      const list = value(arg)
        .split(',')
        .map((v) => (v === 'default' ? v : Number(v)));
      if (list.some((n) => n !== 'default' && (!Number.isInteger(n) || n < 1))) {
        throw new Error('--intervals needs positive integers or "default"');
      }
      options.overrides.intervals = list;
    } else if (arg === '--skip') {
      for (const name of value(arg).split(',')) {
        if (!['bundle', 'pay', 'sync'].includes(name)) throw new Error(`--skip: unknown section ${name}`);
        options.skip.add(name);
      }
    } else throw new Error(`unknown flag ${arg}\n\n${USAGE}`);
  }
  options.profile = { ...PROFILES[options.quick ? 'quick' : 'full'], ...options.overrides };
  return options;
}

// --- machine ------------------------------------------------------------------------------------

const cpuModel = (() => {
  try {
    return /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
})();

/** Linux's machine-wide CPU time counters (/proc/stat), or undefined elsewhere. */
/** Busy and stolen shares of all cores between two readings (other sessions' load shows here). */
function cpuShares(before, after) {
  if (!before || !after || after.total === before.total) return null;
  const total = after.total - before.total;
  return {
    busy: round(1 - (after.idle - before.idle) / total, 3),
    steal: round((after.steal - before.steal) / total, 3),
  };
}

function machineInfo() {
  return {
    cpus: availableParallelism(),
    model: cpuModel,
    memory_gb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    // Other work on the machine skews every number: the 1-minute load average before and after.
    load_average: { start: round(loadavg()[0], 2), end: null },
  };
}

// --- nodes and HTTP -----------------------------------------------------------------------------

/** A real node in a child process with a fresh data directory; both removed at the end. */
async function bootNode(label, config = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ww-bench-wallet-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const t0 = performance.now();
  const node = await startNodeProcess({ data_dir: dir, ...config });
  cleanups.push(() => node.stop());
  log(`${label}: node at ${node.url} (${Math.round(performance.now() - t0)} ms to start)`);
  return { ...node, dir };
}

/**
 * A fetch that records each request: method, path, start and end (the body read to the end), bytes
 * each way. The wallet's clients take a fetch, so the figures come from the wallet's own requests.
 */
function httpRecorder() {
  const calls = [];
  const recorded = async (input, init = {}) => {
    const start = performance.now();
    const response = await fetch(input, init);
    const body = new Uint8Array(await response.arrayBuffer());
    const end = performance.now();
    const sent = init.body === undefined ? 0 : Buffer.byteLength(init.body);
    const { pathname } = new URL(String(input));
    calls.push({ method: init.method ?? 'GET', path: pathname, start, end, up: sent, down: body.length });
    const empty = [101, 204, 205, 304].includes(response.status);
    return new Response(empty ? null : body, { status: response.status, headers: response.headers });
  };
  return { fetch: recorded, calls, reset: () => calls.splice(0) };
}

/** Wall time covered by at least one request (requests may overlap). */
function busyMs(calls) {
  const spans = calls.map((c) => [c.start, c.end]).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let until = Number.NEGATIVE_INFINITY;
  for (const [start, end] of spans) {
    if (end <= until) continue;
    total += end - Math.max(start, until);
    until = end;
  }
  return total;
}

// --- (1) initial load ---------------------------------------------------------------------------

/** GET with Accept-Encoding: gzip, counting the bytes as they come off the wire. */
function getRaw(url) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { 'accept-encoding': 'gzip' } }, (response) => {
      let bytes = 0;
      response.on('data', (part) => {
        bytes += part.length;
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode,
          encoding: response.headers['content-encoding'] ?? null,
          bytes,
          ms: round(performance.now() - t0),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** Minified bytes of the bundle per source package, from esbuild's metafile. */
async function bundleComposition(script, appJsBytes) {
  const { build } = await import('esbuild');
  const { BUNDLE_OPTIONS } = await import(script);
  const result = await build({ ...BUNDLE_OPTIONS, entryPoints: [...BUNDLE_OPTIONS.entryPoints] });
  const [output] = Object.values(result.metafile.outputs);
  const byPackage = new Map();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(path);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const total = [...byPackage.values()].reduce((a, b) => a + b, 0);
  return {
    matches_build: result.outputFiles[0].contents.length === appJsBytes,
    packages: [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .map(([name, bytes]) => ({ name, minified_bytes: bytes, share: round(bytes / total, 3) })),
  };
}

/** "yjs", "@noble/curves", "@webwallet/core", "pwa (the app)" (its own code), … */
function packageOf(path) {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (modules) return modules[1];
  const workspace = /packages\/([^/]+)\/(pwa|src|dist)\//.exec(path);
  if (workspace?.[2] === 'pwa') return 'pwa (the app)';
  if (workspace) return `@webwallet/${workspace[1]}`;
  return relative(join(HERE, '..'), path);
}

async function measureBundle(node) {
  // The node loads the build script this way (packages/server/src/wallet/pwa-build.ts).
  const script = new URL('../scripts/build-pwa.mjs', import.meta.resolve('@webwallet/wallet')).href;
  const { buildPwa, INITIAL_LOAD_GZIP_BYTES_MAX } = await import(script);
  log('(1) initial load: building the wallet app with build-pwa.mjs');
  const t0 = performance.now();
  let built;
  try {
    built = await buildPwa();
  } catch (error) {
    // buildPwa refuses a build over its budget: that is a result here, not a crash.
    return { met: false, error: error.message };
  }
  const buildMs = performance.now() - t0;
  const files = Object.fromEntries(
    built.files.map((f) => [f.name, { bytes: f.body.length, gzip_bytes: f.gzip.length }]),
  );
  const jsCss = ['app.js', 'app.css'].map((name) => files[name]);
  const gzipBytes = jsCss.reduce((sum, f) => sum + f.gzip_bytes, 0);
  const served = await servedFiles(node);
  const composition = await bundleComposition(script, files['app.js'].bytes);
  const out = {
    js_css_gzip_bytes: gzipBytes,
    js_css_bytes: jsCss.reduce((sum, f) => sum + f.bytes, 0),
    with_html_gzip_bytes: gzipBytes + files['index.html'].gzip_bytes,
    budget_bytes: INITIAL_LOAD_GZIP_BYTES_TARGET,
    build_script_budget_bytes: INITIAL_LOAD_GZIP_BYTES_MAX,
    ratio_to_budget: round(gzipBytes / INITIAL_LOAD_GZIP_BYTES_TARGET, 3),
    met: gzipBytes <= INITIAL_LOAD_GZIP_BYTES_TARGET,
    build_ms: round(buildMs),
    files,
    served,
    composition,
  };
  log(
    `  app.js + app.css: ${fmt(out.js_css_bytes)} B, gzip ${fmt(gzipBytes)} B (${round(gzipBytes / 1024)} KB of ${INITIAL_LOAD_GZIP_BYTES_TARGET / 1024} KB); served gzip ${fmt(served.js_css_wire_bytes)} B`,
  );
  return out;
}

/** What a browser's first visit downloads from a node (its in-memory build, gzip on the wire). */
async function servedFiles(node) {
  const first = await getRaw(`${node.url}/wallet/app.js`);
  const [html, js, css] = await Promise.all(['', 'app.js', 'app.css'].map((f) => getRaw(`${node.url}/wallet/${f}`)));
  for (const r of [first, html, js, css]) {
    if (r.status !== 200 || r.encoding !== 'gzip') throw new Error(`/wallet/ answered ${r.status}, ${r.encoding}`);
  }
  return {
    first_request_ms: first.ms,
    html_wire_bytes: html.bytes,
    app_js_wire_bytes: js.bytes,
    app_css_wire_bytes: css.bytes,
    js_css_wire_bytes: js.bytes + css.bytes,
  };
}

// --- (2) Pay → stored receipt -------------------------------------------------------------------

async function party() {
  const keys = await generateKeyPair();
  return { keys, id: encodePrefixed('pub', keys.publicKey) };
}

/** The wallet being benchmarked: a recovery phrase, account 0 derived from it as the app does. */
async function newWallet() {
  const seed = unwrap(await walletSeed(newRecoveryPhrase()), 'wallet seed');
  const keys = await accountKeyPair(seed, 0);
  return { seed, id: encodePrefixed('pub', keys.publicKey), lockKey: randomBytes(32) };
}

/** Untimed: an issuer and its currency, the shop and the wallet's account trusting it, the wallet funded. */
async function setUpLedger(client, wallet, shop) {
  // Loaded here, not at the top: the worker threads of (3) load this file and need only the wallet.
  const { transaction } = await import('@webwallet/ledger');
  const issuer = await party();
  const walletKeys = await accountKeyPair(wallet.seed, 0);
  const documents = [
    await transaction('ledger.account.create', { account: issuer.id }, [issuer.keys]),
    await transaction('ledger.account.create', { account: shop.id }, [shop.keys]),
    await transaction('ledger.account.create', { account: wallet.id }, [walletKeys]),
    await transaction('ledger.currency.issue', { issuer: issuer.id, currency: CURRENCY, scale: 2 }, [issuer.keys]),
  ];
  for (const [holder, keys] of [
    [shop.id, shop.keys],
    [wallet.id, walletKeys],
  ]) {
    documents.push(await transaction('ledger.trust.set', { holder, currency: CURRENCY, limit: '1000000.00' }, [keys]));
  }
  const legs = [{ from: issuer.id, to: wallet.id, currency: CURRENCY, amount: FUNDING }];
  documents.push(await transaction('ledger.transfer', { legs }, [issuer.keys]));
  for (const result of unwrap(await client.submit(documents), 'ledger setup')) {
    if (result.status !== 'accepted') throw new Error(`ledger setup: ${JSON.stringify(result)}`);
  }
}

function paymentRequest(nodeUrl, shop, memo) {
  const uri = formatPaymentUri({ node: nodeUrl, to: shop.id, amount: PRICE, currency: CURRENCY, memo });
  return unwrap(parsePaymentUri(uri), 'payment URI');
}

/**
 * Baseline: POST /v1/transactions of one transfer signed and serialized beforehand, the answer
 * read and parsed; accepted (durably committed) but not yet in a block. The wallet's fetch.
 */
async function barePosts(nodeUrl, wallet, shop, count) {
  const keys = await accountKeyPair(wallet.seed, 0);
  const bodies = [];
  for (let i = 0; i < count; i++) {
    const document = await buildPaymentDocument(paymentRequest(nodeUrl, shop, `post-${i}`), keys);
    bodies.push(JSON.stringify({ documents: [document] }));
  }
  const durations = [];
  for (const body of bodies) {
    const t0 = performance.now();
    const response = await fetch(`${nodeUrl}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
    });
    const answer = await response.json();
    durations.push(performance.now() - t0);
    if (answer.results?.[0]?.status !== 'accepted') throw new Error(`bare POST: ${JSON.stringify(answer)}`);
  }
  return durations;
}

/** The app's storage step (Session.storeReceipt): put, merge what was saved, seal, write. */
function walletStore(wallet, nodeUrl, dir) {
  const document = WalletDocument.create();
  unwrap(
    document.putAccount({
      id: wallet.id,
      node: nodeUrl,
      index: 0,
      label: 'Main account',
      created_at: new Date().toISOString(),
    }),
    'account',
  );
  const aad = utf8(DOCUMENT_AAD + wallet.id);
  // A file stands in for IndexedDB (read back and written, not fsynced: IndexedDB's default
  // durability does not flush either).
  const file = join(dir, 'wallet-document.sealed');
  writeFileSync(file, seal(wallet.lockKey, document.encodeState(), aad));
  return {
    document,
    async store(receipt) {
      unwrap(document.putReceipt(receipt, { node: nodeUrl }), 'putReceipt');
      // Another tab may have saved meanwhile: what is stored is merged in first (Session.save).
      const saved = unwrap(openSealed(wallet.lockKey, await readFile(file), aad), 'open');
      unwrap(document.applyUpdate(saved), 'merge');
      await writeFile(file, seal(wallet.lockKey, document.encodeState(), aad));
    },
  };
}

/** One payment as the app makes it after the click; each part timed. */
async function payOnce(ctx, i) {
  const { node, client, http, wallet, shop, store } = ctx;
  const request = paymentRequest(node.url, shop, `order-${i}`);
  // Before the click: the review screen (node identity and balance).
  const r0 = performance.now();
  const review = unwrap(await reviewPayment(request, { from: wallet.id, node: client }), 'review');
  const reviewMs = performance.now() - r0;
  // The person reads the review for a while: a random pause, so that payments do not all start
  // at the same moment after the previous block (it mattered when blocks were sealed on a
  // quarter-interval timer; the sequencer now seals at the deadline itself).
  await sleep(ctx.pause() * ctx.pause_max_ms);
  http.reset();
  const t0 = performance.now();
  const keys = await accountKeyPair(wallet.seed, 0);
  const t1 = performance.now();
  const paid = unwrap(await pay(request, keys, { node: client, trusted_node_keys: [review.node.public_key] }), 'pay');
  const t2 = performance.now();
  await store.store(paid.receipt);
  const t3 = performance.now();
  const identity = http.calls.find((c) => c.path === '/.well-known/webwallet');
  const submit = http.calls.find((c) => c.method === 'POST' && c.path === '/v1/transactions');
  const polls = http.calls.filter((c) => c.method === 'GET' && c.path.startsWith('/v1/transactions/'));
  const answered = polls.at(-1);
  if (!identity || !submit || !answered) throw new Error(`payment ${i}: requests missing`);
  return {
    receipt: paid.receipt,
    review: reviewMs,
    total: t3 - t0,
    parts: {
      key_derivation: t1 - t0,
      node_identity: identity.end - identity.start,
      submit: submit.end - submit.start,
      wait_for_receipt: answered.end - submit.end,
      sign_and_verify: t2 - t1 - (identity.end - identity.start) - (answered.end - submit.start),
      store: t3 - t2,
    },
    polls: polls.length,
  };
}

async function payCase(setting, P, wallet, keepNode) {
  // "default": the node's own setting, not passed, so the node runs exactly as configured by default.
  const { DEFAULT_CONFIG } = await import('@webwallet/server');
  const isDefault = setting === 'default';
  const interval = isDefault ? DEFAULT_CONFIG.block_interval_ms : setting;
  const label = `(2) block_interval_ms ${interval}${isDefault ? ' (default)' : ''}`;
  const node = await bootNode(label, isDefault ? {} : { block_interval_ms: interval });
  const http = httpRecorder();
  const client = new NodeClient({ url: node.url, fetch: http.fetch });
  const shop = await party();
  await setUpLedger(client, wallet, shop);
  const pauseMax = Math.max(10, Math.floor(interval / 4));
  const pause = P.pause ? rng(interval) : () => 0;
  const ctx = {
    node,
    client,
    http,
    wallet,
    shop,
    pause_max_ms: pauseMax,
    pause,
    store: walletStore(wallet, node.url, node.dir),
  };
  const before = cpuTicks();

  // Warm-up (HTTP connection, JIT), then the baseline, then the payments: never interleaved, since
  // a baseline transfer would start the block timer that the next payment then waits on less.
  for (let i = 0; i < P.warmup_payments; i++) await payOnce(ctx, -1 - i);
  const posts = await barePosts(node.url, wallet, shop, P.payments);
  await sleep(interval * 1.5 + 100); // the baseline's block seals before the first payment
  const runs = [];
  for (let i = 0; i < P.payments; i++) runs.push(await payOnce(ctx, i));
  const shares = cpuShares(before, cpuTicks());
  if (!keepNode) await node.stop();

  const total = stats(runs.map((r) => r.total));
  const parts = Object.fromEntries(
    Object.keys(runs[0].parts).map((k) => [k, round(median(runs.map((r) => r.parts[k])))]),
  );
  const post = stats(posts);
  const out = {
    block_interval_ms: interval,
    default: isDefault,
    pause_max_ms: pauseMax,
    payments: runs.length,
    pay_to_stored_ms: total,
    bare_post_ms: post,
    review_ms: stats(runs.map((r) => r.review)),
    parts_p50_ms: parts,
    // Receipt lookups per payment: 1 when the node holds the lookup until the block is sealed.
    polls_per_payment: round(mean(runs.map((r) => r.polls)), 2),
    // A lone payment's block is sealed block_interval_ms after the batch that committed it began,
    // and the node answers the held lookup then: the wait after the submit's answer is a little
    // under the interval.
    expected_wait_ms: interval,
    wait_share_of_p50: round(parts.wait_for_receipt / total.p50, 3),
    ratio_p50_to_bare_post_p50: round(total.p50 / post.p50, 1),
    p50_beyond_block_interval_ms: round(total.p50 - interval),
    met: total.p50 < PAY_P50_MS_TARGET,
    cpu: shares,
    // Each payment in order: [Pay → stored, submit, wait for the block, store, the rest].
    samples_ms: runs.map((r) => {
      const { submit, wait_for_receipt: wait, store } = r.parts;
      return [r.total, submit, wait, store, r.total - submit - wait - store].map((v) => round(v));
    }),
  };
  log(
    `  pay → stored p50 ${total.p50} ms, p90 ${total.p90}, p95 ${total.p95}, p99 ${total.p99}; bare POST p50 ${post.p50} ms (×${out.ratio_p50_to_bare_post_p50}); wait for the block p50 ${parts.wait_for_receipt} ms, ${out.polls_per_payment} polls; store ${parts.store} ms`,
  );
  return { out, receipt: runs[0].receipt, node };
}

/** Every interval in turn; the last case's node keeps running for (1) and (3). */
async function measurePay(P) {
  const wallet = await newWallet();
  const cases = [];
  let receipt;
  let node;
  for (const [i, interval] of P.intervals.entries()) {
    const result = await payCase(interval, P, wallet, i === P.intervals.length - 1);
    cases.push(result.out);
    receipt ??= result.receipt;
    node = result.node;
  }
  const meeting = [...new Set(cases.filter((c) => c.met).map((c) => c.block_interval_ms))];
  return { out: { cases, target_p50_ms: PAY_P50_MS_TARGET, intervals_meeting_target: meeting }, receipt, node };
}

// --- (3) sync to a newly paired device ----------------------------------------------------------

/**
 * `count` receipts of a real one's size: the real receipt (a payment sealed and verified in (2)),
 * its proof lengthened to PROOF_STEPS with random hashes, and distinct ids, memos and leaf
 * indexes. The signatures stay the real receipt's, so these would not verify: sync never checks
 * them (the app verifies receipts when it shows them), and verifying is not what is measured.
 */
function receiptsLike(template, count) {
  const proof = [...template.proof];
  while (proof.length < PROOF_STEPS) proof.push(toHex(randomBytes(32)));
  return Array.from({ length: count }, (_, i) => ({
    ...template,
    document: {
      ...template.document,
      body: { ...template.document.body, id: toBase64Url(randomBytes(16)), memo: `order-${i}` },
    },
    index: i,
    proof,
  }));
}

async function measureSync(node, P, template) {
  const made = performance.now();
  const receipts = receiptsLike(template, P.receipts);
  const document = WalletDocument.create();
  const storedAt = new Date().toISOString();
  document.batch(() => {
    for (const r of receipts) unwrap(document.putReceipt(r, { stored_at: storedAt, node: node.url }), 'putReceipt');
  });
  const makeMs = performance.now() - made;
  const receiptBytes = Buffer.byteLength(JSON.stringify(receipts[0]));
  const stateBytes = document.encodeState().length;
  log(
    `  ${fmt(P.receipts)} receipts of ${fmt(receiptBytes)} B (${PROOF_STEPS}-step proof) in a document of ${round(stateBytes / 1e6, 2)} MB (${Math.round(makeMs)} ms to make)`,
  );

  const pushHttp = httpRecorder();
  const p0 = performance.now();
  const owner = unwrap(
    await WalletSync.create({ document, relayUrl: node.url, fetch: pushHttp.fetch, device_name: 'owner' }),
    'create',
  );
  const pushMs = performance.now() - p0;
  const pushCalls = pushHttp.calls.splice(0); // invitations below use the same client
  log(`  first device's push: ${Math.round(pushMs)} ms, ${pushCalls.length} requests`);

  const expected = { count: document.receiptCount(), sample: JSON.stringify(document.receipts({ limit: 3 })) };
  const state = document.encodeState();
  const joins = [];
  const baselines = [];
  for (let r = 0; r < P.runs; r++) {
    const code = unwrap(await owner.invite(), 'invite');
    joins.push(await inWorker({ task: 'join', uri: code.uri, relayUrl: node.url, expected, run: r }));
    baselines.push(await inWorker({ task: 'load', state, expected }));
    const [j, b] = [joins.at(-1), baselines.at(-1)];
    log(
      `  new device ${r + 1}/${P.runs}: joined and synced in ${Math.round(j.ms)} ms (${j.read} messages, ${j.requests} requests, HTTP ${Math.round(j.http_ms)} ms, client ${Math.round(j.client_ms)} ms); local load ${Math.round(b.load_ms)} ms, decrypt alone ${Math.round(b.decrypt_ms)} ms`,
    );
  }
  owner.close();
  await node.stop();
  const joinMs = median(joins.map((j) => j.ms));
  const loadMs = median(baselines.map((b) => b.load_ms));
  const worst = Math.max(...joins.map((j) => j.ms));
  return {
    receipts: P.receipts,
    receipt_bytes: receiptBytes,
    proof_steps: PROOF_STEPS,
    state_bytes: stateBytes,
    make_ms: round(makeMs),
    first_push: { ms: round(pushMs), requests: pushCalls.length, bytes_up: sum(pushCalls, 'up') },
    join_ms: { median: round(joinMs), min: round(Math.min(...joins.map((j) => j.ms))), max: round(worst) },
    baseline_local_load_ms: round(loadMs),
    baseline_decrypt_ms: round(median(baselines.map((b) => b.decrypt_ms))),
    ratio_join_to_local_load: round(joinMs / loadMs, 1),
    runs: joins.map((j) => roundAll(j)),
    baselines: baselines.map((b) => roundAll(b)),
    target_ms: SYNC_MS_TARGET,
    // Every new device must make it, not the median one.
    met: P.receipts === SYNC_RECEIPTS_TARGET ? worst < SYNC_MS_TARGET : null,
  };
}

const sum = (calls, key) => calls.reduce((a, c) => a + c[key], 0);
const roundAll = (o) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]));

/**
 * Runs one task of (3) in a fresh worker thread: a new device starts with code V8 has not
 * compiled yet, and so does each baseline. Its modules are loaded before the clock starts (the
 * app is open when the code is scanned).
 */
function inWorker(data) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: data });
    let result;
    worker.once('message', (message) => {
      result = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (result ? resolve(result) : reject(new Error(`worker exited with code ${code}`))));
  });
}

async function workerMain() {
  const data = workerData;
  const result = data.task === 'join' ? await joinTask(data) : loadTask(data);
  parentPort.postMessage(result);
}

/** WEBWALLET_BENCH_CPU_PROF=dir: a V8 CPU profile of this thread around `fn`, as dir/<name>.cpuprofile. */
async function profiled(name, fn) {
  const dir = process.env.WEBWALLET_BENCH_CPU_PROF;
  if (!dir) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  }
}

/** The new device whose content must match the first one's. */
function checkCopy(document, expected) {
  if (document.receiptCount() !== expected.count) {
    throw new Error(`the new device has ${document.receiptCount()} receipts, not ${expected.count}`);
  }
  if (JSON.stringify(document.receipts({ limit: 3 })) !== expected.sample) {
    throw new Error('the new device holds other receipts');
  }
}

/** A new, empty device pairs with the code and reads everything: the timed part. */
async function joinTask({ uri, relayUrl, expected, run }) {
  const fresh = WalletDocument.create();
  const http = httpRecorder();
  const before = cpuTicks();
  const t0 = performance.now();
  const joined = unwrap(
    await profiled(`wallet-join-${run + 1}`, () =>
      WalletSync.join(uri, { document: fresh, fetch: http.fetch, relayUrl }),
    ),
    'join',
  );
  const ms = performance.now() - t0;
  const cpu = cpuShares(before, cpuTicks());
  const report = unwrap(joined.first_sync, 'first sync');
  joined.sync.close();
  if (report.rejected.length > 0) throw new Error(`first sync rejected ${JSON.stringify(report.rejected)}`);
  checkCopy(fresh, expected);
  const httpMs = busyMs(http.calls);
  return {
    ms,
    read: report.read,
    applied: report.applied,
    requests: http.calls.length,
    bytes_down: sum(http.calls, 'down'),
    bytes_up: sum(http.calls, 'up'),
    http_ms: httpMs,
    client_ms: ms - httpMs,
    cpu_busy: cpu?.busy ?? null,
    cpu_steal: cpu?.steal ?? null,
  };
}

/**
 * Baseline: the same state applied locally, no relay, no crypto (WalletDocument.load). Then,
 * apart: opening the state sealed with XChaCha20-Poly1305 (@noble/ciphers, the cipher sync
 * messages use), the decryption a new device cannot avoid.
 */
function loadTask({ state, expected }) {
  const t0 = performance.now();
  const loaded = unwrap(WalletDocument.load(state), 'load');
  const loadMs = performance.now() - t0;
  checkCopy(loaded, expected);
  const key = randomBytes(32);
  const sealed = seal(key, state);
  const t1 = performance.now();
  unwrap(openSealed(key, sealed), 'open');
  return { load_ms: loadMs, decrypt_ms: performance.now() - t1 };
}

// --- report -------------------------------------------------------------------------------------

function targets(output) {
  const load = output.initial_load;
  const atDefault = output.pay?.cases.find((c) => c.default);
  return {
    initial_load: load
      ? { target_bytes: INITIAL_LOAD_GZIP_BYTES_TARGET, bytes: load.js_css_gzip_bytes ?? null, met: load.met }
      : null,
    pay_p50: output.pay
      ? {
          target_ms: PAY_P50_MS_TARGET,
          default_interval_ms: atDefault?.block_interval_ms ?? null,
          default_interval_p50_ms: atDefault?.pay_to_stored_ms.p50 ?? null,
          default_interval_p95_ms: atDefault?.pay_to_stored_ms.p95 ?? null,
          met_at_default_interval: atDefault?.met ?? null,
          intervals_meeting_target: output.pay.intervals_meeting_target,
        }
      : null,
    sync_10000: output.sync
      ? {
          target_ms: SYNC_MS_TARGET,
          receipts: output.sync.receipts,
          median_ms: output.sync.join_ms.median,
          max_ms: output.sync.join_ms.max,
          met: output.sync.met,
        }
      : null,
  };
}

function printSummary(o) {
  const lines = [
    `wallet benchmark ${o.date} (${o.mode})`,
    `machine: ${o.machine.cpus} cores, ${o.machine.model}, node ${o.machine.node}, load ${o.machine.load_average.start} → ${o.machine.load_average.end}`,
  ];
  const l = o.initial_load;
  if (l?.files) {
    lines.push(
      `(1) initial load app.js + app.css: ${fmt(l.js_css_bytes)} B raw, ${fmt(l.js_css_gzip_bytes)} B gzip (${round(l.ratio_to_budget * 100)}% of 200 KB): ${l.met ? 'MET' : 'MISSED'}`,
    );
  } else if (l) lines.push(`(1) initial load: MISSED (${l.error})`);
  for (const c of o.pay?.cases ?? []) {
    const t = c.pay_to_stored_ms;
    lines.push(
      `(2) block_interval_ms ${String(c.block_interval_ms).padStart(4)}${c.default ? ' (default)' : ''}: pay → stored p50 ${t.p50} / p95 ${t.p95} / p99 ${t.p99} ms; bare POST p50 ${c.bare_post_ms.p50} ms (×${c.ratio_p50_to_bare_post_p50}); wait for block ${c.parts_p50_ms.wait_for_receipt} ms: ${c.met ? 'MET' : 'MISSED'}`,
    );
  }
  const s = o.sync;
  if (s) {
    lines.push(
      `(3) ${fmt(s.receipts)} receipts to a new device: median ${fmt(s.join_ms.median)} ms, max ${fmt(s.join_ms.max)} ms (local load ${fmt(s.baseline_local_load_ms)} ms, ×${s.ratio_join_to_local_load}): ${s.met === null ? 'target is for 10,000' : s.met ? 'MET' : 'MISSED'}`,
    );
  }
  lines.push(...o.notes.map((n) => `note: ${n}`));
  process.stderr.write(`\n${lines.join('\n')}\n`);
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const P = options.profile;
  const started = performance.now();
  const output = {
    date: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    quick: options.quick,
    machine: machineInfo(),
    settings: {
      payments_per_interval: P.payments,
      pause_before_pay: P.pause
        ? 'uniform in [0, max(10, interval / 4)) before each click, untimed'
        : 'none (back to back)',
      warmup_payments: P.warmup_payments,
      block_intervals_ms: P.intervals,
      receipts: P.receipts,
      pairing_runs: P.runs,
      proof_steps: PROOF_STEPS,
      node: 'startNode in a child process (bench/lib/node-child.mjs), embedded SQLite, default settings but block_interval_ms ("default": not set either); a fresh node per block interval',
      app_and_relay_node:
        'the node of the last block interval of (2): it serves the app for (1) and is the relay of (3)',
      wallet: "this process's main thread: @webwallet/wallet as the app uses it, global fetch (keep-alive)",
    },
    initial_load: null,
    pay: null,
    sync: null,
    notes: [],
  };
  log(`wallet benchmark (${output.mode}): ${P.payments} payments per block interval, ${fmt(P.receipts)} receipts`);
  try {
    // (3) needs a real receipt from (2): without (2), one payment against the first interval.
    const payProfile = options.skip.has('pay') ? { ...P, intervals: [P.intervals[0]], payments: 1 } : P;
    let node;
    let template;
    if (!(options.skip.has('pay') && options.skip.has('sync'))) {
      log('(2) Pay → stored receipt, one payment at a time');
      const pay = await measurePay(payProfile);
      if (!options.skip.has('pay')) output.pay = pay.out;
      ({ receipt: template, node } = pay);
    }
    // Starting a node takes seconds: the last node of (2) serves the app for (1) and is the
    // relay of (3) (the block interval does not matter to either).
    if (!options.skip.has('bundle')) output.initial_load = await measureBundle(node ?? (await bootNode('(1) app')));
    if (!options.skip.has('sync')) {
      log(`(3) ${fmt(P.receipts)} receipts to a newly paired device`);
      output.sync = await measureSync(node, P, template);
    }
  } finally {
    await runCleanups();
  }
  output.targets = targets(output);
  if (output.sync && output.sync.met === null) {
    output.notes.push(`sync ran with ${fmt(P.receipts)} receipts; the 5 s target is for 10,000 (full mode)`);
  }
  output.notes.push(
    'receipts synced in (3) are copies of one real receipt from (2) with distinct ids, memos and indexes and the proof lengthened to 14 steps',
    `the machine has ${output.machine.cpus} cores shared by the node process, the wallet and any other work on it`,
  );
  output.machine.load_average.end = round(loadavg()[0], 2);
  output.total_seconds = round((performance.now() - started) / 1000, 1);
  log(`done in ${output.total_seconds} s`);
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  if (!options.json) printSummary(output);
}

if (isMainThread) {
  process.once('SIGINT', () => {
    log('interrupted: cleaning up');
    runCleanups().finally(() => process.exit(130));
  });
  main().catch(async (error) => {
    log(`benchmark failed: ${error.stack ?? error}`);
    await runCleanups();
    process.exit(1);
  });
} else {
  workerMain().catch((error) => {
    // The main thread sees the worker exit without a result and reports this.
    process.stderr.write(`worker failed: ${error.stack ?? error}\n`);
    process.exit(1);
  });
}
