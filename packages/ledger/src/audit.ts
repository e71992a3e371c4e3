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
import { LedgerState, lineKey, Overlay } from './engine/state.js';
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
  const snapshot = await storage.loadSnapshot();
  const total = snapshot.log_size;
  const chunk = options.chunk_size ?? 5_000;
  const replay: Replay = {
    state: new LedgerState(),
    frontier: MerkleFrontier.empty(),
    problems: [],
    previous: null,
    height: 0,
    max: options.problems_max ?? 100,
  };
  const blocks = await storage.getBlockRange(0, Number.MAX_SAFE_INTEGER);
  let blockIndex = 0;
  for (let start = 0; start < total; start += chunk) {
    const transactions = await storage.getTransactionRange(start, Math.min(total, start + chunk));
    for (const tx of transactions) {
      const nodes: MerkleNode[] = [];
      replayTransaction(replay, tx, nodes);
      await checkNodes(storage, replay, nodes);
      while (blocks[blockIndex] && blocks[blockIndex]!.tree_size === replay.frontier.size) {
        checkBlock(replay, blocks[blockIndex]!, options.nodeKeys);
        blockIndex++;
      }
    }
    if (transactions.length !== Math.min(chunk, total - start)) problem(replay, `log has a gap near seq ${start}`);
    options.onProgress?.(Math.min(total, start + chunk), total);
  }
  for (const block of blocks.slice(blockIndex))
    problem(replay, `block ${block.height} has tree_size ${block.tree_size}, not a size the log reached`);
  const lines = await storage.allLines();
  compareLines(replay, lines);
  for (const violation of findInvariantViolations(replay.state)) problem(replay, `invariant: ${violation}`);
  return { transactions: total, blocks: blocks.length, lines: lines.length, problems: replay.problems };
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
