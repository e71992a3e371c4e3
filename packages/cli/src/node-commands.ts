/**
 * The commands that run or inspect a node on this machine. They load @webwallet/server, which
 * takes a while to import, so main loads this module only when one of them (or help) is asked for.
 */
import { join } from 'node:path';
import {
  ADMIN_TOKEN_FILE,
  closeOnSignals,
  DEFAULT_CONFIG,
  LOG_LEVELS,
  loadNodeKey,
  loadOrCreateAdminToken,
  loadOrCreateNodeKey,
  NODE_KEY_FILE,
  type NodeConfig,
  NodeSetupError,
  readAdminToken,
  SOFTWARE_VERSION,
  startNode,
} from '@webwallet/server';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { registerAuditCommand } from './audit.js';
import { CliError, integerIn, jsonOption, print } from './util.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('a port is an integer from 0 to 65535.');
  return port;
}

const dataDirOption = () =>
  new Option('--data-dir <path>', 'where the node keeps its key and data')
    .env('WEBWALLET_DATA_DIR')
    .default(DEFAULT_CONFIG.data_dir);

interface ServeOptions {
  dataDir: string;
  port: number;
  host: string;
  name: string;
  publicUrl?: string;
  logLevel: NodeConfig['log_level'];
  blockIntervalMs: number;
  blockTransactionsMax: number;
  databaseUrl?: string;
  databaseSchema: string;
  merchantSignup: NodeConfig['merchant_signup'];
  rateLimitPerS: number;
  webhookAllowPrivate?: boolean;
  webhookRetryBaseMs: number;
}

async function serve(options: ServeOptions): Promise<void> {
  const node = await startNode({
    data_dir: options.dataDir,
    port: options.port,
    host: options.host,
    name: options.name,
    public_url: options.publicUrl,
    log_level: options.logLevel,
    block_interval_ms: options.blockIntervalMs,
    block_transactions_max: options.blockTransactionsMax,
    database_url: options.databaseUrl,
    database_schema: options.databaseSchema,
    merchant_signup: options.merchantSignup,
    rate_limit_per_s: options.rateLimitPerS,
    webhook_allow_private: options.webhookAllowPrivate === true,
    webhook_retry_base_ms: options.webhookRetryBaseMs,
  });
  node.app.log.info({ url: node.url, docs: `${node.url}/docs`, public_key: node.nodeKey.publicKey }, 'node listening');
  await closeOnSignals(node);
}

async function init(options: { dataDir: string; json?: boolean }): Promise<void> {
  const { key, created } = await loadOrCreateNodeKey(options.dataDir);
  loadOrCreateAdminToken(options.dataDir);
  const data = { data_dir: options.dataDir, key_file: key.path, public_key: key.publicKey, created };
  print(
    options.json === true,
    data,
    `${created ? 'Created' : 'Found existing'} node key in ${key.path}\nPublic key: ${key.publicKey}`,
  );
}

/** The admin token, with the server's own checks; a missing one is a clear CLI error. */
function adminToken(dataDir: string): { token: string; path: string } {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    return { token: readAdminToken(path), path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`No admin token in ${dataDir}. Run "webwallet init" or "webwallet serve" first.`);
    }
    throw error;
  }
}

async function keysShow(options: { dataDir: string; json?: boolean; adminToken?: boolean }): Promise<void> {
  const path = join(options.dataDir, NODE_KEY_FILE);
  let key: Awaited<ReturnType<typeof loadNodeKey>>;
  try {
    key = await loadNodeKey(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NodeSetupError(`No node key in ${options.dataDir}. Run "webwallet init" or "webwallet serve" first.`);
    }
    throw error;
  }
  const data: Record<string, unknown> = {
    public_key: key.publicKey,
    key_file: key.path,
    created_at: key.createdAt,
    algorithm: 'Ed25519',
  };
  let text = key.publicKey;
  if (options.adminToken === true) {
    const admin = adminToken(options.dataDir);
    data.admin_token = admin.token;
    data.admin_token_file = admin.path;
    text += `\nadmin token: ${admin.token}`;
  }
  print(options.json === true, data, text);
}

export { SOFTWARE_VERSION };

/** serve, init, keys show. */
export function registerNodeCommands(program: Command): void {
  program
    .command('serve')
    .description('run the node: HTTP API, docs at /docs (also what "npm start" runs)')
    .addOption(dataDirOption())
    .addOption(
      new Option('--port <port>', 'TCP port').env('WEBWALLET_PORT').default(DEFAULT_CONFIG.port).argParser(parsePort),
    )
    .addOption(new Option('--host <host>', 'interface to listen on').env('WEBWALLET_HOST').default(DEFAULT_CONFIG.host))
    .addOption(
      new Option('--name <name>', 'node name shown to clients').env('WEBWALLET_NODE_NAME').default(DEFAULT_CONFIG.name),
    )
    .addOption(new Option('--public-url <url>', 'external base URL when behind a proxy').env('WEBWALLET_PUBLIC_URL'))
    .addOption(
      new Option('--log-level <level>', 'log level')
        .env('WEBWALLET_LOG_LEVEL')
        .choices(LOG_LEVELS)
        .default(DEFAULT_CONFIG.log_level),
    )
    .addOption(
      new Option('--block-interval-ms <ms>', 'seal a block once the oldest unsealed transaction is this old')
        .env('WEBWALLET_BLOCK_INTERVAL_MS')
        .default(DEFAULT_CONFIG.block_interval_ms)
        .argParser(integerIn(1, 86_400_000, '--block-interval-ms')),
    )
    .addOption(
      new Option('--block-transactions-max <n>', 'seal a block after this many transactions')
        .env('WEBWALLET_BLOCK_TRANSACTIONS_MAX')
        .default(DEFAULT_CONFIG.block_transactions_max)
        .argParser(integerIn(1, 1_000_000_000, '--block-transactions-max')),
    )
    .addOption(
      new Option('--database-url <url>', 'keep the ledger in PostgreSQL instead of SQLite in the data directory').env(
        'DATABASE_URL',
      ),
    )
    .addOption(
      new Option('--database-schema <name>', 'PostgreSQL schema for the ledger tables')
        .env('WEBWALLET_DATABASE_SCHEMA')
        .default(DEFAULT_CONFIG.database_schema),
    )
    .addOption(
      new Option('--merchant-signup <who>', 'who may sign up merchants over HTTP: admin (token) or open')
        .choices(['admin', 'open'])
        .env('WEBWALLET_MERCHANT_SIGNUP')
        .default(DEFAULT_CONFIG.merchant_signup),
    )
    .addOption(
      new Option('--rate-limit-per-s <n>', 'requests per second per API key (bursts of twice that)')
        .env('WEBWALLET_RATE_LIMIT_PER_S')
        .default(DEFAULT_CONFIG.rate_limit_per_s)
        .argParser(integerIn(1, 1_000_000_000, '--rate-limit-per-s')),
    )
    .addOption(
      new Option('--webhook-allow-private', 'let webhooks target private and loopback addresses (development)').env(
        'WEBWALLET_WEBHOOK_ALLOW_PRIVATE',
      ),
    )
    .addOption(
      new Option('--webhook-retry-base-ms <ms>', 'first webhook retry delay; doubles per attempt up to an hour')
        .env('WEBWALLET_WEBHOOK_RETRY_BASE_MS')
        .default(DEFAULT_CONFIG.webhook_retry_base_ms)
        .argParser(integerIn(1, 3_600_000, '--webhook-retry-base-ms')),
    )
    .action(serve);

  program
    .command('init')
    .description('create the data directory and the node signing key (serve does this on first start)')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(init);

  const keys = program.command('keys').description('inspect the node keys');
  keys
    .command('show')
    .description("print the node's public key")
    .addOption(dataDirOption())
    .addOption(new Option('--admin-token', "also print the node's admin token (keep it secret)"))
    .addOption(jsonOption())
    .action(keysShow);
}

export { registerAuditCommand };
