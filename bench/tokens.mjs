#!/usr/bin/env node
// The payer-token benchmark: offline verifications per second on one core (issue 5's target is
// 5,000/s), next to the raw Ed25519 verification rate measured in the same run, so the cost beyond
// the signature checks is visible.
//
//   npm run bench:tokens -- [--quick] [--json]   (--help for more)
//
// Tokens come from real receipts: a real Ledger (SQLite in a temp dir) where self-custody payers
// pay a shop, each payment carrying an order reference as its memo. Two sets:
//   shared blocks: N payments sealed into 4 blocks (a door or shop checking tokens of recent sales:
//                  core caches the blocks it verified, so a token costs 1 signature check);
//   fresh blocks:  N payments sealed one per block, each token verified once, in a thread that has
//                  never seen its block (the first token of every block: 2 signature checks).
// Every measurement runs on one worker thread, a fresh one per repetition (fresh caches): the main
// thread only waits. Each figure is the median of --runs repetitions.
//
// Needs the packages built (npx tsc -b). Progress goes to stderr; stdout carries one JSON object, and
// without --json a readable summary follows on stderr: { date, quick, machine, settings, raw_ed25519_verify_per_s,
// raw_ed25519_verify_sync_per_s, openssl_speed_ed25519_verify_per_s, token_verify_per_s_shared_blocks,
// token_verify_per_s_shared_blocks_new_payers, token_verify_per_s_fresh_blocks,
// token_verify_decoded_per_s_shared_blocks, receipt_inclusion_per_s, decode_per_s, ratio_to_raw, ratio_to_signature_bound,
// signature_checks_per_token, key_imports_per_token, us_per_token, target_per_s, met, token_length,
// tree_size, tokens, runs, notes, total_seconds }.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

import { cpuTicks, log, round } from './lib/util.mjs';

const USAGE = `Usage: node bench/tokens.mjs [--quick] [--json]

  --quick          whole run under 30 seconds (200 tokens per set, 0.5 s per measurement)
  --json           print only the JSON object on stdout; progress goes to stderr
Tuning:
  --tokens N       payments (and tokens) per set (quick 200, full 2000)
  --seconds S      measured seconds per steady-state case (quick 0.5, full 3)
  --runs R         repetitions, each in a fresh worker thread; the median counts (default 3)
  --no-openssl     skip the \`openssl speed ed25519\` cross-check

Profiling: WEBWALLET_BENCH_CPU_PROF=dir writes V8 CPU profiles of the measuring thread in the first
repetition: dir/tokens-shared-new-payers.cpuprofile and tokens-fresh.cpuprofile (the single passes;
their raw-verification slices sit under rawVerify), and tokens-shared.cpuprofile (the shared-blocks
case alone, for --seconds, after the measurements).
`;

const PROFILES = {
  quick: { tokens: 200, seconds: 0.5, warmup_seconds: 0.15, runs: 3, openssl_seconds: 1 },
  full: { tokens: 2_000, seconds: 3, warmup_seconds: 1, runs: 3, openssl_seconds: 3 },
};

const TARGET_PER_S = 5_000;
/** Payments of the shared-blocks set are sealed into this many blocks. */
const SHARED_BLOCKS = 4;
const AUDIENCE = 'https://shop.example';
const SHOP = 'acc_shop';
const ISSUER = 'acc_issuer';
const CURRENCY = 'BENCH';
const PRICE = '12.50';
const FUNDING = '100.00';
const TRUST_LIMIT = '1000000.00';
/** Raw verification: this many (key, ~100-byte message, signature) samples, cycled. */
const RAW_KEYS = 64;
const RAW_MESSAGES = 512;
const RAW_MESSAGE_BYTES = 100;

/** The ledger's temp directory while it exists: removed on Ctrl-C too. */
let removeOnInterrupt;

const fmt = (n) => (n === null || n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const spread = (values) => ({ min: Math.min(...values), median: median(values), max: Math.max(...values) });

// ---------------------------------------------------------------------------------------------
// Measuring (worker thread): the same code for every repetition, so every figure has fresh caches.

/** The verifier's terms for one token: what the shop sold under that order reference. */
function verifyOptions(nodeKey, reference) {
  return {
    trusted_nodes: [{ public_key: nodeKey }],
    expect: { payee: SHOP, amount: PRICE, currency: CURRENCY, reference, audience: AUDIENCE },
  };
}

/** Each step gets the CPU for this long in turn (see interleave). */
const SLICE_MS = 10;

/**
 * The share of one core this process used from `since` (a cpuUsage snapshot) over `wallMs`: about
 * 1 while the measuring thread ran undisturbed (the main thread only waits; parallel garbage
 * collection can push it above 1), lower when other work on the machine took the core away.
 */
const cpuShare = (since, wallMs) => {
  const used = process.cpuUsage(since);
  return round((used.user + used.system) / 1000 / wallMs, 2);
};

/**
 * Runs the steps in turn, SLICE_MS each, and times each step's own slices: calls per second per
 * step. This machine is shared and its speed drifts by tens of percent within a minute; steps
 * measured in alternation see the same conditions, so their ratios hold even when the absolute
 * rates move. `steps` maps a name to `step(i)` (i = 0, 1, … per step). A step made with pass()
 * returns false when it has no work left: with such steps the run ends when all of them are
 * done, without them after `seconds`.
 */
async function interleave(steps, seconds = 0) {
  const state = Object.entries(steps).map(([name, step]) => ({ name, step, calls: 0, ms: 0, done: false }));
  const passes = state.filter((x) => x.step.finite);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const endAt = t0 + seconds * 1000;
  for (;;) {
    for (const x of state) {
      if (x.done) continue;
      const start = performance.now();
      const sliceEnd = start + SLICE_MS;
      let now = start;
      while (now < sliceEnd) {
        if ((await x.step(x.calls)) === false) {
          x.done = true;
          break;
        }
        x.calls++;
        now = performance.now();
      }
      x.ms += performance.now() - start;
    }
    if (passes.length > 0 ? passes.every((x) => x.done) : performance.now() >= endAt) break;
  }
  const wallMs = performance.now() - t0;
  const rates = Object.fromEntries(state.map((x) => [x.name, x.calls / (x.ms / 1000)]));
  return { rates, cpu_share: cpuShare(cpu, wallMs) };
}

/** A single pass over `count` items: step(i) for i below count, then false. */
function pass(count, fn) {
  const step = async (i) => {
    if (i >= count) return false;
    await fn(i);
    return true;
  };
  step.finite = true;
  return step;
}

/** WEBWALLET_BENCH_CPU_PROF=dir: a V8 CPU profile of this worker thread around `fn`. */
async function profiled(name, enabled, fn) {
  const dir = process.env.WEBWALLET_BENCH_CPU_PROF;
  if (!dir || !enabled) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const result = await fn();
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `tokens-${name.replaceAll('_', '-')}.cpuprofile`), JSON.stringify(profile));
  return result;
}

/**
 * Counts node:crypto's Ed25519 verifications and public-key imports as core makes them. Core holds
 * the ESM namespace of node:crypto, whose bindings syncBuiltinESMExports updates; only the audit
 * repetition does this, never a timed one.
 */
async function countCrypto() {
  const { createRequire, syncBuiltinESMExports } = await import('node:module');
  const crypto = createRequire(import.meta.url)('node:crypto');
  const counts = { verify: 0, key_import: 0 };
  const { verify, createPublicKey } = crypto;
  crypto.verify = (...args) => {
    counts.verify++;
    return verify(...args);
  };
  crypto.createPublicKey = (...args) => {
    counts.key_import++;
    return createPublicKey(...args);
  };
  syncBuiltinESMExports();
  return counts;
}

async function worker() {
  const { shared, fresh, node, profile, mode, first } = workerData;
  const counts = mode === 'audit' ? await countCrypto() : undefined;
  const core = await import('@webwallet/core');
  const { verifyPayerToken, decodePayerToken, verifyReceiptInclusion } = core;
  const sharedOptions = shared.references.map((r) => verifyOptions(node, r));
  const freshOptions = fresh.references.map((r) => verifyOptions(node, r));
  const check = (result, what) => {
    if (!result.ok) throw new Error(`${what}: ${result.error.code} ${JSON.stringify(result.error.details ?? {})}`);
  };
  const verifyShared = async (i) => {
    const j = i % shared.texts.length;
    check(await verifyPayerToken(shared.texts[j], sharedOptions[j]), `shared token ${j}`);
  };
  const verifyFresh = async (i) => check(await verifyPayerToken(fresh.texts[i], freshOptions[i]), `fresh token ${i}`);
  const samples = await rawSamples(core);
  const rawVerify = async (i) => {
    const x = samples[i % samples.length];
    if (!(await core.verify(x.signature, x.message, x.publicKey))) throw new Error('raw verify failed');
  };

  // 1. Warm-up: the first tenth of the shared-blocks set, cycled, so the code is compiled before
  //    the single passes below; the blocks met so far and those payers' keys get cached. Nothing
  //    has seen the rest of either set yet.
  const warm = Math.max(20, Math.floor(shared.texts.length / 10));
  await interleave({ warm: (i) => verifyShared(i % warm), raw: rawVerify }, Math.max(profile.warmup_seconds, 0.1));

  // 2. Single passes, each in alternation with raw verification (the same conditions): the rest
  //    of the shared-blocks set (blocks cached, every payer's key new), then the fresh-blocks set
  //    (every token's block and payer key seen for the first time).
  const newPayers = shared.texts.length - warm;
  const audit = {};
  const counted = async (name, count, fn) => {
    const before = counts ? { ...counts } : undefined;
    // The audit counts every verification, so it runs the pass alone.
    const steps = counts ? { pass: pass(count, fn) } : { pass: pass(count, fn), raw: rawVerify };
    const result = await profiled(name, first, () => interleave(steps));
    if (counts) {
      audit[name] = {
        signature_checks: round((counts.verify - before.verify) / count, 3),
        key_imports: round((counts.key_import - before.key_import) / count, 3),
      };
    }
    return result;
  };
  const p1 = await counted('shared_new_payers', newPayers, (i) => verifyShared(warm + i));
  const p2 = await counted('fresh', fresh.texts.length, verifyFresh);

  if (mode === 'audit') {
    // One more pass over the shared set: now everything is cached, as in the steady phase.
    await counted('shared', shared.texts.length, verifyShared);
    audit.rejections = await rejections(core, shared.texts[0], sharedOptions[0]);
    parentPort.postMessage({ audit });
    return;
  }

  // 3. Steady state, all in alternation for seconds × 6: raw Ed25519 (core's verify, async as
  //    verifyPayerToken awaits it, and verifySync); decoding alone; the receipt's inclusion check
  //    alone (block cached); already-decoded tokens; token text. Shared blocks, cycled: blocks and
  //    payer keys cached.
  const decoded = [];
  for (const text of shared.texts) decoded.push((await decodePayerToken(text)).value);
  const steady = {
    raw_verify: rawVerify,
    raw_verify_sync: (i) => {
      const x = samples[i % samples.length];
      if (!core.verifySync(x.signature, x.message, x.publicKey)) throw new Error('raw verifySync failed');
    },
    decode: async (i) => {
      const j = i % shared.texts.length;
      check(await decodePayerToken(shared.texts[j]), `decode ${j}`);
    },
    receipt_inclusion: async (i) => {
      const j = i % decoded.length;
      check(await verifyReceiptInclusion(decoded[j].receipt, [node]), `receipt ${j}`);
    },
    shared_decoded: async (i) => {
      const j = i % decoded.length;
      check(await verifyPayerToken(decoded[j], sharedOptions[j]), `decoded token ${j}`);
    },
    shared: verifyShared,
  };
  await interleave(steady, profile.warmup_seconds);
  const p3 = await interleave(steady, profile.seconds * Object.keys(steady).length);
  // Profiling only: the shared case alone, after the measurements.
  if (first && process.env.WEBWALLET_BENCH_CPU_PROF) {
    await profiled('shared', true, () => interleave({ shared: verifyShared }, profile.seconds));
  }
  parentPort.postMessage({
    rates: {
      ...p3.rates,
      shared_new_payers: p1.rates.pass,
      raw_verify_during_new_payers: p1.rates.raw,
      fresh: p2.rates.pass,
      raw_verify_during_fresh: p2.rates.raw,
    },
    cpu_share: { new_payers_pass: p1.cpu_share, fresh_pass: p2.cpu_share, steady: p3.cpu_share },
  });
}

/** Pre-signed ~100-byte messages from a few keys, as core signs them. */
async function rawSamples(core) {
  const keys = [];
  for (let k = 0; k < RAW_KEYS; k++) keys.push(await core.generateKeyPair());
  const samples = [];
  for (let i = 0; i < RAW_MESSAGES; i++) {
    const key = keys[i % RAW_KEYS];
    const message = core.randomBytes(RAW_MESSAGE_BYTES);
    samples.push({ message, publicKey: key.publicKey, signature: await core.sign(message, key.secretKey) });
  }
  return samples;
}

/** The verifier really checks: a wrong order reference and a forged signature must fail. */
async function rejections(core, text, options) {
  const wrongReference = await core.verifyPayerToken(text, {
    ...options,
    expect: { ...options.expect, reference: 'order-not-this-one' },
  });
  const decoded = (await core.decodePayerToken(text)).value;
  const [entry] = decoded.token.signatures;
  const sig = core.unwrap(core.decodePrefixed('sig', entry.sig));
  sig[0] ^= 1;
  const forged = {
    ...decoded,
    token: { ...decoded.token, signatures: [{ ...entry, sig: core.encodePrefixed('sig', sig) }] },
  };
  const forgedResult = await core.verifyPayerToken(forged, options);
  return {
    wrong_reference: wrongReference.ok ? 'accepted' : wrongReference.error.code,
    forged_signature: forgedResult.ok ? 'accepted' : forgedResult.error.code,
  };
}

// ---------------------------------------------------------------------------------------------
// Making tokens (main thread): a real ledger, real payments, real receipts.

async function submitAll(ledger, documents, nodeAuthorized) {
  const results = await ledger.submit(documents, { nodeAuthorized });
  const bad = results.find((r) => r.status !== 'accepted');
  if (bad) throw new Error(`document rejected: ${JSON.stringify(bad)}`);
  return results;
}

/**
 * Opens a ledger that seals a block after every batch (block_transactions_max 1), seeds it (an
 * issuer, a currency, the shop, 2×N self-custody payers with trust lines and funds) and makes the
 * payments: the shared set in SHARED_BLOCKS submissions (one batch, so one block, each), the
 * fresh set one submission at a time (one block each). Returns the tokens and their sizes.
 */
async function makeTokens(count) {
  const { generateKeyPair, encodePrefixed, createPayerToken } = await import('@webwallet/core');
  const { Ledger, SqliteStorage, transaction } = await import('@webwallet/ledger');
  const dir = mkdtempSync(join(tmpdir(), 'ww-bench-tokens-'));
  removeOnInterrupt = dir;
  try {
    const nodeKeyPair = await generateKeyPair();
    const nodeKey = { keyPair: nodeKeyPair, publicKey: encodePrefixed('pub', nodeKeyPair.publicKey) };
    const ledger = await Ledger.open({
      storage: new SqliteStorage({ path: join(dir, 'ledger.db') }),
      nodeKey,
      block_transactions_max: 1,
      block_interval_ms: 50,
    });
    try {
      const t0 = performance.now();
      await submitAll(ledger, [await transaction('ledger.account.create', { account: ISSUER })], true);
      await submitAll(
        ledger,
        [
          await transaction('ledger.currency.issue', { issuer: ISSUER, currency: CURRENCY, scale: 2 }),
          await transaction('ledger.account.create', { account: SHOP }),
        ],
        true,
      );
      await submitAll(
        ledger,
        [await transaction('ledger.trust.set', { holder: SHOP, currency: CURRENCY, limit: TRUST_LIMIT })],
        true,
      );
      const payers = [];
      for (let i = 0; i < 2 * count; i++) {
        const keyPair = await generateKeyPair();
        payers.push({ keyPair, id: encodePrefixed('pub', keyPair.publicKey) });
      }
      const each = async (make) => Promise.all(payers.map(make));
      await submitAll(
        ledger,
        await each((p) => transaction('ledger.account.create', { account: p.id }, [p.keyPair])),
        false,
      );
      await submitAll(
        ledger,
        await each((p) =>
          transaction('ledger.trust.set', { holder: p.id, currency: CURRENCY, limit: TRUST_LIMIT }, [p.keyPair]),
        ),
        false,
      );
      await submitAll(
        ledger,
        await each((p) =>
          transaction('ledger.transfer', { legs: [{ from: ISSUER, to: p.id, currency: CURRENCY, amount: FUNDING }] }),
        ),
        true,
      );
      log(
        `  ledger seeded: ${fmt(2 * count)} self-custody payers in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );

      const pay = (p, reference) =>
        transaction(
          'ledger.transfer',
          { legs: [{ from: p.id, to: SHOP, currency: CURRENCY, amount: PRICE }], memo: reference },
          [p.keyPair],
        );
      const sharedPayers = payers.slice(0, count).map((p, i) => ({ ...p, reference: `order-s${i}` }));
      const freshPayers = payers.slice(count).map((p, i) => ({ ...p, reference: `order-f${i}` }));
      const t1 = performance.now();
      const per = Math.ceil(count / SHARED_BLOCKS);
      for (let i = 0; i < count; i += per) {
        const group = sharedPayers.slice(i, i + per);
        const docs = await Promise.all(group.map((p) => pay(p, p.reference)));
        const results = await submitAll(ledger, docs, false);
        for (const [k, r] of results.entries()) group[k].transaction = r.id;
      }
      for (const p of freshPayers) {
        const [r] = await submitAll(ledger, [await pay(p, p.reference)], false);
        p.transaction = r.id;
      }
      log(`  ${fmt(2 * count)} payments made in ${((performance.now() - t1) / 1000).toFixed(1)} s`);

      const t2 = performance.now();
      const shared = await tokensFor(ledger, sharedPayers, createPayerToken);
      const fresh = await tokensFor(ledger, freshPayers, createPayerToken);
      log(`  ${fmt(2 * count)} receipts read and tokens made in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
      return { node: nodeKey.publicKey, shared, fresh };
    } finally {
      await ledger.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    removeOnInterrupt = undefined;
  }
}

/** Each payer's receipt (waiting for its block if need be) and a full-form token for the shop. */
async function tokensFor(ledger, payers, createPayerToken) {
  const texts = [];
  const receipts = [];
  for (const p of payers) {
    const receipt = await sealedReceipt(ledger, p.transaction);
    receipts.push(receipt);
    const token = await createPayerToken({ keyPair: p.keyPair, receipt, audience: AUDIENCE });
    if (!token.ok) throw new Error(`createPayerToken: ${token.error.code}`);
    texts.push(token.value);
  }
  const lengths = texts.map((t) => t.length);
  const heights = new Set(receipts.map((r) => r.block.body.height));
  const treeSizes = receipts.map((r) => r.block.body.tree_size);
  const proofSteps = receipts.map((r) => r.proof.length);
  return {
    texts,
    references: payers.map((p) => p.reference),
    summary: {
      tokens: texts.length,
      blocks: heights.size,
      tree_size: spread(treeSizes),
      proof_steps: spread(proofSteps),
      length: spread(lengths),
    },
  };
}

async function sealedReceipt(ledger, id) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const receipt = (await ledger.transaction(id))?.receipt;
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`transaction ${id} was not sealed within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---------------------------------------------------------------------------------------------
// Orchestration (main thread)

function parseOptions(argv) {
  const options = { quick: false, json: false, help: false, openssl: true, overrides: {} };
  const args = [...argv];
  const number = (flag, integer) => {
    const n = Number(args.shift());
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new Error(`${flag} needs a positive ${integer ? 'integer' : 'number'}`);
    }
    return n;
  };
  while (args.length > 0) {
    const arg = args.shift();
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (inline !== undefined) args.unshift(inline);
    if (flag === '--quick') options.quick = true;
    else if (flag === '--json') options.json = true;
    else if (flag === '--help' || flag === '-h') options.help = true;
    else if (flag === '--no-openssl') options.openssl = false;
    else if (flag === '--tokens') options.overrides.tokens = number(flag, true);
    else if (flag === '--seconds') options.overrides.seconds = number(flag, false);
    else if (flag === '--runs') options.overrides.runs = number(flag, true);
    else throw new Error(`unknown flag ${arg}\n\n${USAGE}`);
  }
  options.profile = { ...PROFILES[options.quick ? 'quick' : 'full'], ...options.overrides };
  if (options.profile.tokens < 40) throw new Error('--tokens needs at least 40');
  return options;
}

function runWorker(data) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: data });
    let result;
    w.once('message', (message) => {
      result = message;
    });
    w.once('error', reject);
    w.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`measuring worker exited with code ${code} and no result`)),
    );
  });
}

/** `openssl speed ed25519`: OpenSSL's own single-threaded figure, outside Node. */
function opensslSpeed(seconds) {
  const run = spawnSync('openssl', ['speed', '-seconds', String(seconds), 'ed25519'], {
    encoding: 'utf8',
    timeout: (seconds * 2 + 30) * 1000,
  });
  const line = run.stdout?.split('\n').find((l) => l.includes('(Ed25519)'));
  const numbers = line?.trim().split(/\s+/).map(Number).filter(Number.isFinite);
  if (run.status !== 0 || !numbers || numbers.length < 2) return null;
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout?.trim() ?? null;
  return { verify_per_s: Math.round(numbers.at(-1)), sign_per_s: Math.round(numbers.at(-2)), version };
}

/** Linux's machine-wide CPU time counters (/proc/stat), or undefined elsewhere. */
/**
 * The share of CPU time the hypervisor gave to other guests (steal) between two readings: on a
 * virtual machine it lowers every rate, and neither the load average nor cpu_share shows it.
 */
function stealShare(before, after) {
  if (!before || !after || after.total === before.total) return null;
  return round((after.steal - before.steal) / (after.total - before.total), 3);
}

function machineInfo() {
  const list = cpus();
  return {
    cpu_model: list[0]?.model ?? 'unknown',
    cores: list.length,
    node_version: process.version,
    memory_gb: round(totalmem() / 2 ** 30, 1),
    load_average: { start: round(loadavg()[0], 2), end: null },
  };
}

function summarize(output, runs, audit, options) {
  const med = (key) => Math.round(median(runs.map((r) => r.rates[key])));
  // Ratios are taken within each run (from measurements made in alternation), then the median.
  const medRatio = (key, baseline) => round(median(runs.map((r) => r.rates[key] / r.rates[baseline])), 3);
  const cases = {
    shared_blocks: { rate: 'shared', raw: 'raw_verify', counted: audit.shared },
    shared_blocks_new_payers: {
      rate: 'shared_new_payers',
      raw: 'raw_verify_during_new_payers',
      counted: audit.shared_new_payers,
    },
    fresh_blocks: { rate: 'fresh', raw: 'raw_verify_during_fresh', counted: audit.fresh },
  };
  const perCase = (f) => Object.fromEntries(Object.entries(cases).map(([k, c]) => [k, f(c, k)]));
  const checks = perCase((c) => c.counted.signature_checks);
  const rate = perCase((c) => med(c.rate));
  Object.assign(output, {
    raw_ed25519_verify_per_s: med('raw_verify'),
    raw_ed25519_verify_sync_per_s: med('raw_verify_sync'),
    token_verify_per_s_shared_blocks: rate.shared_blocks,
    token_verify_per_s_shared_blocks_new_payers: rate.shared_blocks_new_payers,
    token_verify_per_s_fresh_blocks: rate.fresh_blocks,
    token_verify_decoded_per_s_shared_blocks: med('shared_decoded'),
    receipt_inclusion_per_s: med('receipt_inclusion'),
    decode_per_s: med('decode'),
    ratio_to_raw: perCase((c) => medRatio(c.rate, c.raw)),
    // The share of a token's time spent in its signature checks: 1 would mean no other cost.
    ratio_to_signature_bound: perCase((c, k) => round(medRatio(c.rate, c.raw) * checks[k], 3)),
    signature_checks_per_token: checks,
    key_imports_per_token: perCase((c) => c.counted.key_imports),
    us_per_token: breakdown(runs, checks),
    target_per_s: TARGET_PER_S,
    met: rate.shared_blocks >= TARGET_PER_S,
    met_fresh_blocks: rate.fresh_blocks >= TARGET_PER_S,
    rejections: audit.rejections,
    // Per repetition: every rate, the share of a core the process got per phase, and steal.
    runs: runs.map((r) => ({
      per_s: Object.fromEntries(Object.entries(r.rates).map(([k, v]) => [k, Math.round(v)])),
      cpu_share: r.cpu_share,
      steal_share: r.steal_share,
    })),
  });
  const starved = runs.flatMap((r) =>
    Object.entries(r.cpu_share)
      .filter(([, v]) => v < 0.9)
      .map(([k]) => k),
  );
  if (starved.length > 0) {
    output.notes.push(
      `other work took the core away in ${starved.length} phase(s) (cpu_share < 0.9: ${[...new Set(starved)].join(', ')}): rates there are low, ratios less affected`,
    );
  }
  const stolen = runs.map((r) => r.steal_share).filter((v) => v !== null && v > 0.05);
  if (stolen.length > 0) {
    output.notes.push(`the hypervisor took ${Math.round(Math.max(...stolen) * 100)}% of CPU time (steal) in some runs`);
  }
  output.notes.push(
    'met refers to the shared-blocks case (tokens of recent sales, blocks cached); fresh blocks cost one more signature check per token',
    `each figure is the median of ${options.profile.runs} repetitions, each in a fresh worker thread on one core`,
  );
}

/**
 * Microseconds per token, per run from measurements made in alternation, then the median of each
 * part: the signature checks (at the raw rate); decoding as it costs in place (token text minus
 * already-decoded tokens: with its allocation and garbage collection; decode_alone is
 * decodePayerToken in slices of its own); the receipt's inclusion check with its block cached
 * (parsing and hashing the payment document, the block's cache key, the Merkle proof); and the
 * rest (claims and time checks, hashing the claims, the signing payload, matching the payment;
 * for fresh blocks also parsing and hashing each block and importing the payer's key).
 */
function breakdown(runs, checks) {
  const us = (perS) => 1e6 / perS;
  const parts = (r) => {
    const x = r.rates;
    const decode = us(x.shared) - us(x.shared_decoded);
    const inclusion = us(x.receipt_inclusion);
    const split = (rate, raw, signatureChecks) => {
      const total = us(rate);
      const signatures = signatureChecks * us(raw);
      return {
        total,
        signature_checks: signatures,
        decode,
        receipt_inclusion: inclusion,
        rest: total - signatures - decode - inclusion,
      };
    };
    return {
      raw_verify: us(x.raw_verify),
      decode_alone: us(x.decode),
      shared_blocks: split(x.shared, x.raw_verify, checks.shared_blocks),
      shared_blocks_new_payers: split(
        x.shared_new_payers,
        x.raw_verify_during_new_payers,
        checks.shared_blocks_new_payers,
      ),
      fresh_blocks: split(x.fresh, x.raw_verify_during_fresh, checks.fresh_blocks),
    };
  };
  const all = runs.map(parts);
  const medianOf = (get) => round(median(all.map(get)));
  const splitMedian = (name) =>
    Object.fromEntries(Object.keys(all[0][name]).map((part) => [part, medianOf((p) => p[name][part])]));
  return {
    raw_verify: medianOf((p) => p.raw_verify),
    decode_alone: medianOf((p) => p.decode_alone),
    shared_blocks: splitMedian('shared_blocks'),
    shared_blocks_new_payers: splitMedian('shared_blocks_new_payers'),
    fresh_blocks: splitMedian('fresh_blocks'),
  };
}

function printSummary(o) {
  const row = (label, value, extra = '') => `${label.padEnd(40)}${fmt(value).padStart(8)}/s${extra}`;
  const ratio = (k) =>
    `  ${o.ratio_to_raw[k]} of raw, ${o.signature_checks_per_token[k]} signature checks/token, ${o.us_per_token[k].total} µs`;
  const lines = [
    `payer-token benchmark ${o.date} (${o.quick ? 'quick' : 'full'}), ${o.settings.tokens} tokens per set`,
    `machine: ${o.machine.cores} cores, ${o.machine.cpu_model}, node ${o.machine.node_version}, load ${o.machine.load_average.start} → ${o.machine.load_average.end}`,
    '',
    row('raw Ed25519 verify (core verify)', o.raw_ed25519_verify_per_s, `  ${o.us_per_token.raw_verify} µs`),
    row('raw Ed25519 verifySync', o.raw_ed25519_verify_sync_per_s),
    row('openssl speed ed25519 verify', o.openssl_speed_ed25519_verify_per_s),
    row('token verify, shared blocks', o.token_verify_per_s_shared_blocks, ratio('shared_blocks')),
    row(
      'token verify, shared blocks, new payers',
      o.token_verify_per_s_shared_blocks_new_payers,
      ratio('shared_blocks_new_payers'),
    ),
    row('token verify, fresh blocks', o.token_verify_per_s_fresh_blocks, ratio('fresh_blocks')),
    row('token verify, already decoded', o.token_verify_decoded_per_s_shared_blocks),
    row('receipt inclusion (block cached)', o.receipt_inclusion_per_s),
    row('decode only', o.decode_per_s),
    `token length (characters) min / median / max: ${o.token_length.min} / ${o.token_length.median} / ${o.token_length.max}`,
    `µs per token, shared blocks: ${JSON.stringify(o.us_per_token.shared_blocks)}`,
    `µs per token, fresh blocks:  ${JSON.stringify(o.us_per_token.fresh_blocks)}`,
    `target ${fmt(o.target_per_s)}/s per core (shared blocks): ${o.met ? 'MET' : 'MISSED'}`,
    ...o.notes.map((n) => `note: ${n}`),
  ];
  process.stderr.write(`\n${lines.join('\n')}\n`);
}

async function main() {
  const started = performance.now();
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
  const output = {
    date: new Date().toISOString(),
    quick: options.quick,
    machine: machineInfo(),
    settings: {
      tokens: P.tokens,
      seconds: P.seconds,
      warmup_seconds: P.warmup_seconds,
      runs: P.runs,
      shared_blocks: SHARED_BLOCKS,
      audience: AUDIENCE,
      raw_message_bytes: RAW_MESSAGE_BYTES,
    },
    cases: {
      shared_blocks: `tokens of ${P.tokens} payments sealed in ${SHARED_BLOCKS} blocks, cycled: the blocks' signatures and the payers' keys are cached (1 signature check: the token's)`,
      shared_blocks_new_payers:
        'the same set, each token once, after warming up on its first tenth: blocks cached, every payer key new (a door where each customer shows up once)',
      fresh_blocks: `tokens of ${P.tokens} payments sealed one per block, each verified once in a thread that never saw the block (2 signature checks: the token's and the block's)`,
      decoded: 'verifyPayerToken on tokens decoded beforehand (shared blocks): the cost without decoding',
      receipt_inclusion: 'verifyReceiptInclusion alone on the embedded receipts, blocks cached',
      decode: 'decodePayerToken alone: base64url, inflate, JSON.parse, shape checks',
      raw: `core's verify / verifySync on ${RAW_MESSAGE_BYTES}-byte messages from ${RAW_KEYS} cached keys`,
      timing: `the steady-state cases (raw, decode, receipt inclusion, decoded, shared blocks) run in alternation, ${SLICE_MS} ms each in turn, for ${P.seconds} s each after a warm-up; each single pass alternates with raw verification, whose rate meanwhile is its ratio's baseline`,
    },
    notes: [],
  };
  log(`payer-token benchmark (${options.quick ? 'quick' : 'full'}): ${P.tokens} tokens per set, ${P.runs} runs`);

  if (options.openssl) {
    log(`openssl speed ed25519 (${P.openssl_seconds} s per operation)`);
    const o = opensslSpeed(P.openssl_seconds);
    output.openssl_speed_ed25519_verify_per_s = o?.verify_per_s ?? null;
    output.openssl_speed = o;
    if (!o) output.notes.push('openssl speed ed25519 did not run (no openssl binary?)');
    else log(`  ${fmt(o.verify_per_s)} verify/s, ${fmt(o.sign_per_s)} sign/s (${o.version})`);
  } else output.openssl_speed_ed25519_verify_per_s = null;

  log('making tokens from a real ledger');
  const { node, shared, fresh } = await makeTokens(P.tokens);
  const lengths = [...shared.texts, ...fresh.texts].map((t) => t.length);
  output.token_length = spread(lengths);
  // Proof length (and so token length) grows with log2 of the ledger's size at sealing time.
  output.tree_size = {
    min: Math.min(shared.summary.tree_size.min, fresh.summary.tree_size.min),
    max: Math.max(shared.summary.tree_size.max, fresh.summary.tree_size.max),
  };
  output.tokens = { shared_blocks: shared.summary, fresh_blocks: fresh.summary };
  const data = { node, shared, fresh, profile: P };

  log('audit run: counting signature checks and key imports per token');
  const { audit } = await runWorker({ ...data, mode: 'audit', first: false });
  log(
    `  signature checks per token: shared ${audit.shared.signature_checks}, new payers ${audit.shared_new_payers.signature_checks}, fresh ${audit.fresh.signature_checks}; rejections ${JSON.stringify(audit.rejections)}`,
  );
  if (audit.rejections.wrong_reference !== 'payment_reference_mismatch') throw new Error('wrong reference accepted');
  if (audit.rejections.forged_signature !== 'token_signature_invalid') throw new Error('forged signature accepted');

  const runs = [];
  for (let r = 0; r < P.runs; r++) {
    log(`run ${r + 1}/${P.runs} (fresh worker thread)`);
    const before = cpuTicks();
    const result = await runWorker({ ...data, mode: 'measure', first: r === 0 });
    result.steal_share = stealShare(before, cpuTicks());
    runs.push(result);
    const x = result.rates;
    log(
      `  raw ${fmt(x.raw_verify)}/s, sync ${fmt(x.raw_verify_sync)}/s; tokens: shared ${fmt(x.shared)}/s, new payers ${fmt(x.shared_new_payers)}/s (raw meanwhile ${fmt(x.raw_verify_during_new_payers)}/s), fresh ${fmt(x.fresh)}/s (raw meanwhile ${fmt(x.raw_verify_during_fresh)}/s), decoded ${fmt(x.shared_decoded)}/s; decode ${fmt(x.decode)}/s, receipt inclusion ${fmt(x.receipt_inclusion)}/s; cpu share ${JSON.stringify(result.cpu_share)}, steal ${result.steal_share ?? 'n/a'}`,
    );
  }
  summarize(output, runs, audit, options);
  output.machine.load_average.end = round(loadavg()[0], 2);
  output.total_seconds = round((performance.now() - started) / 1000, 1);
  log(`done in ${output.total_seconds} s`);
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  if (!options.json) printSummary(output);
}

if (isMainThread) {
  process.once('SIGINT', () => {
    if (removeOnInterrupt) rmSync(removeOnInterrupt, { recursive: true, force: true });
    process.exit(130);
  });
  main().catch((error) => {
    log(`benchmark failed: ${error.stack ?? error}`);
    process.exit(1);
  });
} else {
  worker().catch((error) => {
    // The main thread sees the worker exit without a result and reports this.
    process.stderr.write(`measuring worker failed: ${error.stack ?? error}\n`);
    process.exit(1);
  });
}
