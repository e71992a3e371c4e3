#!/usr/bin/env node
// The ledger benchmark: transfers per second and acknowledgement latency, node-authorized and
// Ed25519-signed, in-process (Ledger.submit) and over HTTP (a real node), on SQLite and
// PostgreSQL, uniform and hot-account workloads; with this machine's Ed25519 verification
// ceiling and a naive one-transaction-per-transfer baseline on the same databases.
//
//   npm run bench:ledger -- [--quick] [--json] [--engines sqlite,postgres]   (--help for more)
//
// Needs the packages built (npx tsc -b). Progress goes to stderr. With --json, stdout carries one
// JSON object: { date, machine, quick, settings, results: [{engine, path, auth, distribution,
// transfers, seconds, tps, p50_ms, p99_ms, …}], ed25519_verify_per_s, ed25519_verify, baseline:
// [{engine, distribution, clients, tps, …}], ratios, targets, diagnostics, notes, total_seconds }.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '@webwallet/ledger';
import { postgresBaseline, sqliteBaseline } from './lib/baseline.mjs';
import { drive, tally } from './lib/drive.mjs';
import { postgresUrl, prepareEngine } from './lib/engines.mjs';
import { httpClient, startNodeProcess } from './lib/http.mjs';
import { parseOptions, USAGE } from './lib/options.mjs';
import { Signer } from './lib/signer.mjs';
import { instrumentStorage } from './lib/storage-timing.mjs';
import { fmt, log, round } from './lib/util.mjs';
import { verifyCeiling } from './lib/verify-ceiling.mjs';
import { seed, transferDocuments } from './lib/workload.mjs';

/** Most documents one POST /v1/transactions may carry. */
const HTTP_BATCH_MAX = 1_000;

const options = (() => {
  try {
    return parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
})();
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const P = options.profile;

// Anything started here is stopped and removed on Ctrl-C or a failure, newest first.
const cleanups = [];
async function runCleanups() {
  while (cleanups.length > 0)
    await cleanups
      .pop()()
      .catch((error) => log(`cleanup failed: ${error.message}`));
}
process.once('SIGINT', () => {
  log('\ninterrupted: cleaning up');
  runCleanups().finally(() => process.exit(130));
});

const machine = {
  cpus: availableParallelism(),
  model: cpus()[0]?.model ?? 'unknown',
  memory_gb: round(totalmem() / 2 ** 30, 1),
  node: process.version,
  // Other work on the machine skews every number: the 1-minute load average before and after.
  load_average: { start: round(loadavg()[0], 2), end: null },
};
const output = {
  date: new Date().toISOString(),
  machine,
  quick: options.quick,
  settings: {
    accounts: P.accounts,
    self_custody_accounts: P.self_custody_accounts,
    hot: `${P.hot_share * 100}% of transfers touch one of ${P.hot_accounts} hot accounts`,
    node_transfers: P.node_transfers,
    node_warmup: P.node_warmup,
    signed_transfers: P.signed_transfers,
    signed_warmup: P.signed_warmup,
    case_seconds_max: P.case_seconds_max,
    batch: P.batch,
    concurrency: P.concurrency,
  },
  results: [],
  ed25519_verify_per_s: null,
  ed25519_verify: null,
  baseline: [],
  ratios: {},
  targets: {},
  // In-process cases: the sequencer's storage calls per group-commit batch (see storage-timing.mjs).
  diagnostics: [],
  notes: [],
};

/** A stable per-case seed for the workload, the same on every engine. */
const caseSeed = (text) => [...text].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);

/**
 * One measured case: build (and for ed25519, pre-sign) warm-up plus measured documents, warm up,
 * then drive the measured batches. `prepare(batch)` turns documents into what `submit` takes.
 */
async function runCase({ engine, path, auth, distribution, signer, prepare, submit, storageTiming }) {
  const count = auth === 'node' ? P.node_transfers : P.signed_transfers;
  const warmup = auth === 'node' ? P.node_warmup : P.signed_warmup;
  const batch = path === 'http' ? Math.min(P.batch, HTTP_BATCH_MAX) : P.batch;
  const tag = `${path === 'http' ? 'h' : 'i'}${auth === 'node' ? 'n' : 's'}${distribution[0]}`;
  const label = `${engine} ${path} ${auth} ${distribution}`;
  const t0 = performance.now();
  const documents = await transferDocuments({
    auth,
    distribution,
    count: warmup + count,
    tag,
    seed: caseSeed(`${path}/${auth}/${distribution}`),
    profile: P,
    signer,
  });
  const batches = [];
  for (let i = 0; i < documents.length; i += batch) batches.push(prepare(documents.slice(i, i + batch)));
  const warmBatches = Math.ceil(warmup / batch);
  log(
    `  ${label}: ${fmt(documents.length)} documents ${auth === 'ed25519' ? 'signed' : 'built'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const warm = await drive(batches.slice(0, warmBatches), { concurrency: P.concurrency }, submit);
  const profiler = path === 'in-process' ? await startProfile() : undefined;
  storageTiming?.reset();
  const measured = await drive(
    batches.slice(warmBatches),
    { concurrency: P.concurrency, seconds_max: P.case_seconds_max },
    submit,
  );
  if (storageTiming) {
    const d = storageTiming.report();
    output.diagnostics.push({ engine, path, auth, distribution, ...d });
    log(
      `  ${label}: ${d.batches} group commits of ~${d.transactions_per_batch} transfers, commit ${d.commit_ms_avg} ms avg (${Math.round(d.commit_share * 100)}% of wall time), id lookup ${d.id_lookup_ms_avg} ms avg`,
    );
  }
  await profiler?.stop(`${engine}-${path}-${auth}-${distribution}`);
  const rejected = warm.rejected + measured.rejected;
  if (rejected > 0) {
    const first = warm.first_rejection ?? measured.first_rejection;
    log(`  WARNING ${label}: ${rejected} rejected, first: ${JSON.stringify(first)}`);
    output.notes.push(`${label}: ${rejected} documents rejected (first: ${first?.code ?? 'unknown'})`);
  }
  const result = {
    engine,
    path,
    auth,
    distribution,
    transfers: measured.transfers,
    seconds: measured.seconds,
    tps: measured.tps,
    p50_ms: measured.p50_ms,
    p99_ms: measured.p99_ms,
    max_ms: measured.max_ms,
    batch,
    concurrency: P.concurrency,
    ...(rejected > 0 ? { rejected } : {}),
  };
  log(
    `  ${label}: ${fmt(result.tps)} transfers/s (${fmt(result.transfers)} in ${result.seconds} s), p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms per ${batch}-document ${path === 'http' ? 'request' : 'submit'}`,
  );
  output.results.push(result);
  return result;
}

/**
 * WEBWALLET_BENCH_CPU_PROF=dir: a V8 CPU profile of this thread (the in-process ledger's
 * sequencer, not its verifier threads) during each measured in-process case, as dir/case.cpuprofile.
 * For the node over HTTP use WEBWALLET_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=dir".
 */
async function startProfile() {
  const dir = process.env.WEBWALLET_BENCH_CPU_PROF;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop(name) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      log(`  CPU profile: ${join(dir, `${name}.cpuprofile`)}`);
    },
  };
}

function casesToRun() {
  const cases = [];
  for (const auth of options.auth) for (const distribution of options.distributions) cases.push({ auth, distribution });
  return cases;
}

async function benchEngine(engine, signer) {
  log(`\n== ${engine} ==`);
  const env = await prepareEngine(engine);
  cleanups.push(() => env.cleanup());
  const needSelfCustody = options.auth.includes('ed25519');

  // Seed (always in-process), then the in-process cases on the same ledger.
  const storage = await env.openStorage();
  const storageTiming = instrumentStorage(storage);
  let ledger = await Ledger.open({ storage, nodeKey: env.nodeKey });
  const closeLedger = async () => {
    if (ledger) await ledger.close();
    ledger = undefined;
  };
  cleanups.push(closeLedger);
  log(
    `  seeding ${fmt(P.accounts)} custodial${needSelfCustody ? ` and ${fmt(P.self_custody_accounts)} self-custody` : ''} holders`,
  );
  await seed((documents, nodeAuthorized) => ledger.submit(documents, { nodeAuthorized }), {
    profile: P,
    signer: needSelfCustody ? signer : undefined,
  });
  if (options.paths.includes('in-process')) {
    for (const { auth, distribution } of casesToRun()) {
      const nodeAuthorized = auth === 'node';
      await runCase({
        engine,
        path: 'in-process',
        auth,
        distribution,
        signer,
        prepare: (documents) => documents,
        submit: async (documents) => tally(await ledger.submit(documents, { nodeAuthorized })),
        storageTiming,
      });
    }
  }
  await closeLedger();
  cleanups.pop();

  if (options.paths.includes('http')) {
    log('  starting a node (child process)');
    const node = await startNodeProcess(env.nodeConfig);
    cleanups.push(() => node.stop());
    // The node must see the seeded ledger (same file / schema); stop before writing elsewhere.
    const issuer = await fetch(new URL('/v1/accounts/acc_issuer', node.url));
    if (issuer.status !== 200) throw new Error(`the node does not see the seeded ledger (HTTP ${issuer.status})`);
    for (const { auth, distribution } of casesToRun()) {
      const client = httpClient(node.url, {
        sockets: P.concurrency,
        token: auth === 'node' ? node.adminToken : undefined,
      });
      try {
        await runCase({
          engine,
          path: 'http',
          auth,
          distribution,
          signer,
          // Bodies are serialized before timing: the client's JSON work is not the node's.
          prepare: (documents) => Buffer.from(JSON.stringify({ documents })),
          submit: async (body) => tally(await client.post(body)),
        });
      } finally {
        client.close();
      }
    }
    await node.stop();
    cleanups.pop();
  }

  if (options.baseline) {
    for (const distribution of options.distributions) {
      const args = {
        profile: P,
        distribution,
        seconds: P.baseline_seconds,
        clients: P.baseline_clients,
      };
      log(`  naive baseline (d), ${distribution}: ${args.clients} clients, ${args.seconds} s`);
      const d =
        engine === 'postgres'
          ? await postgresBaseline({ ...args, url: postgresUrl() })
          : await sqliteBaseline({ ...args, dir: env.dir });
      log(
        `  naive baseline ${engine} ${distribution}: ${fmt(d.tps)} transfers/s, p50 ${d.p50_ms} ms, p99 ${d.p99_ms} ms`,
      );
      output.baseline.push(d);
    }
  }
  await env.cleanup();
  cleanups.pop();
}

const find = (q) =>
  output.results.find(
    (r) => r.engine === q.engine && r.path === q.path && r.auth === q.auth && r.distribution === q.distribution,
  );
const ratio = (a, b) => (a && b ? round(a / b, 3) : null);
const minOf = (values) => {
  const present = values.filter((v) => v !== null && v !== undefined);
  return present.length > 0 ? Math.min(...present) : null;
};
const atLeast = (value, bound) => (value === null ? null : value >= bound);

function computeRatios(engines) {
  const c = output.ed25519_verify_per_s;
  const ratios = { 'b/c': {}, 'a/d': {}, 'http/in-process': {} };
  for (const r of output.results) {
    const key = `${r.engine}/${r.path}/${r.distribution}`;
    if (r.auth === 'ed25519') ratios['b/c'][key] = ratio(r.tps, c);
    if (r.path === 'http') {
      const local = find({ ...r, path: 'in-process' });
      ratios['http/in-process'][`${r.engine}/${r.auth}/${r.distribution}`] = ratio(r.tps, local?.tps);
    }
  }
  for (const d of output.baseline) {
    const a = find({ engine: d.engine, path: 'in-process', auth: 'node', distribution: d.distribution });
    ratios['a/d'][`${d.engine}/${d.distribution}`] = ratio(a?.tps, d.tps);
  }
  output.ratios = ratios;

  // The issue's targets; null where this run did not measure the inputs. Where a target has a
  // value per distribution, the worse one counts.
  const dists = options.distributions;
  const tps = (engine, path, auth) =>
    minOf(dists.map((distribution) => find({ engine, path, auth, distribution })?.tps));
  const httpShare = (engine) =>
    minOf(dists.map((distribution) => ratios['http/in-process'][`${engine}/node/${distribution}`]));
  const bShare = (engine) => minOf(dists.map((distribution) => ratios['b/c'][`${engine}/in-process/${distribution}`]));
  const aOverD = (engine) => minOf(dists.map((distribution) => ratios['a/d'][`${engine}/${distribution}`]));
  const has = (engine) => engines.includes(engine);
  output.targets = {
    'a_inprocess_sqlite>=100000': has('sqlite') ? atLeast(tps('sqlite', 'in-process', 'node'), 100_000) : null,
    'a_inprocess_postgres>=30000': has('postgres') ? atLeast(tps('postgres', 'in-process', 'node'), 30_000) : null,
    'a_http_sqlite>=0.5*inprocess': has('sqlite') ? atLeast(httpShare('sqlite'), 0.5) : null,
    'a_http_postgres>=0.5*inprocess': has('postgres') ? atLeast(httpShare('postgres'), 0.5) : null,
    'b_inprocess_sqlite>=0.8*c': has('sqlite') ? atLeast(bShare('sqlite'), 0.8) : null,
    'b_inprocess_postgres>=0.8*c': has('postgres') ? atLeast(bShare('postgres'), 0.8) : null,
    'a_inprocess_postgres>=10*d_postgres': has('postgres') ? atLeast(aOverD('postgres'), 10) : null,
  };
}

function printSummary() {
  const lines = [];
  lines.push(`ledger benchmark ${output.date} (${options.quick ? 'quick' : 'full'})`);
  lines.push(`machine: ${machine.cpus} cpus, ${machine.model}, ${machine.memory_gb} GB, node ${machine.node}`);
  if (output.ed25519_verify) {
    const v = output.ed25519_verify;
    lines.push(`(c) Ed25519 verify: ${fmt(v.per_s)}/s on ${v.threads} threads (${fmt(v.per_s_one_core)}/s per core)`);
  }
  lines.push('');
  lines.push('engine    path        auth     distribution  transfers   seconds       tps    p50 ms    p99 ms');
  for (const r of output.results) {
    lines.push(
      `${r.engine.padEnd(10)}${r.path.padEnd(12)}${r.auth.padEnd(9)}${r.distribution.padEnd(14)}${fmt(r.transfers).padStart(9)}${String(r.seconds).padStart(10)}${fmt(r.tps).padStart(10)}${String(r.p50_ms).padStart(10)}${String(r.p99_ms).padStart(10)}`,
    );
  }
  for (const d of output.baseline) {
    lines.push(
      `(d) naive ${d.engine} ${d.distribution}, ${d.clients} clients: ${fmt(d.tps)} transfers/s, p50 ${d.p50_ms} ms, p99 ${d.p99_ms} ms`,
    );
  }
  for (const d of output.diagnostics) {
    lines.push(
      `${d.engine} in-process ${d.auth} ${d.distribution}: ${d.batches} group commits of ~${d.transactions_per_batch}, commit ${d.commit_ms_avg} ms avg (${Math.round(d.commit_share * 100)}% of wall time)`,
    );
  }
  lines.push('');
  lines.push(`ratios: ${JSON.stringify(output.ratios, null, 2)}`);
  lines.push('targets:');
  for (const [name, met] of Object.entries(output.targets))
    lines.push(`  ${met === null ? 'n/a ' : met ? 'MET ' : 'MISS'} ${name}`);
  for (const note of output.notes) lines.push(`note: ${note}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main() {
  const started = performance.now();
  const engines = [];
  for (const engine of options.engines) {
    if (engine === 'postgres' && !postgresUrl()) {
      const note = 'postgres skipped: set WEBWALLET_BENCH_DATABASE_URL or WEBWALLET_TEST_DATABASE_URL';
      log(note);
      output.notes.push(note);
      output.skipped = [...(output.skipped ?? []), { engine, reason: note }];
    } else engines.push(engine);
  }
  log(
    `ledger benchmark (${options.quick ? 'quick' : 'full'}): engines ${engines.join(', ') || 'none'}, ${machine.cpus} cpus`,
  );

  // (c) is measured at the start and again at the end, and the better run counts: other work on
  // the machine can only lower it, and a ceiling is what this hardware can do.
  const ceilings = [];
  const measureCeiling = async (when) => {
    log(`(c) raw Ed25519 verification on ${machine.cpus} threads, ${P.ceiling_seconds} s (${when})`);
    const c = await verifyCeiling(P.ceiling_seconds);
    ceilings.push({ when, ...c });
    log(
      `  ${fmt(c.per_s)} verifications/s (${fmt(c.per_s_parsing_key)}/s when each verify parses its DER public key first)`,
    );
  };
  if (options.ceiling) await measureCeiling('start');

  let signer;
  if (options.auth.includes('ed25519') && engines.length > 0) {
    const t0 = performance.now();
    signer = await Signer.create(P.self_custody_accounts);
    cleanups.push(() => signer.close());
    log(`${fmt(P.self_custody_accounts)} self-custody keys made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  for (const engine of engines) await benchEngine(engine, signer);
  await runCleanups();
  if (options.ceiling) {
    await measureCeiling('end');
    const best = ceilings.reduce((a, b) => (b.per_s > a.per_s ? b : a));
    output.ed25519_verify = { ...best, runs: ceilings.map((c) => ({ when: c.when, per_s: c.per_s })) };
    output.ed25519_verify_per_s = best.per_s;
  }

  computeRatios(engines);
  output.total_seconds = round((performance.now() - started) / 1000, 1);
  machine.load_average.end = round(loadavg()[0], 2);
  log(`\ndone in ${output.total_seconds} s`);
  if (options.json) process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  else printSummary();
}

main().catch(async (error) => {
  log(`benchmark failed: ${error.stack ?? error}`);
  await runCleanups();
  process.exit(1);
});
