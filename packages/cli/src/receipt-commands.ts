import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Receipt, verifyReceipt } from '@webwallet/core';
import type { TransactionView } from '@webwallet/ledger';
import { type Command, Option } from 'commander';
import { type ClientOptions, clientCommand, detailsHint, NodeClient } from './client.js';
import { checkNodeKeys, nodeKeyFromFile, readJsonFile } from './node-key-files.js';
import { CliError, collect, integerIn, jsonOption, print } from './util.js';

/** How often `receipt` asks again when the node answers before the block (a node without `wait_ms`). */
const POLL_INTERVAL_MS = 100;
/** Longest hold asked of the node per lookup: within its 10 s limit and the client's request timeout. */
const HOLD_MAX_MS = 5_000;

interface ReceiptOptions extends ClientOptions {
  readonly out?: string;
  readonly waitMs: number;
  readonly json?: boolean;
}

async function receipt(id: string, options: ReceiptOptions): Promise<void> {
  const client = new NodeClient(options);
  const deadline = Date.now() + options.waitMs;
  // The node holds each lookup until the block is sealed (?wait_ms=), so one request usually does.
  const lookup = () => {
    const hold = Math.min(HOLD_MAX_MS, Math.max(0, deadline - Date.now()));
    return client.get<TransactionView>(`/v1/transactions/${encodeURIComponent(id)}?wait_ms=${hold}`);
  };
  let view = await lookup();
  while (view.receipt === null && Date.now() < deadline) {
    await sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())));
    view = await lookup();
  }
  if (view.receipt === null) {
    throw new CliError(
      `Transaction ${id} is accepted (seq ${view.seq}) but not yet sealed in a block after ${options.waitMs} ms.`,
      { hint: 'The node seals blocks on a timer; try again, or wait longer with --wait-ms.' },
    );
  }
  const text = `${JSON.stringify(view.receipt, null, 2)}\n`;
  if (options.out === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(options.out, text);
  } catch (error) {
    throw new CliError(`Cannot write ${options.out}: ${(error as Error).message}`);
  }
  const summary = { id, file: options.out, index: view.receipt.index, block_height: view.receipt.block.body.height };
  print(
    options.json === true,
    summary,
    `Wrote the receipt of ${id} (index ${summary.index}, block ${summary.block_height}) to ${options.out}`,
  );
}

interface VerifyOptions {
  readonly nodeKey?: string[];
  readonly nodeKeyFile?: string[];
  readonly json?: boolean;
}

function trustedNodeKeys(options: VerifyOptions): string[] {
  const keys = [...(options.nodeKey ?? []), ...(options.nodeKeyFile ?? []).map(nodeKeyFromFile)];
  if (keys.length === 0) {
    throw new CliError('Say which node you trust: --node-key pub_… or --node-key-file FILE.', {
      hint: 'The node operator prints it with "webwallet keys show"; it is also at /.well-known/webwallet.',
    });
  }
  checkNodeKeys(keys);
  return keys;
}

/** Verifies a receipt file offline, with only the trusted node keys: no network at all. */
async function verifyReceiptFile(file: string, options: VerifyOptions): Promise<void> {
  const keys = trustedNodeKeys(options);
  let value = readJsonFile(file, 'a receipt');
  // Also accept the whole answer of GET /v1/transactions/{id}, which carries the receipt.
  if (typeof value === 'object' && value !== null && 'receipt' in value && !('version' in value)) {
    value = (value as { receipt: unknown }).receipt;
    if (value === null) throw new CliError(`${file} holds a transaction that was not yet sealed: it has no receipt.`);
  }
  const result = await verifyReceipt(value, keys);
  const json = options.json === true;
  if (!result.ok) {
    if (json) print(true, { ok: false, ...result.error.toJSON() }, '');
    throw new CliError(`the receipt does not verify: ${result.error.code}: ${result.error.message}`, {
      hint: detailsHint(result.error.details as Record<string, unknown>),
    });
  }
  const { document_id, index, block } = result.value;
  const document = (value as Receipt).document as { type: string; body: { id?: unknown } };
  const id = typeof document.body.id === 'string' ? document.body.id : null;
  const data = {
    ok: true,
    document_id,
    id,
    type: document.type,
    index,
    block_height: block.height,
    block_timestamp: block.timestamp,
    tree_size: block.tree_size,
    node: block.node,
  };
  print(
    json,
    data,
    [
      `OK: ${document_id} is included in the ledger of node ${block.node}`,
      `  transaction  ${document.type} ${id ?? ''}`.trimEnd(),
      `  index        ${index}`,
      `  block        ${block.height} (tree size ${block.tree_size}, sealed ${block.timestamp})`,
    ].join('\n'),
  );
}

export function registerReceiptCommands(program: Command): void {
  clientCommand(
    program
      .command('receipt')
      .description("fetch a transaction's receipt: document, signed block and Merkle inclusion proof")
      .argument(
        '<tx-id>',
        'the transaction id (the "id" printed when it was accepted); put "--" before an id that begins with "-"',
      )
      .addOption(new Option('--out <file>', 'write the receipt JSON to this file instead of stdout'))
      .addOption(
        new Option('--wait-ms <ms>', 'how long to wait for the transaction to be sealed in a block')
          .argParser(integerIn(0, 600_000, '--wait-ms'))
          .default(5_000),
      ),
  ).action(receipt);

  program
    .command('verify-receipt')
    .description("verify a receipt offline, with only the node's public key (no network)")
    .argument('<file>', 'receipt JSON (from "webwallet receipt" or GET /v1/transactions/{id})')
    .addOption(
      new Option('--node-key <pub>', 'public key of a node you trust ("pub_…"); repeatable').argParser(collect),
    )
    .addOption(
      new Option(
        '--node-key-file <file>',
        'JSON file with the node\'s "public_key" (e.g. "webwallet keys show --json"); repeatable',
      ).argParser(collect),
    )
    .addOption(jsonOption())
    .action(verifyReceiptFile);
}
