import type { KdfParams } from '@webwallet/wallet';

/**
 * The wallet's one IndexedDB record on this device. What is secret is sealed under the lock key
 * (Argon2id of the passphrase): the recovery phrase and the wallet document (accounts, receipts,
 * labels). The rest is what the app needs before the passphrase is typed, and is not secret: the
 * node the wallet uses and the node key it pinned when the wallet was made here.
 */
export interface StoredWallet {
  readonly version: 1;
  /** "wal_…" from the phrase (walletId): public, the same on every device of this wallet. */
  readonly wallet_id: string;
  /** The node's base URL: where balances come from and payments go. */
  readonly node_url: string;
  /** The node's key ("pub_…") when the wallet was set up: receipts must verify with it. */
  readonly node_key: string;
  readonly kdf: KdfParams;
  readonly salt: Uint8Array;
  /** seal(lock key, JSON {phrase}, aad SECRETS_AAD + wallet_id). */
  readonly secrets: Uint8Array;
  /** seal(lock key, WalletDocument.encodeState(), aad DOCUMENT_AAD + wallet_id). */
  readonly document: Uint8Array;
  readonly created_at: string;
}

const DB_NAME = 'webwallet';
const DB_VERSION = 1;
const STORE = 'wallet';
const KEY = 'current';

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDb(): Promise<IDBDatabase> {
  const request = indexedDB.open(DB_NAME, DB_VERSION);
  request.onupgradeneeded = () => {
    if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
  };
  return promised(request);
}

async function withStore<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    const tx = db.transaction(STORE, mode);
    const result = await promised(run(tx.objectStore(STORE)));
    // A write counts once its transaction commits, not when its request succeeds.
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
    return result;
  } finally {
    db.close();
  }
}

/** The stored wallet, or undefined on a device that has none yet. */
export async function loadWallet(): Promise<StoredWallet | undefined> {
  const value = await withStore('readonly', (store) => store.get(KEY));
  return isStoredWallet(value) ? value : undefined;
}

export async function saveWallet(wallet: StoredWallet): Promise<void> {
  await withStore('readwrite', (store) => store.put(wallet, KEY));
}

function isStoredWallet(value: unknown): value is StoredWallet {
  const v = value as Partial<StoredWallet> | null | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.version === 1 &&
    typeof v.wallet_id === 'string' &&
    typeof v.node_url === 'string' &&
    typeof v.node_key === 'string' &&
    v.salt instanceof Uint8Array &&
    v.secrets instanceof Uint8Array &&
    v.document instanceof Uint8Array
  );
}
