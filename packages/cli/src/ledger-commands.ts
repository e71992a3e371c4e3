import type { SignedDocument } from '@webwallet/core';
// Types only: the ledger module takes a while to load, so commands import it when they run.
import type { AccountView, SubmitResult } from '@webwallet/ledger';
import { type Command, Option } from 'commander';
import { type AccountKey, readAccountKey } from './account-key.js';
import { type ClientOptions, clientCommand, detailsHint, NodeClient } from './client.js';
import { CliError, collect, integerIn, print, table } from './util.js';

interface SignedCommandOptions extends ClientOptions {
  readonly key?: string[];
  readonly json?: boolean;
}

const keyOption = (whose: string) =>
  new Option(
    '--key <file>',
    `key file that signs for the ${whose} (from "webwallet keygen"); repeat for an m-of-n account`,
  ).argParser(collect);

/**
 * The ledger's document builder, loaded on first use. The ids it makes never begin with "-", so
 * that the id printed can be passed to "webwallet receipt" as it is, not taken for an option.
 */
async function ledger() {
  const module = await import('@webwallet/ledger');
  const transaction: typeof module.transaction = (type, body, signers) => {
    let id = body.id;
    while (id === undefined || id.startsWith('-')) id = module.newTransactionId();
    return module.transaction(type, { ...body, id }, signers);
  };
  return { ...module, transaction };
}

async function signers(options: SignedCommandOptions): Promise<AccountKey[]> {
  return Promise.all((options.key ?? []).map((path) => readAccountKey(path)));
}

/** The account a command acts for: the explicit one, else the first key's. */
function actingAccount(explicit: string | undefined, keys: readonly AccountKey[], flag: string): string {
  const account = explicit ?? keys[0]?.publicKey;
  if (account === undefined) {
    throw new CliError(
      `Give --key FILE (the account's key), or ${flag} ACCOUNT with --admin-token for a custodial one.`,
    );
  }
  return account;
}

/** POSTs one signed document to /v1/transactions and prints its result; a rejection is an error. */
async function submit(options: SignedCommandOptions, document: SignedDocument, extra: Record<string, string> = {}) {
  const client = new NodeClient(options);
  const { results } = await client.post<{ results: SubmitResult[] }>('/v1/transactions', { documents: [document] });
  const result = results[0];
  if (!result) throw new CliError('The node answered without a result for the document.');
  const json = options.json === true;
  if (result.status === 'rejected') {
    if (json) print(true, result, '');
    throw new CliError(`rejected ${document.type}: ${result.error.code}: ${result.error.message}`, {
      hint: detailsHint(result.error.details),
    });
  }
  const rows: [string, string][] = [
    ...Object.entries(extra),
    ['id', result.id],
    ['document_id', result.document_id],
    ['seq', String(result.seq)],
    ['accepted_at', result.accepted_at],
  ];
  if (result.duplicate) rows.push(['duplicate', 'yes: the same document was accepted before']);
  const width = Math.max(...rows.map(([k]) => k.length));
  print(
    json,
    { ...result, ...extra },
    [`accepted ${document.type}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n'),
  );
}

interface AccountCreateOptions extends SignedCommandOptions {
  readonly account?: string;
  readonly threshold?: number;
}

async function accountCreate(options: AccountCreateOptions): Promise<void> {
  const keys = await signers(options);
  const account = actingAccount(options.account, keys, '--account');
  const { ACCOUNT_KEYS_MAX, transaction } = await ledger();
  if (options.threshold !== undefined && options.threshold > ACCOUNT_KEYS_MAX) {
    throw new CliError(`--threshold is at most ${ACCOUNT_KEYS_MAX}: an account has at most that many keys.`);
  }
  const custodial = account.startsWith('acc_');
  if (custodial && options.threshold !== undefined)
    throw new CliError('A custodial account has no keys: drop --threshold.');
  const body = {
    account,
    ...(custodial ? {} : { keys: keys.length > 0 ? keys.map((k) => k.publicKey) : [account] }),
    ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
  };
  const document = await transaction(
    'ledger.account.create',
    body,
    keys.map((k) => k.keyPair),
  );
  await submit(options, document, { account });
}

interface CurrencyIssueOptions extends SignedCommandOptions {
  readonly issuer?: string;
  readonly code: string;
  readonly scale: number;
  readonly maxSupply?: string;
  readonly feeBps?: number;
}

async function currencyIssue(options: CurrencyIssueOptions): Promise<void> {
  const keys = await signers(options);
  const issuer = actingAccount(options.issuer, keys, '--issuer');
  const { TRANSFER_FEE_BPS_MAX, transaction } = await ledger();
  if (options.feeBps !== undefined && options.feeBps > TRANSFER_FEE_BPS_MAX) {
    throw new CliError(`--fee-bps is at most ${TRANSFER_FEE_BPS_MAX} (${TRANSFER_FEE_BPS_MAX / 100}%).`);
  }
  const document = await transaction(
    'ledger.currency.issue',
    {
      issuer,
      currency: options.code,
      scale: options.scale,
      ...(options.maxSupply === undefined ? {} : { max_supply: options.maxSupply }),
      ...(options.feeBps === undefined ? {} : { transfer_fee_bps: options.feeBps }),
    },
    keys.map((k) => k.keyPair),
  );
  await submit(options, document, { currency: options.code });
}

interface TrustOptions extends SignedCommandOptions {
  readonly holder?: string;
  readonly currency: string;
  readonly limit: string;
}

async function trust(options: TrustOptions): Promise<void> {
  const keys = await signers(options);
  const holder = actingAccount(options.holder, keys, '--holder');
  const { transaction } = await ledger();
  const document = await transaction(
    'ledger.trust.set',
    { holder, currency: options.currency, limit: options.limit },
    keys.map((k) => k.keyPair),
  );
  await submit(options, document);
}

interface TransferOptions extends SignedCommandOptions {
  readonly from?: string;
  readonly to: string;
  readonly currency: string;
  readonly amount: string;
  readonly memo?: string;
}

async function transfer(options: TransferOptions): Promise<void> {
  const keys = await signers(options);
  const from = actingAccount(options.from, keys, '--from');
  const { transaction } = await ledger();
  const document = await transaction(
    'ledger.transfer',
    {
      legs: [{ from, to: options.to, currency: options.currency, amount: options.amount }],
      ...(options.memo === undefined ? {} : { memo: options.memo }),
    },
    keys.map((k) => k.keyPair),
  );
  await submit(options, document);
}

async function balance(account: string, options: ClientOptions & { json?: boolean }): Promise<void> {
  const view = await new NodeClient(options).get<AccountView>(`/v1/accounts/${encodeURIComponent(account)}`);
  const kind = view.custodial ? 'custodial' : `self-custody, ${view.threshold} of ${view.keys.length} keys`;
  const lines = [`${view.id} (${kind})`];
  if (view.balances.length === 0) {
    lines.push('no balances yet: trust a currency first ("webwallet trust")');
  } else {
    const rows = view.balances.map((b) => [
      b.currency,
      b.balance,
      b.available,
      b.held,
      b.issuer ? 'issuer' : (b.limit ?? ''),
      b.frozen ? 'frozen' : '',
    ]);
    lines.push(table(['CURRENCY', 'BALANCE', 'AVAILABLE', 'HELD', 'LIMIT', ''], rows, new Set([1, 2, 3, 4])));
  }
  if (view.pending.length > 0) lines.push(`pending transfers: ${view.pending.length}`);
  print(options.json === true, view, lines.join('\n'));
}

export function registerLedgerCommands(program: Command): void {
  const account = program.command('account').description('ledger accounts: create');
  clientCommand(
    account
      .command('create')
      .description(
        "open an account on the node's ledger; its id is the first key's public key (a custodial acc_ account needs --account and --admin-token instead)",
      )
      .addOption(
        new Option(
          '--key <file>',
          'key file of the account (from "webwallet keygen"); repeat to give the account several keys (m-of-n)',
        ).argParser(collect),
      )
      .addOption(
        new Option('--threshold <n>', 'how many of the keys must sign for the account (default 1)').argParser(
          integerIn(1, 1_000, 'the threshold'),
        ),
      )
      .addOption(new Option('--account <id>', 'account id (default: the first key\'s public key), e.g. "acc_…"')),
  ).action(accountCreate);

  const currency = program.command('currency').description('currencies: issue');
  clientCommand(
    currency
      .command('issue')
      .description("issue a new currency on the node's ledger; the key's account becomes its issuer")
      .addOption(keyOption('issuer'))
      .addOption(new Option('--code <code>', 'currency code, e.g. EUR or POINTS').makeOptionMandatory())
      .addOption(
        new Option('--scale <n>', 'decimal places of the minor unit (0-18)')
          .argParser(integerIn(0, 18, 'the scale'))
          .makeOptionMandatory(),
      )
      .addOption(new Option('--max-supply <amount>', 'most that may ever circulate (default: unlimited)'))
      .addOption(
        new Option('--fee-bps <n>', 'issuer fee on transfers between holders, in basis points (default 0)').argParser(
          integerIn(0, 10_000, 'the fee'),
        ),
      )
      .addOption(new Option('--issuer <account>', "issuer account (default: the key's account)")),
  ).action(currencyIssue);

  clientCommand(
    program
      .command('trust')
      .description('set a trust line: the most of a currency an account accepts')
      .addOption(keyOption('holder'))
      .addOption(new Option('--currency <code>', 'currency code').makeOptionMandatory())
      .addOption(new Option('--limit <amount>', 'most of the currency to accept, e.g. 1000.00').makeOptionMandatory())
      .addOption(new Option('--holder <account>', "holder account (default: the key's account)")),
  ).action(trust);

  clientCommand(
    program
      .command('transfer')
      .description('pay: move an amount of a currency from one account to another')
      .addOption(keyOption('payer'))
      .addOption(new Option('--to <account>', 'receiving account').makeOptionMandatory())
      .addOption(new Option('--currency <code>', 'currency code').makeOptionMandatory())
      .addOption(new Option('--amount <amount>', 'decimal amount, e.g. 12.50').makeOptionMandatory())
      .addOption(new Option('--from <account>', "paying account (default: the key's account)"))
      .addOption(new Option('--memo <text>', 'note stored with the transfer (at most 256 characters)')),
  ).action(transfer);

  clientCommand(
    program
      .command('balance')
      .description("print an account's balances, per currency")
      .argument('<account>', 'account id ("pub_…" or "acc_…")'),
  ).action(balance);
}
