// Command-line flags and the two run profiles (quick, full) of the processor benchmark.

export const USAGE = `Usage: node bench/processor.mjs [--quick] [--json]

  --quick                 whole run under 30 seconds (short timers, small counts)
  --json                  print one JSON object on stdout; progress goes to stderr
Tuning:
  --concurrency N         keep-alive clients in (1) and (2) (default 64)
  --seconds N             measured seconds per case of (1) (quick 2.5, full 15)
  --webhook-invoices N    invoices created in (2) (quick 1500, full 20000)
  --payments N            payments at 100/s in (3) (quick 200, full 3000)
  --no-fast-blocks        skip (3b), the extra node with block_interval_ms 100

Profiling: WEBWALLET_BENCH_CPU_PROF=dir writes a V8 CPU profile of the node's thread (the main
thread) for each measured case, as dir/<case>.cpuprofile.
`;

export const PROFILES = {
  quick: {
    concurrency: 64,
    warmup_seconds: 0.5,
    seconds: 2.5,
    webhook_invoices: 1_500,
    payments: 200,
    pay_rate_per_s: 100,
    fast_block_payments: 100,
    // Wait this long with no new webhook before calling a run incomplete.
    idle_ms: 3_000,
    wait_ms_max: 20_000,
  },
  full: {
    concurrency: 64,
    warmup_seconds: 2,
    seconds: 15,
    webhook_invoices: 20_000,
    payments: 3_000,
    pay_rate_per_s: 100,
    fast_block_payments: 1_500,
    idle_ms: 10_000,
    wait_ms_max: 120_000,
  },
};

function positive(value, flag) {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got "${value}"`);
  return n;
}

function positiveInteger(value, flag) {
  const n = positive(value, flag);
  if (!Number.isInteger(n)) throw new Error(`${flag} needs a positive integer, got "${value}"`);
  return n;
}

export function parseOptions(argv) {
  const options = { quick: false, json: false, help: false, fast_blocks: true, overrides: {} };
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
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--no-fast-blocks':
        options.fast_blocks = false;
        break;
      case '--concurrency':
        options.overrides.concurrency = positiveInteger(value(flag), flag);
        break;
      case '--seconds':
        options.overrides.seconds = positive(value(flag), flag);
        break;
      case '--webhook-invoices':
        options.overrides.webhook_invoices = positiveInteger(value(flag), flag);
        break;
      case '--payments':
        options.overrides.payments = positiveInteger(value(flag), flag);
        break;
      default:
        throw new Error(`unknown flag ${arg}\n\n${USAGE}`);
    }
  }
  options.profile = { ...PROFILES[options.quick ? 'quick' : 'full'], ...options.overrides };
  return options;
}
