import {
  createDocument,
  encodePrefixed,
  err,
  fromUtf8,
  type KeyPair,
  ok,
  type Receipt,
  type Result,
  randomBytes,
  toBase64Url,
  utf8,
  verifyReceipt,
} from '@webwallet/core';
import {
  type Account,
  accountKeyPair,
  deriveLockKey,
  KDF_DEFAULT,
  kdfParamsProblem,
  LOCK_SALT_BYTES,
  type NodeClient,
  openSealed,
  type StoredReceipt,
  seal,
  WalletDocument,
  walletId,
  walletSeed,
} from '@webwallet/wallet';
import { loadWallet, type StoredWallet, saveWallet } from './store.js';

/**
 * An unlocked wallet: the lock key, the wallet seed and the wallet document, in memory only while
 * the app is unlocked. Locking zeroes the key and the seed. The passphrase itself is never kept.
 *
 * WebCrypto non-extractable keys would keep the account keys out of reach of the page's own
 * script; they come later. Until then the seed lives in this page's memory while unlocked, and
 * at rest only sealed under the passphrase.
 */

// The sealed blobs are bound to their purpose and to the wallet: one cannot stand in for another.
const SECRETS_AAD = 'webwallet:pwa:secrets:v1:';
const DOCUMENT_AAD = 'webwallet:pwa:document:v1:';

/** The node a wallet uses, as it described itself when the wallet was set up here. */
export interface NodeIdentity {
  readonly url: string;
  readonly public_key: string;
}

interface Secrets {
  readonly phrase: string;
}

export class Session {
  private readonly verified = new Map<string, Promise<boolean>>();

  private constructor(
    private record: StoredWallet,
    private readonly key: Uint8Array,
    private readonly seed: Uint8Array,
    readonly document: WalletDocument,
  ) {}

  get nodeUrl(): string {
    return this.record.node_url;
  }

  get nodeKey(): string {
    return this.record.node_key;
  }

  get walletId(): string {
    return this.record.wallet_id;
  }

  /**
   * Sets up a wallet on this device from a checked recovery phrase (a new one or one being
   * restored): derives the lock key, makes account 0, seals everything and stores it.
   */
  static async create(phrase: string, passphrase: string, node: NodeIdentity): Promise<Session> {
    const seeded = await walletSeed(phrase);
    if (!seeded.ok) throw new TypeError('the recovery phrase must be checked before a wallet is made from it');
    const seed = seeded.value;
    const salt = randomBytes(LOCK_SALT_BYTES);
    const key = await deriveLockKey(passphrase, salt, KDF_DEFAULT);
    const wallet_id = walletId(seed);
    const document = WalletDocument.create();
    const first = await accountKeyPair(seed, 0);
    const created_at = new Date().toISOString();
    const account = { id: encodePrefixed('pub', first.publicKey), node: node.url, index: 0, label: 'Main account' };
    const put = document.putAccount({ ...account, created_at });
    if (!put.ok) throw put.error;
    const secrets = seal(key, utf8(JSON.stringify({ phrase } satisfies Secrets)), utf8(SECRETS_AAD + wallet_id));
    const record: StoredWallet = {
      version: 1,
      wallet_id,
      node_url: node.url,
      node_key: node.public_key,
      kdf: KDF_DEFAULT,
      salt,
      secrets,
      document: seal(key, document.encodeState(), utf8(DOCUMENT_AAD + wallet_id)),
      created_at,
    };
    await saveWallet(record);
    return new Session(record, key, seed, document);
  }

  /** Opens the stored wallet with its passphrase: passphrase_wrong when it does not open. */
  static async unlock(record: StoredWallet, passphrase: string): Promise<Result<Session>> {
    const problem = kdfParamsProblem(record.kdf);
    if (problem) return err('backup_invalid', { reason: problem });
    const key = await deriveLockKey(passphrase, record.salt, record.kdf);
    const secrets = openSealed(key, record.secrets, utf8(SECRETS_AAD + record.wallet_id));
    if (!secrets.ok) return secrets;
    const { phrase } = JSON.parse(fromUtf8(secrets.value)) as Secrets;
    const seeded = await walletSeed(phrase);
    if (!seeded.ok) return err('backup_invalid', { reason: 'the stored recovery phrase is damaged' });
    const state = openSealed(key, record.document, utf8(DOCUMENT_AAD + record.wallet_id));
    if (!state.ok) return state;
    const document = WalletDocument.load(state.value);
    if (!document.ok) return document;
    return ok(new Session(record, key, seeded.value, document.value));
  }

  /** Accounts, oldest first. */
  accounts(): Account[] {
    return this.document.accounts();
  }

  /** The key pair of one of this wallet's accounts (derived from the seed, never stored). */
  async keyPair(account: Account): Promise<KeyPair> {
    if (account.index === undefined) throw new TypeError(`account ${account.id} has no key in this wallet`);
    return accountKeyPair(this.seed, account.index);
  }

  /** Stores a verified receipt in the wallet document and saves it. */
  async storeReceipt(receipt: Receipt): Promise<Result<StoredReceipt>> {
    const stored = this.document.putReceipt(receipt, { node: this.nodeUrl });
    if (!stored.ok) return stored;
    await this.save();
    return stored;
  }

  /** Whether a stored receipt verifies offline with the pinned node key (checked once per session). */
  verify(stored: StoredReceipt): Promise<boolean> {
    let result = this.verified.get(stored.key);
    if (!result) {
      result = verifyReceipt(stored.receipt, [this.nodeKey]).then((r) => r.ok);
      this.verified.set(stored.key, result);
    }
    return result;
  }

  /**
   * Seals the wallet document again and writes it to IndexedDB. Another tab may have saved since
   * this one loaded: its edits are merged in first (the document is a CRDT), so neither tab's
   * receipts are lost. A wallet replaced in another tab (restored with another phrase or
   * passphrase) is never overwritten.
   */
  async save(): Promise<void> {
    const aad = utf8(DOCUMENT_AAD + this.record.wallet_id);
    const current = await loadWallet();
    if (current && (current.wallet_id !== this.record.wallet_id || !sameBytes(current.salt, this.record.salt))) {
      throw new Error('the wallet on this device was replaced in another tab: reload the page');
    }
    const theirs = current ? openSealed(this.key, current.document, aad) : undefined;
    if (theirs?.ok) this.document.applyUpdate(theirs.value);
    const document = seal(this.key, this.document.encodeState(), aad);
    this.record = { ...this.record, document };
    await saveWallet(this.record);
  }

  /** Forgets the keys: the page must unlock again to sign or read the wallet. */
  lock(): void {
    this.key.fill(0);
    this.seed.fill(0);
    this.verified.clear();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Opens a self-custody account on the node (the account signs its own creation). An account that
 * already exists is fine: that is what restoring on a new device finds.
 */
export async function openAccount(node: NodeClient, keyPair: KeyPair): Promise<Result<void>> {
  const account = encodePrefixed('pub', keyPair.publicKey);
  const body = { id: toBase64Url(randomBytes(16)), created_at: new Date().toISOString(), account };
  const submitted = await node.submit([await createDocument('ledger.account.create', 1, body, [keyPair])]);
  if (!submitted.ok) return submitted;
  const [result] = submitted.value;
  if (result?.status === 'rejected' && result.error.code !== 'account_exists')
    return { ok: false, error: result.error };
  return ok(undefined);
}
