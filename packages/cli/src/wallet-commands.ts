import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDocument, type KeyPair, randomBytes, toBase64Url, verifyReceipt } from '@webwallet/core';
import {
  createBackup,
  NodeClient,
  newRecoveryPhrase,
  openBackup,
  parsePaymentUri,
  pay,
  reviewPayment,
  type SyncReport,
  WalletDocument,
  WalletSync,
} from '@webwallet/wallet';
import { type Command, Option } from 'commander';
import { nodeOption } from './client.js';
import { readTextFile } from './node-key-files.js';
import { CliError, integerIn, jsonOption, print, table } from './util.js';
import {
  accountKeys,
  defaultWalletDir,
  loadDocument,
  type OpenWallet,
  openSealedJson,
  openWallet,
  readPassphrase,
  readWalletFile,
  saveWallet,
  sealJson,
  seedOf,
  WALLET_FILE,
  type WalletAccount,
} from './wallet-file.js';

interface WalletOptions {
  readonly walletDir: string;
  readonly passphraseFile?: string;
  readonly json?: boolean;
}

/** How long `wallet pay` waits for the payment's receipt (the node seals blocks on a timer). */
const PAY_WAIT_MS = 10_000;

function fail(error: { code: string; message: string; details?: unknown }): never {
  const details = error.details && Object.keys(error.details).length > 0 ? JSON.stringify(error.details) : undefined;
  throw new CliError(`${error.code}: ${error.message}`, details ? { hint: `details: ${details}` } : {});
}

async function nodeKeyOf(node: NodeClient): Promise<string> {
  const info = await node.info();
  if (!info.ok) fail(info.error);
  return info.value.public_key;
}

/** Opens the account on the node (self-custody: the account signs its own creation); an existing one is fine. */
async function openAccountOnNode(node: NodeClient, account: { id: string; keyPair: KeyPair }): Promise<void> {
  const body = { id: toBase64Url(randomBytes(16)), created_at: new Date().toISOString(), account: account.id };
  const document = await createDocument('ledger.account.create', 1, body, [account.keyPair]);
  const submitted = await node.submit([document]);
  if (!submitted.ok) fail(submitted.error);
  const [result] = submitted.value;
  if (result?.status === 'rejected' && result.error.code !== 'account_exists') fail(result.error);
}

function refuseExisting(dir: string): void {
  if (existsSync(join(dir, WALLET_FILE))) {
    throw new CliError(`${dir} already holds a wallet. Choose another --wallet-dir; a wallet is never overwritten.`);
  }
}

async function walletCreate(options: WalletOptions & { node: string; words: number }): Promise<void> {
  refuseExisting(options.walletDir);
  const passphrase = readPassphrase(options, true);
  const phrase = newRecoveryPhrase(options.words === 12 ? 12 : 24);
  const seed = await seedOf(phrase);
  const account = await accountKeys(seed, 0);
  const node = new NodeClient({ url: options.node });
  const node_key = await nodeKeyOf(node);
  await openAccountOnNode(node, account);
  const document = WalletDocument.create();
  const accounts: WalletAccount[] = [{ index: 0, id: account.id }];
  const facts = { node: options.node, node_key, accounts };
  const file = await saveWallet(options.walletDir, facts, { phrase, seed, document }, passphrase);
  const data = {
    wallet_id: file.wallet_id,
    dir: options.walletDir,
    node: options.node,
    accounts,
    recovery_phrase: phrase,
  };
  print(
    options.json === true,
    data,
    [
      `Created wallet ${file.wallet_id} in ${options.walletDir}, with account ${account.id} on ${options.node}.`,
      '',
      'Recovery phrase: write it down and keep it offline. It is shown only now, and anyone who has it holds your money.',
      '',
      `  ${phrase}`,
    ].join('\n'),
  );
}

async function walletImport(
  options: WalletOptions & { node: string; phraseFile?: string; backup?: string; accounts?: number },
): Promise<void> {
  refuseExisting(options.walletDir);
  if ((options.phraseFile === undefined) === (options.backup === undefined)) {
    throw new CliError(
      'Give the recovery phrase (--phrase-file FILE), a backup (--backup FILE) or a pairing code (--pair CODE), one of them.',
    );
  }
  const passphrase = readPassphrase(options, true);
  let phrase: string;
  let document = WalletDocument.create();
  let count = options.accounts ?? 1;
  if (options.backup !== undefined) {
    const opened = await openBackup(readTextFile(options.backup, 'a WebWallet backup'), passphrase);
    if (!opened.ok) fail(opened.error);
    phrase = opened.value.phrase;
    document = loadDocument(opened.value.document);
    count = options.accounts ?? opened.value.accounts ?? 1;
  } else {
    phrase = readTextFile(options.phraseFile as string, 'a recovery phrase');
  }
  const seed = await seedOf(phrase);
  const node = new NodeClient({ url: options.node });
  const node_key = await nodeKeyOf(node);
  const accounts: WalletAccount[] = [];
  for (let index = 0; index < count; index++) {
    const account = await accountKeys(seed, index);
    await openAccountOnNode(node, account);
    accounts.push({ index, id: account.id });
  }
  const file = await saveWallet(
    options.walletDir,
    { node: options.node, node_key, accounts },
    { phrase, seed, document },
    passphrase,
  );
  print(
    options.json === true,
    { wallet_id: file.wallet_id, dir: options.walletDir, node: options.node, accounts },
    `Restored wallet ${file.wallet_id} in ${options.walletDir}: ${accounts.map((a) => a.id).join(', ')}`,
  );
}

async function walletBackup(options: WalletOptions & { out: string }): Promise<void> {
  if (existsSync(options.out)) throw new CliError(`${options.out} already exists; a backup is never overwritten.`);
  const passphrase = readPassphrase(options);
  const wallet = await openWallet(options.walletDir, passphrase);
  const text = await createBackup(
    { phrase: wallet.phrase, document: wallet.document.encodeState(), accounts: wallet.file.accounts.length },
    passphrase,
  );
  writeFileSync(options.out, `${text}\n`, { mode: 0o600, flag: 'wx' });
  print(
    options.json === true,
    { wallet_id: wallet.file.wallet_id, file: options.out },
    `Wrote an encrypted backup of ${wallet.file.wallet_id} to ${options.out} (it opens with the same passphrase).`,
  );
}

async function walletBalance(options: WalletOptions): Promise<void> {
  const file = readWalletFile(options.walletDir);
  const node = new NodeClient({ url: file.node });
  const rows: string[][] = [];
  const data: unknown[] = [];
  for (const account of file.accounts) {
    const view = await node.account(account.id);
    if (!view.ok) fail(view.error);
    const balances = view.value?.balances ?? [];
    data.push({ index: account.index, account: account.id, balances });
    for (const b of balances) rows.push([String(account.index), account.id, b.currency, b.balance, b.available]);
    if (balances.length === 0) rows.push([String(account.index), account.id, '-', '0', '0']);
  }
  print(
    options.json === true,
    { wallet_id: file.wallet_id, node: file.node, accounts: data },
    table(['#', 'ACCOUNT', 'CURRENCY', 'BALANCE', 'AVAILABLE'], rows, new Set([3, 4])),
  );
}

async function walletPay(uri: string, options: WalletOptions & { account: number; yes?: boolean }): Promise<void> {
  const request = parsePaymentUri(uri);
  if (!request.ok) fail(request.error);
  const passphrase = readPassphrase(options);
  const wallet = await openWallet(options.walletDir, passphrase);
  const entry = wallet.file.accounts.find((a) => a.index === options.account);
  if (!entry) throw new CliError(`The wallet has no account #${options.account}.`);
  const account = await accountKeys(wallet.seed, entry.index);
  const node = new NodeClient({ url: request.value.node });
  const review = await reviewPayment(request.value, { from: account.id, node });
  if (!review.ok) fail(review.error);
  const r = review.value;
  const summary = `Pay ${r.amount} ${r.currency} to ${r.payee} from ${account.id} on ${r.node.url}${r.memo ? ` (memo ${r.memo})` : ''}.`;
  if (options.yes !== true) {
    print(
      options.json === true,
      { review: r, paid: false },
      `${summary}\nAvailable: ${r.balance_available} ${r.currency}. Add --yes to pay.`,
    );
    return;
  }
  if (!r.sufficient) throw new CliError(`insufficient_funds: only ${r.balance_available} ${r.currency} available.`);
  const paid = await pay(request.value, account.keyPair, { node, wait_ms: PAY_WAIT_MS });
  if (!paid.ok) fail(paid.error);
  const stored = wallet.document.putReceipt(paid.value.receipt, { node: r.node.url });
  if (!stored.ok) {
    throw new CliError(
      `Paid (transaction ${paid.value.transaction_id}), but the receipt could not be stored: ${stored.error.message}`,
      { hint: `Fetch it again with "webwallet receipt ${paid.value.transaction_id}".` },
    );
  }

  await saveWallet(wallet.dir, wallet.file, wallet, passphrase);
  print(
    options.json === true,
    { paid: true, transaction_id: paid.value.transaction_id, duration_ms: paid.value.duration_ms, review: r },
    `${summary}\nPaid: transaction ${paid.value.transaction_id}; its receipt is stored in the wallet.`,
  );
}

async function walletTrust(
  options: WalletOptions & { account: number; currency: string; limit: string },
): Promise<void> {
  const passphrase = readPassphrase(options);
  const wallet = await openWallet(options.walletDir, passphrase);
  const entry = wallet.file.accounts.find((a) => a.index === options.account);
  if (!entry) throw new CliError(`The wallet has no account #${options.account}.`);
  const account = await accountKeys(wallet.seed, entry.index);
  const body = {
    id: toBase64Url(randomBytes(16)),
    created_at: new Date().toISOString(),
    holder: account.id,
    currency: options.currency,
    limit: options.limit,
  };
  const node = new NodeClient({ url: wallet.file.node });
  const submitted = await node.submit([await createDocument('ledger.trust.set', 1, body, [account.keyPair])]);
  if (!submitted.ok) fail(submitted.error);
  const [result] = submitted.value;
  if (result?.status === 'rejected') fail(result.error);
  print(
    options.json === true,
    { account: account.id, currency: options.currency, limit: options.limit },
    `Account ${account.id} now accepts up to ${options.limit} ${options.currency}.`,
  );
}

async function walletReceipts(options: WalletOptions & { verify?: boolean }): Promise<void> {
  const wallet = await openWallet(options.walletDir, readPassphrase(options));
  const receipts = wallet.document.receipts();
  const rows: string[][] = [];
  const data: unknown[] = [];
  for (const entry of receipts) {
    const body = entry.receipt.document.body as {
      id?: string;
      legs?: { to: string; amount: string; currency: string }[];
    };
    const leg = body.legs?.[0];
    // Against the key the wallet learned when it was made, never the key the receipt names.
    const trusted = [wallet.file.node_key];
    const verified = options.verify === true ? (await verifyReceipt(entry.receipt, trusted)).ok : undefined;
    data.push({ ...entry, ...(verified === undefined ? {} : { verified }) });
    rows.push([
      entry.stored_at,
      body.id ?? '?',
      leg ? `${leg.amount} ${leg.currency}` : '',
      leg?.to ?? '',
      verified === undefined ? '' : verified ? 'verified' : 'INVALID',
    ]);
  }
  print(
    options.json === true,
    { wallet_id: wallet.file.wallet_id, receipts: data },
    rows.length === 0 ? 'No receipts yet.' : table(['STORED', 'TRANSACTION', 'AMOUNT', 'TO', ''], rows, new Set([2])),
  );
}

/** This device's sync session: restored from the wallet file, or a new mailbox on the wallet's node. */
async function syncSession(wallet: OpenWallet, passphrase: string, deviceName?: string): Promise<WalletSync> {
  const opened =
    wallet.file.sync === undefined
      ? await WalletSync.create({
          document: wallet.document,
          relayUrl: wallet.file.node,
          ...(deviceName === undefined ? {} : { device_name: deviceName }),
        })
      : await WalletSync.restore(await openSealedJson(wallet.file.sync, passphrase), { document: wallet.document });
  if (!opened.ok) fail(opened.error);
  return opened.value;
}

/** Saves the document and this device's sync state together, so neither runs ahead of the other. */
async function saveSynced(wallet: OpenWallet, session: WalletSync, passphrase: string): Promise<void> {
  const sync = await sealJson(session.state(), passphrase);
  await saveWallet(wallet.dir, { ...wallet.file, sync }, wallet, passphrase);
}

function reportText(report: SyncReport): string {
  const rejected = report.rejected_total > 0 ? `, ${report.rejected_total} refused` : '';
  return `Synced: ${report.read} read, ${report.applied} merged, ${report.posted} sent${rejected}.`;
}

async function walletSync(options: WalletOptions & { deviceName?: string }): Promise<void> {
  const passphrase = readPassphrase(options);
  const wallet = await openWallet(options.walletDir, passphrase);
  const session = await syncSession(wallet, passphrase, options.deviceName);
  const report = await session.sync();
  await saveSynced(wallet, session, passphrase); // even after a failure: the mailbox may be new
  if (!report.ok) fail(report.error);
  print(options.json === true, report.value, reportText(report.value));
}

async function walletDevices(options: WalletOptions & { invite?: boolean; remove?: string }): Promise<void> {
  const passphrase = readPassphrase(options);
  const wallet = await openWallet(options.walletDir, passphrase);
  const session = await syncSession(wallet, passphrase);
  const synced = await session.sync();
  if (!synced.ok) fail(synced.error);
  if (options.remove !== undefined) {
    const removed = await session.removeDevice(options.remove);
    await saveSynced(wallet, session, passphrase);
    if (!removed.ok) fail(removed.error);
  }
  let code: { uri: string; typed: string; expires_at: string } | undefined;
  if (options.invite === true) {
    // The new device gets the recovery phrase inside the encrypted offer, so it can pay too.
    const invited = await session.invite({ recovery_phrase: wallet.phrase });
    if (!invited.ok) fail(invited.error);
    code = invited.value;
  }
  await saveSynced(wallet, session, passphrase);
  const devices = session.devices();
  const lines = devices.map((d) => `${d.self ? '*' : ' '} ${d.device_key}  ${d.name ?? ''}  since ${d.added_at}`);
  if (code) {
    lines.push('', `Pairing code (one use, until ${code.expires_at}):`, `  ${code.uri}`, `  typed: ${code.typed}`);
    lines.push('On the new device: webwallet wallet import --pair <code>');
  }
  print(options.json === true, { devices, ...(code ? { pairing: code } : {}) }, lines.join('\n'));
}

async function walletJoin(options: WalletOptions & { node: string; pair: string; deviceName?: string }): Promise<void> {
  refuseExisting(options.walletDir);
  const passphrase = readPassphrase(options, true);
  const document = WalletDocument.create();
  const joined = await WalletSync.join(options.pair, {
    document,
    relayUrl: options.node,
    ...(options.deviceName === undefined ? {} : { device_name: options.deviceName }),
  });
  if (!joined.ok) fail(joined.error);
  const phrase = joined.value.recovery_phrase;
  if (phrase === undefined)
    throw new CliError('The pairing did not include the recovery phrase; this device could not pay.');
  if (!joined.value.first_sync.ok) fail(joined.value.first_sync.error);
  const seed = await seedOf(phrase);
  const node = new NodeClient({ url: options.node });
  const node_key = await nodeKeyOf(node);
  const account = await accountKeys(seed, 0);
  const accounts: WalletAccount[] = [{ index: 0, id: account.id }];
  const sync = await sealJson(joined.value.sync.state(), passphrase);
  const file = await saveWallet(
    options.walletDir,
    { node: options.node, node_key, accounts, sync },
    { phrase, seed, document },
    passphrase,
  );
  print(
    options.json === true,
    { wallet_id: file.wallet_id, dir: options.walletDir, node: options.node, accounts, paired: true },
    `Paired: wallet ${file.wallet_id} in ${options.walletDir}, ${joined.value.first_sync.value.applied} updates merged.`,
  );
}

function walletOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--wallet-dir <dir>', 'where the wallet lives')
        .env('WEBWALLET_WALLET_DIR')
        .default(defaultWalletDir()),
    )
    .addOption(new Option('--passphrase-file <file>', 'read the passphrase from this file (else WEBWALLET_PASSPHRASE)'))
    .addOption(jsonOption());
}

export function registerWalletCommands(program: Command): void {
  const wallet = program
    .command('wallet')
    .description('a wallet on this machine: keys from a recovery phrase, receipts, paying payment links');
  walletOptions(
    wallet
      .command('create')
      .description('make a wallet: a new recovery phrase, its first account opened on the node')
      .addOption(nodeOption())
      .addOption(
        new Option('--words <n>', 'recovery phrase length, 12 or 24').argParser(integerIn(12, 24, 'words')).default(24),
      ),
  ).action(walletCreate);
  walletOptions(
    wallet
      .command('import')
      .description('restore a wallet from its recovery phrase or an encrypted backup')
      .addOption(nodeOption())
      .addOption(new Option('--phrase-file <file>', 'a file holding the recovery phrase'))
      .addOption(new Option('--backup <file>', 'a backup from "webwallet wallet backup" (same passphrase)'))
      .addOption(
        new Option('--accounts <n>', 'how many accounts to restore').argParser(integerIn(1, 1_000, 'accounts')),
      )
      .addOption(new Option('--pair <code>', 'pair with another device of the wallet: its pairing code (URI or typed)'))
      .addOption(new Option('--device-name <name>', 'what the other devices call this one (with --pair)')),
  ).action((options) => (options.pair === undefined ? walletImport(options) : walletJoin(options)));
  walletOptions(
    wallet
      .command('sync')
      .description(
        "exchange the wallet document with the wallet's other devices, end-to-end encrypted through the node",
      )
      .addOption(new Option('--device-name <name>', 'what the other devices call this one (first sync only)')),
  ).action(walletSync);
  walletOptions(
    wallet
      .command('devices')
      .description("this wallet's devices; --invite prints a one-time pairing code, --remove takes a device out")
      .addOption(new Option('--invite', 'make a one-time pairing code for a new device'))
      .addOption(new Option('--remove <device_key>', 'remove a device: it can read nothing written afterwards')),
  ).action(walletDevices);
  walletOptions(
    wallet
      .command('backup')
      .description('write an encrypted backup: the recovery phrase and the wallet document')
      .addOption(new Option('--out <file>', 'the backup file (never overwritten)').makeOptionMandatory()),
  ).action(walletBackup);
  walletOptions(
    wallet.command('balance').description("each account's balances, from the ledger (no passphrase needed)"),
  ).action(walletBalance);
  walletOptions(
    wallet
      .command('pay')
      .description('pay a web+webwallet:pay link: shows the review; --yes signs on this machine and pays')
      .argument('<uri>', 'the payment link, e.g. from a checkout page')
      .addOption(
        new Option('--account <n>', 'which account pays').argParser(integerIn(0, 2 ** 31 - 1, 'account')).default(0),
      )
      .addOption(new Option('--yes', 'pay without asking again')),
  ).action(walletPay);
  walletOptions(
    wallet
      .command('trust')
      .description('let an account hold a currency, up to a limit (a ledger trust line)')
      .addOption(new Option('--currency <code>', 'currency code').makeOptionMandatory())
      .addOption(new Option('--limit <amount>', 'most of it to hold, e.g. 1000.00').makeOptionMandatory())
      .addOption(
        new Option('--account <n>', 'which account').argParser(integerIn(0, 2 ** 31 - 1, 'account')).default(0),
      ),
  ).action(walletTrust);
  walletOptions(
    wallet
      .command('receipts')
      .description('the receipts stored in the wallet')
      .addOption(new Option('--verify', 'verify each receipt offline against the node key in it')),
  ).action(walletReceipts);
}
