// Command-line flags and the two run profiles (quick, full).

export const USAGE = `Usage: node bench/ledger.mjs [--quick] [--json] [--engines sqlite,postgres]

  --quick                 whole run under a minute (smaller counts, shorter timers)
  --json                  print one JSON object on stdout; progress goes to stderr
  --engines LIST          storage engines, default sqlite,postgres; PostgreSQL uses
                          WEBWALLET_BENCH_DATABASE_URL or WEBWALLET_TEST_DATABASE_URL
                          and is skipped (with a note) when neither is set
Narrowing a run (for profiling one case):
  --paths LIST            in-process,http
  --auth LIST             node,ed25519
  --distributions LIST    uniform,hot
  --no-ceiling            skip (c), the raw Ed25519 verification rate
  --no-baseline           skip (d), the naive one-transaction-per-transfer baseline
Tuning:
  --transfers N           measured transfers per node-authorized case
  --signed-transfers N    measured transfers per Ed25519 case
  --batch N               documents per submit call / HTTP request (max 1000 over HTTP)
  --concurrency N         submit calls / HTTP requests in flight
  --accounts N            holder accounts of each kind (default 10000; quick: 5000 self-custody)
`;

/** Counts and timers per profile. Every case also stops at case_seconds_max, whatever its count. */
export const PROFILES = {
  quick: {
    accounts: 10_000,
    // Seeding a self-custody holder costs two signature checks; fewer of them keeps --quick under
    // a minute (still more than core's 4,096-entry public-key cache holds).
    self_custody_accounts: 5_000,
    hot_accounts: 10,
    hot_share: 0.5,
    node_transfers: 10_000,
    node_warmup: 2_000,
    signed_transfers: 3_000,
    signed_warmup: 1_000,
    case_seconds_max: 3,
    batch: 1_000,
    concurrency: 8,
    ceiling_seconds: 1,
    baseline_seconds: 1,
    baseline_clients: 20,
  },
  full: {
    accounts: 10_000,
    self_custody_accounts: 10_000,
    hot_accounts: 10,
    hot_share: 0.5,
    node_transfers: 200_000,
    node_warmup: 10_000,
    signed_transfers: 40_000,
    signed_warmup: 4_000,
    case_seconds_max: 10,
    batch: 1_000,
    concurrency: 8,
    ceiling_seconds: 3,
    baseline_seconds: 6,
    baseline_clients: 20,
  },
};

function list(value, allowed, flag) {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item)) throw new Error(`${flag}: unknown value "${item}" (allowed: ${allowed.join(', ')})`);
  }
  return items;
}

function positive(value, flag) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got "${value}"`);
  return n;
}

export function parseOptions(argv) {
  const options = {
    quick: false,
    json: false,
    engines: ['sqlite', 'postgres'],
    paths: ['in-process', 'http'],
    auth: ['node', 'ed25519'],
    distributions: ['uniform', 'hot'],
    ceiling: true,
    baseline: true,
    overrides: {},
  };
  const args = [...argv];
  const value = (flag) => {
    const v = args.shift();
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  while (args.length > 0) {
    const arg = args.shift();
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (inline !== undefined) args.unshift(inline);
    switch (flag) {
      case '--quick':
        options.quick = true;
        break;
      case '--json':
        options.json = true;
        break;
      case '--engines':
        options.engines = list(value(flag), ['sqlite', 'postgres'], flag);
        break;
      case '--paths':
        options.paths = list(value(flag), ['in-process', 'http'], flag);
        break;
      case '--auth':
        options.auth = list(value(flag), ['node', 'ed25519'], flag);
        break;
      case '--distributions':
        options.distributions = list(value(flag), ['uniform', 'hot'], flag);
        break;
      case '--no-ceiling':
        options.ceiling = false;
        break;
      case '--no-baseline':
        options.baseline = false;
        break;
      case '--transfers':
        options.overrides.node_transfers = positive(value(flag), flag);
        break;
      case '--signed-transfers':
        options.overrides.signed_transfers = positive(value(flag), flag);
        break;
      case '--batch':
        options.overrides.batch = positive(value(flag), flag);
        break;
      case '--concurrency':
        options.overrides.concurrency = positive(value(flag), flag);
        break;
      case '--accounts':
        options.overrides.accounts = Math.max(20, positive(value(flag), flag));
        options.overrides.self_custody_accounts = options.overrides.accounts;
        break;
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new Error(`unknown flag ${flag}\n\n${USAGE}`);
    }
  }
  options.profile = { ...PROFILES[options.quick ? 'quick' : 'full'], ...options.overrides };
  return options;
}
