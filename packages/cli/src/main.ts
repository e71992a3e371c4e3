import { join } from 'node:path';
import {
  closeOnSignals,
  DEFAULT_CONFIG,
  LOG_LEVELS,
  loadNodeKey,
  loadOrCreateNodeKey,
  NODE_KEY_FILE,
  type NodeConfig,
  NodeSetupError,
  SOFTWARE_VERSION,
  startNode,
} from '@webwallet/server';
import { Command, InvalidArgumentError, Option } from 'commander';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('a port is an integer from 0 to 65535.');
  return port;
}

const dataDirOption = () =>
  new Option('--data-dir <path>', 'where the node keeps its key and data')
    .env('WEBWALLET_DATA_DIR')
    .default(DEFAULT_CONFIG.data_dir);
const jsonOption = () => new Option('--json', 'print machine-readable JSON');

function print(json: boolean, data: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);
}

interface ServeOptions {
  dataDir: string;
  port: number;
  host: string;
  name: string;
  publicUrl?: string;
  logLevel: NodeConfig['log_level'];
}

async function serve(options: ServeOptions): Promise<void> {
  const node = await startNode({
    data_dir: options.dataDir,
    port: options.port,
    host: options.host,
    name: options.name,
    public_url: options.publicUrl,
    log_level: options.logLevel,
  });
  node.app.log.info({ url: node.url, docs: `${node.url}/docs`, public_key: node.nodeKey.publicKey }, 'node listening');
  await closeOnSignals(node);
}

async function init(options: { dataDir: string; json?: boolean }): Promise<void> {
  const { key, created } = await loadOrCreateNodeKey(options.dataDir);
  const data = { data_dir: options.dataDir, key_file: key.path, public_key: key.publicKey, created };
  print(
    options.json === true,
    data,
    `${created ? 'Created' : 'Found existing'} node key in ${key.path}\nPublic key: ${key.publicKey}`,
  );
}

async function keysShow(options: { dataDir: string; json?: boolean }): Promise<void> {
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
  const data = { public_key: key.publicKey, key_file: key.path, created_at: key.createdAt, algorithm: 'Ed25519' };
  print(options.json === true, data, key.publicKey);
}

export function buildProgram(): Command {
  const program = new Command('webwallet')
    .description('WebWallet: an open web payment system. Run a node and manage it.')
    .version(SOFTWARE_VERSION, '-v, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)');

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
    .addOption(jsonOption())
    .action(keysShow);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // commander has printed help, the version or a usage error already.
      return (error as { exitCode?: number }).exitCode ?? 1;
    }
    if (error instanceof NodeSetupError || error instanceof RangeError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
