import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePrefixed } from '@webwallet/core';
import { type AuditReport, auditLedger, type LedgerStorage, SqliteStorage } from '@webwallet/ledger';
import { DEFAULT_CONFIG, LEDGER_FILE, NODE_KEY_FILE } from '@webwallet/server';
import cliProgress from 'cli-progress';
import { type Command, Option } from 'commander';
import { CliError, collect, jsonOption, print } from './util.js';

interface AuditCommandOptions {
  readonly dataDir: string;
  readonly databaseUrl?: string;
  readonly databaseSchema?: string;
  readonly nodeKey?: string[];
  readonly json?: boolean;
}

interface OpenedStorage {
  readonly storage: LedgerStorage;
  /** What was audited, for the report (a PostgreSQL URL without its password). */
  readonly source: string;
}

function nodeKeys(options: AuditCommandOptions): string[] {
  let keys = options.nodeKey ?? [];
  if (keys.length === 0) {
    const path = join(options.dataDir, NODE_KEY_FILE);
    let key: unknown;
    try {
      key = (JSON.parse(readFileSync(path, 'utf8')) as { public_key?: unknown } | null)?.public_key;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(
        code === 'ENOENT'
          ? `No node key in ${options.dataDir}.`
          : `Cannot read the node key ${path}: ${code ?? 'not JSON'}.`,
        { hint: "Point --data-dir at the node's data directory, or pass the node's public key with --node-key pub_…." },
      );
    }
    if (typeof key !== 'string') throw new CliError(`The node key ${path} has no public_key.`);
    keys = [key];
  }
  for (const key of keys) {
    if (!decodePrefixed('pub', key).ok) throw new CliError(`"${key}" is not a node public key ("pub_…").`);
  }
  return keys;
}

async function openReadOnly(options: AuditCommandOptions): Promise<OpenedStorage> {
  if (options.databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl))
      throw new CliError('--database-url must be a postgres:// URL.');
    const { PostgresStorage } = await import('@webwallet/ledger/postgres');
    let storage: LedgerStorage;
    try {
      storage = await PostgresStorage.open({
        url: options.databaseUrl,
        readonly: true,
        ...(options.databaseSchema === undefined ? {} : { schema: options.databaseSchema }),
      });
      await storage.latestBlock(); // fails here, clearly, when the database or its tables are missing
    } catch (error) {
      throw new CliError(`Cannot read the PostgreSQL ledger: ${(error as Error).message}`);
    }
    const url = new URL(options.databaseUrl);
    url.password = '';
    const schema = options.databaseSchema === undefined ? '' : ` (schema ${options.databaseSchema})`;
    return { storage, source: `PostgreSQL ledger ${url.href}${schema}` };
  }
  const path = join(options.dataDir, LEDGER_FILE);
  if (!existsSync(path)) {
    throw new CliError(`No ledger database at ${path}.`, {
      hint: "Point --data-dir at the node's data directory, or give --database-url for a PostgreSQL ledger.",
    });
  }
  let storage: SqliteStorage;
  try {
    storage = new SqliteStorage({ path, readonly: true });
    await storage.latestBlock(); // the first read starts the snapshot, and fails clearly on a foreign file
  } catch (error) {
    throw new CliError(`Cannot read the ledger database ${path}: ${(error as Error).message}`);
  }
  return {
    storage,
    source: `SQLite ledger ${path}`,
  };
}

function progressBar(enabled: boolean): { update: (done: number, total: number) => void; stop: () => void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'auditing [{bar}] {percentage}% | {value}/{total} transactions | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function reportText(source: string, keys: readonly string[], report: AuditReport): string {
  const lines = [
    `Audit of the ${source}`,
    `  node keys     ${keys.join(', ')}`,
    `  transactions  ${report.transactions}`,
    `  blocks        ${report.blocks}`,
    `  lines         ${report.lines}`,
    `  problems      ${report.problems.length}`,
    ...report.problems.map((p) => `    - ${p}`),
  ];
  if (report.problems.length === 0) {
    lines.push('OK: every document, signature, Merkle node, block and stored balance checks out.');
  }
  return lines.join('\n');
}

async function audit(options: AuditCommandOptions): Promise<void> {
  const keys = nodeKeys(options);
  const json = options.json === true;
  const { storage, source } = await openReadOnly(options);
  const bar = progressBar(process.stderr.isTTY === true && !json);
  let report: AuditReport;
  try {
    report = await auditLedger(storage, { nodeKeys: keys, onProgress: bar.update });
  } finally {
    bar.stop();
    await storage.close();
  }
  print(
    json,
    { ok: report.problems.length === 0, source, node_keys: keys, ...report },
    reportText(source, keys, report),
  );
  if (report.problems.length > 0) {
    const n = report.problems.length;
    throw new CliError(`the audit found ${n} problem${n === 1 ? '' : 's'} (listed above).`);
  }
}

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description(
      'check the whole ledger read-only: every document, signature, Merkle node, block and balance (safe while the node runs)',
    )
    .addOption(
      new Option('--data-dir <path>', "the node's data directory: node key, and the SQLite ledger")
        .env('WEBWALLET_DATA_DIR')
        .default(DEFAULT_CONFIG.data_dir),
    )
    .addOption(new Option('--database-url <url>', 'audit this PostgreSQL ledger instead of SQLite').env('DATABASE_URL'))
    .addOption(
      new Option('--database-schema <name>', "PostgreSQL schema of the ledger's tables (default: the role's)").env(
        'WEBWALLET_DATABASE_SCHEMA',
      ),
    )
    .addOption(
      new Option('--node-key <pub>', "trust this node key instead of the data directory's; repeatable").argParser(
        collect,
      ),
    )
    .addOption(jsonOption())
    .action(audit);
}
