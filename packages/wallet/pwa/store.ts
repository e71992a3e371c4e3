import type { KdfParams } from '@webwallet/wallet';

/**
 * The wallet's one IndexedDB record on this device. What is secret is sealed under the lock key
 * (Argon2id of the passphrase): the recovery phrase and the wallet document (accounts, receipts,
 * labels). The rest is what the app needs before the passphrase is typed, and is not secret: the
 * node the wallet uses and the node key it pinned when the wallet was made here. This device's
 * sync state is another record (StoredSync), sealed the same way.
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

/**
 * This device's sync state (WalletSync.state(): its device keys, every epoch key, the roster, the
 * cursor, unsent changes), sealed like the document, in its own record next to the wallet's. The
 * two are written in one IndexedDB transaction, so neither runs ahead of the other.
 */
export interface StoredSync {
  readonly version: 1;
  /** The wallet it belongs to: a record left from a replaced wallet is never used. */
  readonly wallet_id: string;
  /**
   * One more at each write of the sync state, so a tab can tell that another tab stored a newer
   * one than it holds (and must take that one up rather than write over it). Records from before
   * the counter read as 0. Not secret: it only orders the writes.
   */
  readonly counter: number;
  /** seal(lock key, JSON {state, last_synced_at}, aad SYNC_AAD + wallet_id). */
  readonly sealed: Uint8Array;
}

/** The wallet and its sync state as one transaction read them. */
export interface Stored {
  readonly wallet: StoredWallet | undefined;
  readonly sync: StoredSync | undefined;
}

const DB_NAME = 'webwallet';
const DB_VERSION = 1;
const STORE = 'wallet';
const KEY = 'current';
const SYNC_KEY = 'sync';

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

/** Runs the requests `run` makes in one transaction; resolves once it commits. */
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

/** This device's sealed sync state for the wallet `wallet_id`, or undefined when it has none. */
export async function loadSync(wallet_id: string): Promise<StoredSync | undefined> {
  return syncOf(await withStore('readonly', (store) => store.get(SYNC_KEY)), wallet_id);
}

/** The stored wallet and its sync state for `wallet_id`, read in one transaction so they match. */
export async function loadStored(wallet_id: string): Promise<Stored> {
  const db = await openDb();
  try {
    const store = db.transaction(STORE, 'readonly').objectStore(STORE);
    const [wallet, sync] = await Promise.all([promised(store.get(KEY)), promised(store.get(SYNC_KEY))]);
    return { wallet: isStoredWallet(wallet) ? wallet : undefined, sync: syncOf(sync, wallet_id) };
  } finally {
    db.close();
  }
}

/**
 * Writes the wallet and, in the same transaction, its sync state: `sync` replaces the stored one,
 * null deletes it (a new wallet on this device), undefined leaves it as it is.
 */
export async function saveWallet(wallet: StoredWallet, sync?: StoredSync | null): Promise<void> {
  await withStore('readwrite', (store) => {
    if (sync === null) store.delete(SYNC_KEY);
    else if (sync !== undefined) store.put(sync, SYNC_KEY);
    return store.put(wallet, KEY);
  });
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

/**
 * Runs `work` holding the Web Lock "webwallet:<wallet_id>:<name>", which every tab of this origin
 * shares: `write` around each read-merge-write of the records, `sync` around each sync run (one
 * tab at a time talks to the relay for this device). `held` is false only when `if_available`
 * was asked and another holder has the lock; `work` then runs without it.
 *
 * Where the browser has no Web Locks (older ones, some web views), `work` runs at once as if it
 * held the lock: tabs then save and sync without taking turns, as before the locks. The sync
 * state's counter still keeps an older state from replacing a newer one.
 */
export function withLock<T>(
  wallet_id: string,
  name: 'write' | 'sync',
  work: (held: boolean) => Promise<T>,
  if_available = false,
): Promise<T> {
  const locks = (navigator as Partial<Navigator>).locks;
  if (!locks) return work(true);
  // The DOM types make this Promise<Promise<T>>; the lock's promise resolves with the callback's value.
  return locks.request(`webwallet:${wallet_id}:${name}`, { ifAvailable: if_available }, (lock) =>
    work(lock !== null),
  ) as Promise<unknown> as Promise<T>;
}

function isStoredSync(value: unknown): value is StoredSync {
  const v = value as Partial<StoredSync> | null | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.version === 1 &&
    typeof v.wallet_id === 'string' &&
    (v.counter === undefined || Number.isSafeInteger(v.counter)) &&
    v.sealed instanceof Uint8Array
  );
}

/** The sync record when it is `wallet_id`'s, its counter 0 when it was written before there was one. */
function syncOf(value: unknown, wallet_id: string): StoredSync | undefined {
  if (!isStoredSync(value) || value.wallet_id !== wallet_id) return undefined;
  return { ...value, counter: value.counter ?? 0 };
}
