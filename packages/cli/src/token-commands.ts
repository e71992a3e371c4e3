import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createPayerToken,
  decodePayerToken,
  decodePrefixed,
  originOf,
  PAYER_TOKEN_LIFETIME_MAX_S,
  PAYER_TOKEN_TEXT_LENGTH_MAX,
  type PayerTokenClaims,
  type PaymentTerms,
  paymentTerms,
  type Receipt,
  type TrustedNode,
  verifyPayerToken,
} from '@webwallet/core';
// Types only: the ledger module takes a while to load and these commands never need its code.
import type { TransactionView } from '@webwallet/ledger';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { readAccountKey } from './account-key.js';
import { type ClientOptions, DEFAULT_NODE_URL, detailsHint, NodeClient, NodeError, nodeOption } from './client.js';
import { checkNodeKeys, nodeKeyFromFile, readTextFile } from './node-key-files.js';
import { CliError, collect, integerIn, jsonOption, print } from './util.js';

/** How often `token create` asks again while the payment waits for its block. */
const POLL_INTERVAL_MS = 100;
/** Most bytes `token verify -` reads from stdin: a token is far shorter, so more is not a token. */
const STDIN_BYTES_MAX = 4 * PAYER_TOKEN_TEXT_LENGTH_MAX;
const DECIMAL = /^(0|[1-9]\d{0,29})(\.\d{1,18})?$/;
const CURRENCY = /^[A-Z0-9][A-Z0-9-]{0,11}$/;
const LIFETIME_UNITS_S: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

// ---------------------------------------------------------------------------------------------
// Option parsers: bad values are usage errors, reported before any network traffic.

function parseLifetime(value: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(value);
  const seconds = match ? Number(match[1]) * (LIFETIME_UNITS_S[match[2] as string] as number) : 0;
  if (seconds < 1 || seconds > PAYER_TOKEN_LIFETIME_MAX_S) {
    throw new InvalidArgumentError(
      `--lifetime is a number and a unit (s, m, h or d), e.g. 3600s, 90m, 24h or 30d; at most ${PAYER_TOKEN_LIFETIME_MAX_S / 86_400}d.`,
    );
  }
  return seconds;
}

/** An origin ("https://shop.example"); a URL with a path stands for its origin. */
function parseAudience(value: string): string {
  const origin = originOf(value);
  if (origin === undefined) {
    throw new InvalidArgumentError(
      `the audience is the origin of the site the token is for, such as https://shop.example (got "${value}").`,
    );
  }
  return origin;
}

function parseAmount(value: string): string {
  if (!DECIMAL.test(value)) throw new InvalidArgumentError('--amount is a decimal such as 12 or 12.50.');
  return value;
}

function parseCurrency(value: string): string {
  if (!CURRENCY.test(value)) throw new InvalidArgumentError('--currency is a currency code such as EUR or POINTS.');
  return value;
}

function parseHttpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`the node URL is an http(s) URL such as ${DEFAULT_NODE_URL}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`the node URL is an http(s) URL such as ${DEFAULT_NODE_URL}.`);
  }
  return url.href.replace(/\/+$/, '');
}

// ---------------------------------------------------------------------------------------------
// token create

interface CreateOptions extends ClientOptions {
  readonly key: string;
  readonly transaction: string;
  readonly audience: string;
  readonly payee?: string;
  readonly form: 'full' | 'reference';
  readonly lifetime: number;
  readonly waitMs: number;
  readonly out?: string;
  readonly json?: boolean;
}

async function fetchTransaction(client: NodeClient, id: string): Promise<TransactionView> {
  try {
    return await client.get<TransactionView>(`/v1/transactions/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof NodeError && error.body.code === 'transaction_not_found') {
      throw new CliError(`The node at ${client.baseUrl} has no transaction ${id}.`, {
        hint: 'Give the "id" that "webwallet transfer" printed, and the node it was sent to (--node).',
      });
    }
    throw error;
  }
}

/** The one payment of `payer` the token is for; every way it can be missing is explained. */
function choosePayment(view: TransactionView, payer: string, keyPath: string, payee: string | undefined) {
  const terms = paymentTerms(view.document);
  if (terms === undefined) {
    throw new CliError(`Transaction ${view.id} is a ${view.type}, not a final payment: it proves no purchase.`, {
      hint: 'A payer token needs a ledger.transfer without pending terms, or a ledger.payment.',
    });
  }
  const mine = terms.filter((t) => t.payer === payer);
  if (mine.length === 0) {
    const payers = [...new Set(terms.map((t) => t.payer))];
    throw new CliError(
      `The key ${keyPath} (${payer}) did not pay in transaction ${view.id}; ${payers.length === 0 ? 'nobody did' : `it was paid by ${payers.join(', ')}`}.`,
      { hint: 'Only the paying account can create a payer token: use its key file.' },
    );
  }
  const chosen = payee === undefined ? mine : mine.filter((t) => t.payee === payee);
  const describe = (t: PaymentTerms) => `${t.payee} (${t.amount} ${t.currency})`;
  if (chosen.length === 0) {
    throw new CliError(`In transaction ${view.id}, ${payer} paid ${mine.map(describe).join(', ')}, not ${payee}.`, {
      hint: 'Drop --payee, or give one of those accounts.',
    });
  }
  if (chosen.length > 1) {
    throw new CliError(`Transaction ${view.id} pays several payees: ${chosen.map(describe).join(', ')}.`, {
      hint: 'Say which one the token is for with --payee ACCOUNT.',
    });
  }
  return chosen[0] as PaymentTerms;
}

/** Polls until the transaction is sealed in a block, like `webwallet receipt`. */
async function sealedReceipt(client: NodeClient, first: TransactionView, waitMs: number): Promise<Receipt> {
  const deadline = Date.now() + waitMs;
  let view = first;
  while (view.receipt === null && Date.now() < deadline) {
    await sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())));
    view = await fetchTransaction(client, first.id);
  }
  if (view.receipt === null) {
    throw new CliError(
      `Transaction ${first.id} is accepted (seq ${view.seq}) but not yet sealed in a block after ${waitMs} ms.`,
      { hint: 'A token proves a sealed payment. The node seals blocks on a timer: wait longer with --wait-ms.' },
    );
  }
  return view.receipt;
}

/**
 * The node's own key, for the by-reference form. It must be the key that signed the payment's
 * block: otherwise no verifier trusting this node could ever look the payment up.
 */
async function nodeKey(client: NodeClient, receipt: Receipt): Promise<string> {
  const info = await client.get<{ public_key?: unknown }>('/.well-known/webwallet');
  if (typeof info.public_key !== 'string' || !decodePrefixed('pub', info.public_key).ok) {
    throw new CliError(`${client.baseUrl}/.well-known/webwallet has no node "public_key". Is --node a WebWallet node?`);
  }
  if (info.public_key !== receipt.block.body.node) {
    throw new CliError(
      `The node at ${client.baseUrl} signs with ${info.public_key}, but the payment's block was signed by ${receipt.block.body.node}.`,
      { hint: 'Use --form full: the embedded receipt names the key that signed it.' },
    );
  }
  return info.public_key;
}

async function tokenCreate(options: CreateOptions): Promise<void> {
  const key = await readAccountKey(options.key);
  const client = new NodeClient(options);
  // Who paid is known at once: check it before waiting for the block.
  const view = await fetchTransaction(client, options.transaction);
  const term = choosePayment(view, key.publicKey, key.path, options.payee);
  const receipt = await sealedReceipt(client, view, options.waitMs);
  const source =
    options.form === 'full'
      ? { receipt }
      : { node: await nodeKey(client, receipt), document: receipt.document as { type: string; body: unknown } };
  const created = await createPayerToken({
    keyPair: key.keyPair,
    ...source,
    form: options.form,
    audience: options.audience,
    payee: term.payee,
    lifetime_s: options.lifetime,
  });
  if (!created.ok) {
    // choosePayment and the option parsers rule out every failure core reports; this is unexpected.
    throw new CliError(`cannot create the token: ${created.error.code}: ${created.error.message}`, {
      hint: detailsHint(created.error.details as Record<string, unknown>),
    });
  }
  const decoded = await decodePayerToken(created.value);
  if (!decoded.ok) throw new CliError(`the token just created does not decode: ${decoded.error.code}`);
  writeToken(options, created.value, decoded.value.token.body);
}

function writeToken(options: CreateOptions, token: string, claims: PayerTokenClaims): void {
  const summary = {
    token,
    form: options.form,
    length: token.length,
    payment: claims.payment,
    payee: claims.payee,
    amount: claims.amount,
    currency: claims.currency,
    ...(claims.reference === undefined ? {} : { reference: claims.reference }),
    audience: claims.audience,
    expires_at: claims.expires_at,
    ...(options.out === undefined ? {} : { file: options.out }),
  };
  if (options.out === undefined) {
    print(options.json === true, summary, token);
    return;
  }
  try {
    // Whoever holds the token can present it (once): keep it private like the key.
    writeFileSync(options.out, `${token}\n`, { mode: 0o600 });
  } catch (error) {
    throw new CliError(`Cannot write ${options.out}: ${(error as Error).message}`);
  }
  print(
    options.json === true,
    summary,
    `Wrote a ${options.form} payer token (${token.length} characters) for ${claims.amount} ${claims.currency} to ${claims.payee}, audience ${claims.audience}, expiring ${claims.expires_at}, to ${options.out}`,
  );
}

// ---------------------------------------------------------------------------------------------
// token verify

interface VerifyOptions {
  readonly file?: string;
  readonly payee: string;
  readonly amount: string;
  readonly currency: string;
  readonly audience: string[];
  readonly reference?: string;
  readonly nodeKey?: string[];
  readonly nodeKeyFile?: string[];
  readonly nodeUrl?: string;
  readonly json?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > STDIN_BYTES_MAX) {
      throw new CliError(`stdin holds more than ${STDIN_BYTES_MAX} bytes: not a payer token.`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function tokenText(argument: string | undefined, options: VerifyOptions): Promise<string> {
  if ((argument === undefined) === (options.file === undefined)) {
    throw new CliError('Give the token: as the argument, "-" to read it from stdin, or --file FILE (just one).');
  }
  if (options.file !== undefined) return readTextFile(options.file, 'a payer token');
  return argument === '-' ? readStdin() : (argument as string);
}

/**
 * The node keys to trust. With none given, --node-url's /.well-known/webwallet supplies one: that
 * trusts whatever answers at the URL, so it is a convenience for a URL the seller already trusts.
 */
async function trustedNodes(options: VerifyOptions): Promise<{ nodes: TrustedNode[]; fetched?: string }> {
  const keys = [...(options.nodeKey ?? []), ...(options.nodeKeyFile ?? []).map(nodeKeyFromFile)];
  checkNodeKeys(keys);
  const url = options.nodeUrl;
  let fetched: string | undefined;
  if (keys.length === 0) {
    if (url === undefined) {
      throw new CliError('Say which node you trust: --node-key pub_…, --node-key-file FILE or --node-url URL.', {
        hint: 'The node operator prints its key with "webwallet keys show"; it is also at /.well-known/webwallet.',
      });
    }
    fetched = await wellKnownKey(url);
    keys.push(fetched);
  }
  // Each trusted key may be looked up at the URL: the node's answer is checked against the keys anyway.
  const nodes = keys.map((public_key) => (url === undefined ? { public_key } : { public_key, url }));
  return fetched === undefined ? { nodes } : { nodes, fetched };
}

async function wellKnownKey(url: string): Promise<string> {
  let info: { public_key?: unknown };
  try {
    info = await new NodeClient({ node: url }).get<{ public_key?: unknown }>('/.well-known/webwallet');
  } catch (error) {
    throw new CliError(`Cannot fetch the node key from ${url}/.well-known/webwallet: ${(error as Error).message}`, {
      hint: 'Check --node-url, or give the key itself with --node-key or --node-key-file.',
    });
  }
  if (typeof info.public_key !== 'string' || !decodePrefixed('pub', info.public_key).ok) {
    throw new CliError(`${url}/.well-known/webwallet has no node "public_key". Is --node-url a WebWallet node?`);
  }
  return info.public_key;
}

/** What to do on the command line, for failures whose fix is a flag of this command. */
const VERIFY_ADVICE: Partial<Record<string, string>> = {
  token_receipt_required: 'This is a by-reference token: add --node-url <node URL> to look the payment up online.',
  node_key_untrusted:
    'Trust the node that recorded the payment: --node-key pub_… or --node-key-file FILE (details.node is the key the token names).',
  payment_not_sealed: 'The payment is not in a block yet: try again in a second.',
  node_unreachable: 'Check --node-url, or verify a full-form token offline instead.',
};

async function tokenVerify(argument: string | undefined, options: VerifyOptions): Promise<void> {
  const text = await tokenText(argument, options);
  const trust = await trustedNodes(options);
  const json = options.json === true;
  const result = await verifyPayerToken(text, {
    trusted_nodes: trust.nodes,
    expect: {
      payee: options.payee,
      amount: options.amount,
      currency: options.currency,
      audience: options.audience,
      ...(options.reference === undefined ? {} : { reference: options.reference }),
    },
  });
  if (!result.ok) {
    if (json) print(true, { ok: false, ...result.error.toJSON() }, '');
    const advice = VERIFY_ADVICE[result.error.code];
    const details = detailsHint(result.error.details as Record<string, unknown>);
    throw new CliError(`the token does not verify: ${result.error.code}: ${result.error.message}`, {
      hint: [advice, details].filter((line) => line !== undefined).join('\n'),
    });
  }
  const { claims, redemption_key, block_height } = result.value;
  const source = result.value.source === 'receipt' ? 'offline' : 'online';
  const data = {
    ok: true,
    payer: claims.payer,
    payee: claims.payee,
    amount: claims.amount,
    currency: claims.currency,
    ...(claims.reference === undefined ? {} : { reference: claims.reference }),
    audience: claims.audience,
    issued_at: claims.issued_at,
    expires_at: claims.expires_at,
    payment: claims.payment,
    redemption_key,
    source,
    block_height,
    ...(trust.fetched === undefined ? {} : { trusted_node_key_from_url: trust.fetched }),
  };
  const rows: [string, string][] = [
    ['payer', claims.payer],
    ['payee', claims.payee],
    ['amount', `${claims.amount} ${claims.currency}`],
    ...(claims.reference === undefined ? [] : [['reference', claims.reference] as [string, string]]),
    ['audience', claims.audience],
    ['expires_at', claims.expires_at],
    ['redemption', redemption_key],
    ['source', source === 'offline' ? 'offline (the embedded receipt)' : `online (asked ${options.nodeUrl})`],
    ['block', String(block_height)],
  ];
  if (trust.fetched !== undefined) rows.push(['node key', `${trust.fetched} (from ${options.nodeUrl})`]);
  print(
    json,
    data,
    [
      "OK: the token proves this payment (not recorded as redeemed: that is the seller's registry)",
      ...rows.map(([k, v]) => `  ${k.padEnd(10)}  ${v}`),
    ].join('\n'),
  );
}

// ---------------------------------------------------------------------------------------------

export function registerTokenCommands(program: Command): void {
  const token = program
    .command('token')
    .description('payer tokens: prove "I am the one who paid" to a seller (create, verify)');

  token
    .command('create')
    .description('sign a payer token for a payment your key made, for one site (audience); prints the token text')
    .addOption(
      new Option('--key <file>', 'key file of the paying account (from "webwallet keygen")').makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--transaction <id>',
        'id of the payment ("id" printed by "webwallet transfer")',
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option('--audience <origin>', 'the site the token is for, e.g. https://shop.example')
        .argParser(parseAudience)
        .makeOptionMandatory(),
    )
    .addOption(new Option('--payee <account>', 'which payee, when the payment pays several'))
    .addOption(
      new Option('--form <form>', 'full: embeds the receipt, verifiable offline; reference: short, looked up online')
        .choices(['full', 'reference'])
        .default('full'),
    )
    .addOption(
      new Option('--lifetime <duration>', 'how long the token is valid: 3600s, 90m, 24h, 30d')
        .argParser(parseLifetime)
        .default(86_400, '24h'),
    )
    .addOption(
      new Option('--wait-ms <ms>', 'how long to wait for the payment to be sealed in a block')
        .argParser(integerIn(0, 600_000, '--wait-ms'))
        .default(5_000),
    )
    .addOption(new Option('--out <file>', 'write the token to this file (mode 0600) instead of stdout'))
    .addOption(nodeOption())
    .addOption(jsonOption())
    .action(tokenCreate);

  token
    .command('verify')
    .summary('check a payer token against what you sell (validity only: records no redemption)')
    .description(
      "check a payer token against what you sell; exit 0 if valid. It does NOT record the redemption: a token stays valid until it expires, so accepting each payment once is the seller's redemption registry's job",
    )
    .argument('[token]', 'the token text ("wwpt1.…"), or "-" to read it from stdin')
    .addOption(new Option('--file <file>', 'read the token from this file'))
    .addOption(new Option('--payee <account>', 'the account that must have been paid').makeOptionMandatory())
    .addOption(
      new Option('--amount <decimal>', 'the least that must have been paid, e.g. 12.50')
        .argParser(parseAmount)
        .makeOptionMandatory(),
    )
    .addOption(new Option('--currency <code>', 'currency code').argParser(parseCurrency).makeOptionMandatory())
    .addOption(
      new Option('--audience <origin>', "your site's origin, e.g. https://shop.example; repeatable")
        .argParser((value: string, previous: string[] | undefined) => collect(parseAudience(value), previous))
        .makeOptionMandatory(),
    )
    .addOption(new Option('--reference <text>', "the order id the payment's memo must carry"))
    .addOption(
      new Option('--node-key <pub>', 'public key of a ledger node you trust ("pub_…"); repeatable').argParser(collect),
    )
    .addOption(
      new Option(
        '--node-key-file <file>',
        'JSON file with the node\'s "public_key" (e.g. "webwallet keys show --json"); repeatable',
      ).argParser(collect),
    )
    .addOption(
      new Option(
        '--node-url <url>',
        "the node's URL, to look up by-reference tokens online; with no --node-key, its /.well-known/webwallet key is trusted (only as far as you trust the URL)",
      ).argParser(parseHttpUrl),
    )
    .addOption(jsonOption())
    .action(tokenVerify);
}
