import {
  type BlockHeader,
  bytesEqual,
  documentHash,
  type SignedDocument,
  toHex,
  verifyDocumentSync,
} from '@webwallet/core';
import { MerkleFrontier, type MerkleNode } from './chain/merkle-log.js';
import { applyTransaction } from './engine/apply.js';
import { findInvariantViolations } from './engine/invariants.js';
import { type Account, LedgerState, type Line, lineKey, Overlay } from './engine/state.js';
import { policyToJson, spentToJson } from './storage/codec.js';
import type { LedgerStorage, StoredBlock, StoredTransaction } from './storage/storage.js';
import { prepareTransaction } from './verify/prepare.js';

export interface AuditOptions {
  /** Node keys whose block signatures are accepted. */
  readonly nodeKeys: readonly string[];
  /** Called after each chunk with (transactions checked, total). */
  readonly onProgress?: (done: number, total: number) => void;
  readonly chunk_size?: number;
  /** Stop listing problems after this many. */
  readonly problems_max?: number;
}

export interface AuditReport {
  readonly transactions: number;
  readonly blocks: number;
  readonly lines: number;
  readonly accounts: number;
  readonly problems: readonly string[];
}

interface Replay {
  readonly state: LedgerState;
  readonly frontier: MerkleFrontier;
  readonly problems: string[];
  previous: string | null;
  height: number;
  readonly max: number;
}

/**
 * Re-verifies the whole ledger from its documents: every document hash and signature, every
 * transaction replayed in log order from empty state (it must be accepted again, with the
 * recorded time), every Merkle node and block (root, hash chain, node signature), and finally
 * the replayed balances against the stored ones. Replay is deterministic, so a clean ledger
 * reproduces identical balances and identical block hashes.
 */
export async function auditLedger(storage: LedgerStorage, options: AuditOptions): Promise<AuditReport> {
  const chunk = options.chunk_size ?? 5_000;
  const replay: Replay = {
    state: new LedgerState(),
    frontier: MerkleFrontier.empty(),
    problems: [],
    previous: null,
    height: 0,
    max: options.problems_max ?? 100,
  };
  const blocks = new BlockCursor(storage);
  let target = await storage.logSize();
  let lines: Line[];
  let accounts: Account[];
  // The node may keep committing while we read. Each commit writes its transactions and balances
  // atomically, so balances read between two equal log sizes belong to exactly that log: replay
  // up to the log size, read the balances, and repeat if the log grew meanwhile.
  for (;;) {
    while (replay.frontier.size < target) {
      const start = replay.frontier.size;
      blocks.rearm();
      const transactions = await storage.getTransactionRange(start, Math.min(target, start + chunk));
      if (transactions.length === 0 || transactions[0]!.seq !== start) {
        problem(replay, `log has a gap at seq ${start}`);
        break;
      }
      for (const tx of transactions) {
        const nodes: MerkleNode[] = [];
        replayTransaction(replay, tx, nodes);
        await checkNodes(storage, replay, nodes);
        await blocks.checkAt(replay, options.nodeKeys);
      }
      options.onProgress?.(replay.frontier.size, target);
    }
    const before = await storage.logSize();
    if (before > replay.frontier.size) {
      target = before;
      continue;
    }
    lines = await storage.allLines();
    accounts = await storage.allAccounts();
    const after = await storage.logSize();
    if (after === before) break;
    target = after;
  }
  // Blocks beyond this size belong to commits after the audited point; they are not checked.
  await blocks.checkAt(replay, options.nodeKeys, true);
  compareLines(replay, lines);
  compareAccounts(replay, accounts);
  for (const violation of findInvariantViolations(replay.state)) problem(replay, `invariant: ${violation}`);
  return {
    transactions: replay.frontier.size,
    blocks: replay.height,
    lines: lines.length,
    accounts: accounts.length,
    problems: replay.problems,
  };
}

/** Reads blocks in height order, a page at a time, as the replay reaches their tree sizes. */
class BlockCursor {
  private page: StoredBlock[] = [];
  private nextHeight = 0;
  /** Storage had no more blocks at the last read: do not ask again per transaction. */
  private exhausted = false;

  constructor(private readonly storage: LedgerStorage) {}

  private async head(refresh: boolean): Promise<StoredBlock | undefined> {
    if (this.page.length === 0 && (refresh || !this.exhausted)) {
      this.page = await this.storage.getBlockRange(this.nextHeight, this.nextHeight + 1_000);
      this.nextHeight += this.page.length;
      this.exhausted = this.page.length === 0;
    }
    return this.page[0];
  }

  /** Lets the next check look for newly stored blocks again (once per chunk, not per transaction). */
  rearm(): void {
    this.exhausted = false;
  }

  /** Checks every block sealed at the replay's current size; `refresh` looks for newly stored blocks. */
  async checkAt(replay: Replay, nodeKeys: readonly string[], refresh = false): Promise<void> {
    for (
      let block = await this.head(refresh);
      block && block.tree_size <= replay.frontier.size;
      block = await this.head(refresh)
    ) {
      this.page.shift();
      if (block.tree_size === replay.frontier.size) checkBlock(replay, block, nodeKeys);
      else problem(replay, `block ${block.height} has tree_size ${block.tree_size}, out of order with the log`);
    }
  }
}

function problem(replay: Replay, text: string): void {
  if (replay.problems.length < replay.max) replay.problems.push(text);
}

function replayTransaction(replay: Replay, tx: StoredTransaction, nodes: MerkleNode[]): void {
  let document: SignedDocument;
  try {
    document = JSON.parse(tx.document_json) as SignedDocument;
  } catch {
    problem(replay, `seq ${tx.seq}: stored document is not JSON`);
    return;
  }
  const prepared = prepareTransaction(document, { allowSystem: true, nodeAuthorized: tx.node_authorized });
  if (!prepared.ok) {
    problem(replay, `seq ${tx.seq} (${tx.id}): ${prepared.error.code} ${JSON.stringify(prepared.error.details)}`);
    replay.frontier.append(tx.hash, nodes);
    return;
  }
  if (!bytesEqual(prepared.value.hash, tx.hash))
    problem(replay, `seq ${tx.seq} (${tx.id}): stored hash does not match the document`);
  if (prepared.value.id !== tx.id)
    problem(replay, `seq ${tx.seq}: stored id ${tx.id} does not match the document's ${prepared.value.id}`);
  const overlay = new Overlay(replay.state);
  const result = applyTransaction(overlay, prepared.value, { seq: tx.seq, accepted_at_ms: tx.accepted_at_ms });
  if (result.ok) overlay.foldInto(replay.state);
  else problem(replay, `seq ${tx.seq} (${tx.id}): replay rejects it with ${result.error.code}`);
  replay.frontier.append(tx.hash, nodes);
}

async function checkNodes(storage: LedgerStorage, replay: Replay, nodes: readonly MerkleNode[]): Promise<void> {
  for (const node of nodes) {
    const stored = await storage.merkleNode(node.level, node.index);
    if (!stored || !bytesEqual(stored, node.hash))
      problem(replay, `Merkle node ${node.level}/${node.index} is missing or wrong`);
  }
}

function checkBlock(replay: Replay, block: StoredBlock, nodeKeys: readonly string[]): void {
  const document = JSON.parse(block.document_json) as SignedDocument<BlockHeader>;
  const header = document.body;
  const where = `block ${block.height}`;
  if (!nodeKeys.includes(header.node)) problem(replay, `${where}: signed by untrusted key ${header.node}`);
  const verified = verifyDocumentSync(document, [header.node]);
  if (!verified.ok) problem(replay, `${where}: ${verified.error.code}`);
  if (header.height !== replay.height || block.height !== replay.height)
    problem(replay, `${where}: height out of sequence`);
  if (header.previous !== replay.previous) problem(replay, `${where}: previous hash breaks the chain`);
  if (header.root !== toHex(replay.frontier.root())) problem(replay, `${where}: Merkle root does not match the log`);
  const hash = documentHash(header);
  if (!bytesEqual(hash, block.hash)) problem(replay, `${where}: stored hash does not match the header`);
  replay.previous = toHex(hash);
  replay.height++;
}

function compareLines(
  replay: Replay,
  stored: readonly {
    holder: string;
    currency: string;
    balance: bigint;
    held: bigint;
    limit: bigint;
    credit_limit: bigint;
    frozen: boolean;
  }[],
): void {
  const seen = new Set<string>();
  for (const line of stored) {
    const key = lineKey(line.holder, line.currency);
    seen.add(key);
    const expected = replay.state.lines.get(key);
    const where = `${line.holder}/${line.currency}`;
    if (!expected) {
      problem(replay, `${where}: stored line that no transaction created`);
      continue;
    }
    for (const field of ['balance', 'held', 'limit', 'credit_limit', 'frozen'] as const) {
      if (expected[field] !== line[field])
        problem(replay, `${where}: stored ${field} ${line[field]} != replayed ${expected[field]}`);
    }
  }
  for (const [key, line] of replay.state.lines) {
    if (!seen.has(key)) problem(replay, `${line.holder}/${line.currency}: replayed line missing from storage`);
  }
}

/**
 * Stored accounts against the replayed ones: keys, threshold and spending policy can change
 * (ledger.account.update), so a row edited outside the log would let other keys sign.
 */
function compareAccounts(replay: Replay, stored: readonly Account[]): void {
  const seen = new Set<string>();
  for (const account of stored) {
    seen.add(account.id);
    const expected = replay.state.accounts.get(account.id);
    if (!expected) {
      problem(replay, `account ${account.id}: stored account that no transaction created`);
      continue;
    }
    const fields = {
      keys: (a: Account) => JSON.stringify(a.keys),
      threshold: (a: Account) => String(a.threshold),
      custodial: (a: Account) => String(a.custodial),
      allow_rippling: (a: Account) => String(a.allow_rippling),
      spending_policy: (a: Account) => String(policyToJson(a.spending_policy)),
      small_spent: (a: Account) => spentToJson(a.small_spent),
    };
    for (const [field, show] of Object.entries(fields)) {
      if (show(account) !== show(expected))
        problem(replay, `account ${account.id}: stored ${field} ${show(account)} != replayed ${show(expected)}`);
    }
  }
  for (const id of replay.state.accounts.keys()) {
    if (!seen.has(id)) problem(replay, `account ${id}: replayed account missing from storage`);
  }
}
