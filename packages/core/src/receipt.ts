import { documentHash, parseDocument, type SignedDocument, verifyDocument } from './document.js';
import { decodePrefixed, fromHex, toHex } from './encoding.js';
import { err, ok, type Result, unwrap } from './errors.js';
import { leafHash, PROOF_LENGTH_MAX, TREE_SIZE_MAX, verifyInclusion } from './merkle.js';

/**
 * A block header: a checkpoint of the node's transaction log. Blocks are hash-chained through
 * `previous` and signed by the node, and `root` is the RFC 9162 Merkle root over every
 * transaction hash so far, so every block is consistent with every earlier one.
 */
export interface BlockHeader {
  /** 0 for the first block. */
  readonly height: number;
  /** Hex SHA-256 of the previous block's canonical header (its document hash); null for height 0. */
  readonly previous: string | null;
  /** When the node sealed the block (RFC 3339, UTC). */
  readonly timestamp: string;
  /** Number of transactions in the log when the block was sealed. */
  readonly tree_size: number;
  /** Hex Merkle root over the first tree_size transaction hashes. */
  readonly root: string;
  /** The node that signed it ("pub_…"). */
  readonly node: string;
}

export const BLOCK_DOCUMENT_TYPE = 'ledger.block';
export type SignedBlock = SignedDocument<BlockHeader>;

/**
 * Proof that a transaction was accepted: the document, its position in the log, the signed
 * block whose root covers it, and the inclusion proof. It verifies offline with only the node's
 * public key.
 */
export interface Receipt {
  readonly version: 1;
  readonly document: SignedDocument;
  /** The transaction's position in the log: its Merkle leaf index. */
  readonly index: number;
  readonly block: SignedBlock;
  /** Hex subtree hashes, leaf to root (RFC 9162 section 2.1.3.1). */
  readonly proof: readonly string[];
}

/** The Merkle leaf of a transaction: HASH(0x00 || SHA-256(JCS(body))). */
export function transactionLeaf(body: unknown): Uint8Array {
  return leafHash(documentHash(body));
}

/** Hex hash of a block: SHA-256 of its canonical header, which the next block names as `previous`. */
export function blockHash(header: BlockHeader): string {
  return toHex(documentHash(header));
}

const HEX32 = /^[0-9a-f]{64}$/;

function invalid(reason: string): Result<never> {
  return err('receipt_invalid', { reason });
}

function checkHeader(value: unknown): Result<BlockHeader> {
  const h = value as Partial<BlockHeader> | null;
  if (typeof h !== 'object' || h === null) return invalid('block body is not an object');
  const sizeOk =
    Number.isSafeInteger(h.tree_size) && (h.tree_size as number) >= 0 && (h.tree_size as number) <= TREE_SIZE_MAX;
  if (!Number.isSafeInteger(h.height) || (h.height as number) < 0)
    return invalid('block height must be a non-negative integer');
  if (!sizeOk) return invalid('block tree_size must be a non-negative integer');
  if (typeof h.root !== 'string' || !HEX32.test(h.root)) return invalid('block root must be 64 hex digits');
  if (h.previous !== null && (typeof h.previous !== 'string' || !HEX32.test(h.previous))) {
    return invalid('block previous must be null or 64 hex digits');
  }
  if (typeof h.timestamp !== 'string' || typeof h.node !== 'string')
    return invalid('block timestamp and node are strings');
  return ok(h as BlockHeader);
}

/**
 * Blocks already verified, by header id, key and signature: many receipts share one block, and
 * re-checking its signature would double the cost of verifying each payer token. Bounded LRU.
 */
const VERIFIED_BLOCKS_MAX = 4_096;
const verifiedBlocks = new Map<string, true>();

function rememberBlock(key: string): void {
  if (verifiedBlocks.size >= VERIFIED_BLOCKS_MAX) verifiedBlocks.delete(verifiedBlocks.keys().next().value as string);
  verifiedBlocks.set(key, true);
}

/**
 * Verifies a signed block: shape, and a valid signature by one of the trusted node keys.
 *
 * @example const header = await verifyBlock(block, ['pub_…']);
 */
export async function verifyBlock(block: unknown, trustedNodeKeys: readonly string[]): Promise<Result<BlockHeader>> {
  const b = block as Partial<SignedBlock> | null;
  if (typeof b !== 'object' || b === null || b.type !== BLOCK_DOCUMENT_TYPE || b.version !== 1) {
    return invalid(`block must be a "${BLOCK_DOCUMENT_TYPE}" version 1 document`);
  }
  const header = checkHeader(b.body);
  if (!header.ok) return header;
  if (!trustedNodeKeys.includes(header.value.node)) {
    return err('node_key_untrusted', { node: header.value.node });
  }
  const signatures = Array.isArray(b.signatures) ? b.signatures : [];
  const cacheKey =
    signatures.length === 1 ? `${blockHash(header.value)} ${signatures[0]?.key} ${signatures[0]?.sig}` : '';
  if (cacheKey !== '' && verifiedBlocks.has(cacheKey)) return header;
  const verified = await verifyDocument(block, [header.value.node]);
  if (!verified.ok) return verified;
  if (cacheKey !== '') rememberBlock(cacheKey);
  return header;
}

export interface VerifiedReceipt {
  /** "doc_…" id of the transaction document. */
  readonly document_id: string;
  readonly index: number;
  readonly block: BlockHeader;
}

/**
 * Verifies a receipt offline: the block is signed by a trusted node key, the document's own
 * signatures are valid, and the inclusion proof places the document's hash at `index` in the tree
 * whose root the block signs.
 *
 * @example
 * const result = await verifyReceipt(receipt, ['pub_…node key…']);
 * if (result.ok) console.log('paid, in block', result.value.block.height);
 */
export async function verifyReceipt(
  receipt: unknown,
  trustedNodeKeys: readonly string[],
): Promise<Result<VerifiedReceipt>> {
  return checkReceipt(receipt, trustedNodeKeys, true);
}

/**
 * Verifies that a trusted node logged the receipt's document body, without checking the
 * document's own signatures: the node accepted the document only after checking them, and the
 * leaf commits to the body alone. This is what a payer-token verifier needs, at half the cost.
 */
export async function verifyReceiptInclusion(
  receipt: unknown,
  trustedNodeKeys: readonly string[],
): Promise<Result<VerifiedReceipt>> {
  return checkReceipt(receipt, trustedNodeKeys, false);
}

async function checkReceipt(
  receipt: unknown,
  trustedNodeKeys: readonly string[],
  documentSignatures: boolean,
): Promise<Result<VerifiedReceipt>> {
  const r = receipt as Partial<Receipt> | null;
  if (typeof r !== 'object' || r === null || r.version !== 1)
    return invalid('receipt must be an object with version 1');
  if (
    !Array.isArray(r.proof) ||
    r.proof.length > PROOF_LENGTH_MAX ||
    !r.proof.every((h) => typeof h === 'string' && HEX32.test(h))
  ) {
    return invalid('proof must be an array of 64-hex-digit hashes');
  }
  if (!Number.isSafeInteger(r.index) || (r.index as number) < 0) return invalid('index must be a non-negative integer');
  const document = parseDocument(r.document);
  if (!document.ok) return invalid(`document: ${String(document.error.details.reason ?? document.error.message)}`);
  const block = await verifyBlock(r.block, trustedNodeKeys);
  if (!block.ok) return block;
  if (documentSignatures) {
    const signed = await verifyDocument(r.document);
    if (!signed.ok) return signed;
  }
  // The shapes were checked above, so these decodings cannot fail.
  const proof = r.proof.map((h) => unwrap(fromHex(h)));
  const root = unwrap(fromHex(block.value.root));
  const leaf = leafHash(unwrap(decodePrefixed('doc', document.value.id)));
  const included = verifyInclusion(leaf, r.index as number, block.value.tree_size, proof, root);
  if (!included.ok) return included;
  return ok({ document_id: document.value.id, index: r.index as number, block: block.value });
}
