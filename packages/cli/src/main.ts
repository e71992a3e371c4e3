import { Command, Option } from 'commander';
import { newAccountKeyFile, writeAccountKeyFile } from './account-key.js';
import { registerLedgerCommands } from './ledger-commands.js';
import { registerMerchantCommands } from './merchant-commands.js';
import { registerReceiptCommands } from './receipt-commands.js';
import { registerTokenCommands } from './token-commands.js';
import { CliError, jsonOption, print } from './util.js';
import { registerWalletCommands } from './wallet-commands.js';

async function keygen(options: { out?: string; json?: boolean }): Promise<void> {
  const file = await newAccountKeyFile();
  if (options.out === undefined) {
    // The key itself is the output: JSON either way.
    print(true, file, '');
    return;
  }
  writeAccountKeyFile(options.out, file);
  print(options.json === true, { public_key: file.public_key, key_file: options.out }, file.public_key);
}

/**
 * Commands that need neither the node software nor, until they act, the ledger: "webwallet <one of
 * these>" starts without importing @webwallet/server (which costs most of a second).
 */
const CLIENT_COMMANDS: ReadonlySet<string> = new Set([
  'keygen',
  'account',
  'currency',
  'trust',
  'transfer',
  'balance',
  'receipt',
  'verify-receipt',
  'merchant',
  'token',
  'wallet',
]);

/**
 * The whole program, or (`argv` naming a client command) just what that command needs.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const node = CLIENT_COMMANDS.has(argv[2] ?? '') ? undefined : await import('./node-commands.js');
  const program = new Command('webwallet')
    .description('WebWallet: an open web payment system. Run a node, manage it, and use its ledger.')
    .showHelpAfterError('(run with --help for usage)');
  if (node) {
    program.version(node.SOFTWARE_VERSION, '-v, --version', 'print the version');
    node.registerNodeCommands(program);
  }

  program
    .command('keygen')
    .description('make an Ed25519 key pair for a self-custody account; its public key is the account id')
    .addOption(new Option('--out <file>', 'write the key to this file (mode 0600, never overwritten); else print it'))
    .addOption(jsonOption())
    .action(keygen);
  registerLedgerCommands(program);
  registerReceiptCommands(program);
  registerTokenCommands(program);
  registerWalletCommands(program);
  registerMerchantCommands(program);
  node?.registerAuditCommand(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = (await buildProgram(argv)).exitOverride();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // commander has printed help, the version or a usage error already.
      return (error as { exitCode?: number }).exitCode ?? 1;
    }
    if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n${error.hint === undefined ? '' : `${error.hint}\n`}`);
      return error.exitCode;
    }
    // NodeSetupError (from @webwallet/server, not imported here): a setup problem the message explains.
    if (error instanceof Error && (error.name === 'NodeSetupError' || error instanceof RangeError)) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    // A bug or an unexpected fault: still one line, with the stack only on request.
    const message = error instanceof Error ? error.message : String(error);
    const stack = process.env.WEBWALLET_DEBUG === '1' && error instanceof Error ? `${error.stack}\n` : '';
    process.stderr.write(`error: ${message}\n${stack || '(set WEBWALLET_DEBUG=1 to see where it happened)\n'}`);
    return 1;
  }
}
