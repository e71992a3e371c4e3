import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { type ClientOptions, clientCommand, NodeClient } from './client.js';
import { CliError, print } from './util.js';

interface MerchantCreateOptions extends ClientOptions {
  readonly name: string;
  readonly dataDir: string;
  readonly json?: boolean;
}

interface SignUp {
  merchant: { id: string; name: string };
  store: { id: string; live_account: string; test_account: string };
  keys: { live: string; test: string };
}

/** The admin token: given, or read from the local node's data directory (the operator's machine). */
function adminToken(options: MerchantCreateOptions): string {
  if (options.adminToken !== undefined) return options.adminToken;
  const path = join(options.dataDir, 'admin-token');
  if (!existsSync(path)) {
    throw new CliError("Merchant sign-up needs the node's admin token.", {
      hint: `Pass --admin-token (webwallet keys show --admin-token on the node), or --data-dir of a local node (no ${path}).`,
    });
  }
  return readFileSync(path, 'utf8').trim();
}

async function merchantCreate(options: MerchantCreateOptions): Promise<void> {
  const client = new NodeClient({ ...options, adminToken: adminToken(options) });
  const created = await client.post<SignUp>('/v1/merchants', { name: options.name });
  print(
    options.json === true,
    created,
    [
      `created merchant ${created.merchant.name}`,
      `  merchant  ${created.merchant.id}`,
      `  store     ${created.store.id}`,
      `  test key  ${created.keys.test}`,
      `  live key  ${created.keys.live}`,
      '',
      "The keys are shown only now: keep them secret (e.g. in your app's environment).",
      'Start with the test key: it acts on the sandbox ledger with play money.',
    ].join('\n'),
  );
}

export function registerMerchantCommands(program: Command): void {
  const merchant = program.command('merchant').description('payment processor: merchants');
  clientCommand(
    merchant
      .command('create')
      .description('sign up a merchant on the node: a store with live and test accounts, and one key per mode')
      .addOption(new Option('--name <name>', "the merchant's name, shown on checkout pages").makeOptionMandatory())
      .addOption(
        new Option('--data-dir <path>', "read the admin token from this node's data directory")
          .env('WEBWALLET_DATA_DIR')
          .default('./data'),
      ),
  ).action(merchantCreate);
}
