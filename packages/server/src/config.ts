/** Settings of one node. The CLI fills them from flags and WEBWALLET_* variables. */
export interface NodeConfig {
  /** Interface to listen on. Loopback by default: exposing a node is a deliberate act. */
  readonly host: string;
  /** TCP port; 0 picks a free one (tests). */
  readonly port: number;
  /** Where the node keeps its key and (later) its database. */
  readonly data_dir: string;
  /** Shown in /.well-known/webwallet. */
  readonly name: string;
  /** External base URL when behind a proxy; otherwise derived from host and port. */
  readonly public_url: string | undefined;
  readonly log_level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest request body accepted, in bytes. */
  readonly body_bytes_max: number;
  /** How long a graceful shutdown may wait for in-flight requests before the process gives up. */
  readonly shutdown_timeout_ms: number;
  /** How long a client may take to send a request's headers and body. */
  readonly request_timeout_ms: number;
  /** PostgreSQL URL for the ledger; unset means embedded SQLite in data_dir/ledger.db. */
  readonly database_url: string | undefined;
  /** PostgreSQL schema for the ledger's tables (one node per schema). */
  readonly database_schema: string;
  /** Seal a block after this many transactions... */
  readonly block_transactions_max: number;
  /**
   * ...or once the oldest unsealed transaction is this old: the longest a payment waits for its
   * receipt. Sealed at exactly that moment; blocks are never empty, so at most one per interval.
   */
  readonly block_interval_ms: number;
  /** `admin`: merchants sign up with the admin token (or the CLI); `open`: anyone may over HTTP. */
  readonly merchant_signup: 'admin' | 'open';
  /** Requests per second each API key may make (bursts of twice that). */
  readonly rate_limit_per_s: number;
  /** Let webhooks target private, loopback and link-local addresses (development, tests). */
  readonly webhook_allow_private: boolean;
  /** First webhook retry delay; it doubles per attempt up to an hour, for up to 3 days. */
  readonly webhook_retry_base_ms: number;
  /** How long an expired invoice still takes a late payment. */
  readonly invoice_monitoring_ms: number;
  /** How often invoices past their expiry are moved to Expired. */
  readonly expiry_sweep_ms: number;
}

export const DEFAULT_CONFIG: NodeConfig = {
  host: '127.0.0.1',
  port: 8787,
  data_dir: './data',
  name: 'WebWallet node',
  public_url: undefined,
  log_level: 'info',
  body_bytes_max: 1_048_576,
  shutdown_timeout_ms: 10_000,
  request_timeout_ms: 30_000,
  database_url: undefined,
  database_schema: 'public',
  block_transactions_max: 10_000,
  // 200, not 1,000: "Pay" → stored receipt in ~230 ms (the wallet's target is 300), at most
  // 5 blocks a second (docs/architecture.md, "Blocks and receipts").
  block_interval_ms: 200,
  merchant_signup: 'admin',
  rate_limit_per_s: 100,
  webhook_allow_private: false,
  webhook_retry_base_ms: 30_000,
  invoice_monitoring_ms: 3_600_000,
  expiry_sweep_ms: 1_000,
};

export const LOG_LEVELS: readonly NodeConfig['log_level'][] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export function resolveConfig(overrides: Partial<NodeConfig> = {}): NodeConfig {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const config = { ...DEFAULT_CONFIG, ...defined } as NodeConfig;
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65_535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${config.port}`);
  }
  if (!LOG_LEVELS.includes(config.log_level)) throw new RangeError(`log level must be one of ${LOG_LEVELS.join(', ')}`);
  if (config.public_url !== undefined && !/^https?:\/\/[^/\s]+/.test(config.public_url)) {
    throw new RangeError(`public URL must be an absolute http(s) URL, got ${config.public_url}`);
  }
  if (config.database_url !== undefined && !/^postgres(ql)?:\/\//.test(config.database_url)) {
    throw new RangeError('DATABASE_URL must be a postgres:// URL');
  }
  if (config.merchant_signup !== 'admin' && config.merchant_signup !== 'open') {
    throw new RangeError('merchant_signup must be admin or open');
  }
  for (const key of [
    'block_transactions_max',
    'block_interval_ms',
    'rate_limit_per_s',
    'webhook_retry_base_ms',
    'invoice_monitoring_ms',
    'expiry_sweep_ms',
  ] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new RangeError(`${key} must be a positive integer`);
  }
  return config;
}
