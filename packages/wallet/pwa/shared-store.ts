import { canonicalize, encodePrefixed, err, type KeyPair, ok, type Result } from '@webwallet/core';
import {
  authorityOf,
  type JsonValue,
  MEMBER_NAME_LENGTH_MAX,
  type Proposal,
  parseProposal,
  proposalId,
  type SharedWallet,
  validateSharedWallet,
} from '@webwallet/wallet';
import type { Session } from './session.js';
import { describeError } from './ui.js';

/**
 * Where the app keeps shared wallets and their proposals: in the wallet document's settings (small
 * JSON values, sealed with the document and synced with it to this wallet's other devices). The
 * document has no collection of its own for them yet; a setting holds at most 4 KB, which fits a
 * description of a dozen members or a proposal with ten signatures.
 *
 * Each member signs for a shared wallet with a key of its own, derived from the recovery phrase at
 * SHARED_KEY_INDEX_BASE + i: the ledger names the shared account by the first signer's key, and a
 * key names at most one account, so the key is never one of the personal accounts' (0, 1, …).
 */

export const SHARED_KEY_INDEX_BASE = 2 ** 30;
/** How many shared keys a description is searched for when joining (a member's "My key" so far). */
export const SHARED_KEY_SCAN_MAX = 64;
/** Proposals are forgotten this long after they expire (until then the list says "expired"). */
export const PROPOSAL_KEEP_AFTER_EXPIRY_MS = 60 * 60_000;
/** The description another member pastes to add the shared wallet. */
export const DESCRIPTION_TYPE = 'webwallet.shared.wallet';

const WALLET_PREFIX = 'shared.wallet:';
const PROPOSAL_PREFIX = 'shared.proposal:';

export interface StoredShared {
  /** What the members call the shared wallet. */
  readonly name: string;
  /** The derivation index of this wallet's key among the members. */
  readonly index: number;
  /** That key, "pub_…": how the members know this wallet. */
  readonly key: string;
  readonly wallet: SharedWallet;
}

export type ProposalState = 'pending' | 'declined' | 'done';

export interface StoredProposal {
  readonly proposal: Proposal;
  readonly state: ProposalState;
  /** Set once the ledger holds it: the block that sealed it. */
  readonly block_height?: number;
}

function invalid(field: string, reason: string): Result<never> {
  return err('shared_wallet_invalid', { field, reason });
}

/** The key pair at a derivation index (Session.keyPair derives from the index alone). */
export function keyPairAt(session: Session, index: number): Promise<KeyPair> {
  return session.keyPair({ id: '', node: session.nodeUrl, index, created_at: '' });
}

export async function keyAt(session: Session, index: number): Promise<string> {
  return encodePrefixed('pub', (await keyPairAt(session, index)).publicKey);
}

function readShared(value: JsonValue | undefined): StoredShared | undefined {
  const record = value as Partial<StoredShared> | undefined;
  if (typeof record?.name !== 'string' || typeof record.key !== 'string' || !Number.isSafeInteger(record.index)) {
    return undefined;
  }
  const wallet = validateSharedWallet(record.wallet);
  if (!wallet.ok) return undefined;
  return { name: record.name, index: record.index as number, key: record.key, wallet: wallet.value };
}

/** The shared wallets this wallet is a member of, by name. */
export function sharedWallets(session: Session): StoredShared[] {
  const settings = session.document.settings();
  const found = Object.entries(settings)
    .filter(([key]) => key.startsWith(WALLET_PREFIX))
    .map(([, value]) => readShared(value));
  return found.filter((s): s is StoredShared => s !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}

/** The shared wallet whose ledger account is `account`. */
export function sharedByAccount(session: Session, account: string): StoredShared | undefined {
  return sharedWallets(session).find((s) => authorityOf(s.wallet, account) !== undefined);
}

/** Stores a value in the wallet document and saves it: undefined, or a sentence saying why not. */
async function put(session: Session, key: string, value: unknown): Promise<string | undefined> {
  const set = session.document.setSetting(key, value as JsonValue);
  if (!set.ok) return `This device could not keep it: ${describeError(set.error)}`;
  try {
    await session.save();
    return undefined;
  } catch (error) {
    return `This device could not save it: ${(error as Error).message}.`;
  }
}

export function putShared(session: Session, shared: StoredShared): Promise<string | undefined> {
  return put(session, WALLET_PREFIX + shared.wallet.account, shared);
}

/** The index of this wallet's next shared key: the lowest one (above `after`) no stored shared wallet uses. */
export function nextKeyIndex(session: Session, after = SHARED_KEY_INDEX_BASE - 1): number {
  const used = new Set(sharedWallets(session).map((s) => s.index));
  let index = after + 1;
  while (used.has(index)) index++;
  return index;
}

/** Which of this wallet's shared keys is a member of the shared wallet, if any. */
export async function findMyIndex(session: Session, wallet: SharedWallet): Promise<number | undefined> {
  const keys = new Set(wallet.members.map((m) => m.key));
  for (let index = SHARED_KEY_INDEX_BASE; index < SHARED_KEY_INDEX_BASE + SHARED_KEY_SCAN_MAX; index++) {
    if (keys.has(await keyAt(session, index))) return index;
  }
  return undefined;
}

/** The text a member sends the others so they can add the shared wallet. */
export function descriptionText(shared: StoredShared): string {
  return canonicalize({ type: DESCRIPTION_TYPE, name: shared.name, wallet: shared.wallet });
}

/** Reads a description (as descriptionText writes it); the wallet inside is validated. */
export function readDescription(text: string): Result<{ name: string; wallet: SharedWallet }> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid('', 'not a shared wallet description: paste the whole text a member sent');
  }
  const record = value as { type?: unknown; name?: unknown; wallet?: unknown } | null;
  if (record?.type !== DESCRIPTION_TYPE) return invalid('type', `a "${DESCRIPTION_TYPE}" description`);
  const name = typeof record.name === 'string' ? record.name.trim() : '';
  if (name === '' || name.length > MEMBER_NAME_LENGTH_MAX) {
    return invalid('name', `a name of 1 to ${MEMBER_NAME_LENGTH_MAX} characters`);
  }
  const wallet = validateSharedWallet(record.wallet);
  return wallet.ok ? ok({ name, wallet: wallet.value }) : wallet;
}

// --- proposals -----------------------------------------------------------------------------------

function readProposal(session: Session, value: JsonValue | undefined): StoredProposal | undefined {
  const record = value as Partial<StoredProposal> | undefined;
  const account = (record?.proposal as { account?: unknown } | undefined)?.account;
  const shared = typeof account === 'string' ? sharedByAccount(session, account) : undefined;
  if (!record || shared === undefined || !['pending', 'declined', 'done'].includes(String(record.state))) {
    return undefined;
  }
  const proposal = parseProposal(record.proposal, shared.wallet);
  if (!proposal.ok) return undefined;
  const height = typeof record.block_height === 'number' ? { block_height: record.block_height } : {};
  return { proposal: proposal.value, state: record.state as ProposalState, ...height };
}

/** The stored proposals, newest first. */
export function storedProposals(session: Session): StoredProposal[] {
  const found = Object.entries(session.document.settings())
    .filter(([key]) => key.startsWith(PROPOSAL_PREFIX))
    .map(([, value]) => readProposal(session, value));
  return found
    .filter((p): p is StoredProposal => p !== undefined)
    .sort((a, b) => Date.parse(b.proposal.created_at) - Date.parse(a.proposal.created_at));
}

export function storedProposal(session: Session, id: string): StoredProposal | undefined {
  return readProposal(session, session.document.setting(PROPOSAL_PREFIX + id));
}

export function putProposal(session: Session, entry: StoredProposal): Promise<string | undefined> {
  return put(session, PROPOSAL_PREFIX + proposalId(entry.proposal), entry);
}

/** Forgets proposals an hour after they expired: nobody can submit them any more. */
export async function pruneProposals(session: Session, now_ms: number = Date.now()): Promise<void> {
  let removed = false;
  for (const [key, value] of Object.entries(session.document.settings())) {
    if (!key.startsWith(PROPOSAL_PREFIX)) continue;
    const expires = Date.parse(String((value as { proposal?: { expires_at?: unknown } }).proposal?.expires_at));
    const stale = Number.isNaN(expires) || now_ms > expires + PROPOSAL_KEEP_AFTER_EXPIRY_MS;
    if (stale) removed = session.document.removeSetting(key) || removed;
  }
  if (removed) await session.save();
}
