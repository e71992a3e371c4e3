import {
  createDocument,
  encodePrefixed,
  err,
  fromBase64Url,
  fromUtf8,
  type KeyPair,
  ok,
  type Receipt,
  type Result,
  randomBytes,
  toBase64Url,
  utf8,
  verifyReceipt,
  WebWalletError,
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
  type PairingCode,
  type StoredReceipt,
  type SyncDevice,
  type SyncReport,
  type SyncState,
  seal,
  WalletDocument,
  WalletSync,
  walletId,
  walletSeed,
} from '@webwallet/wallet';
import { mergeUpdates } from 'yjs';
import { loadStored, loadSync, loadWallet, type StoredSync, type StoredWallet, saveWallet, withLock } from './store.js';

/**
 * An unlocked wallet: the lock key, the wallet seed and the wallet document, in memory only while
 * the app is unlocked. Locking zeroes the key and the seed (once no hold() needs them: a payment
 * waiting for its block still stores its receipt). The passphrase itself is never kept.
 *
 * WebCrypto non-extractable keys would keep the account keys out of reach of the page's own
 * script; they come later. Until then the seed lives in this page's memory while unlocked, and
 * at rest only sealed under the passphrase.
 *
 * While unlocked, the session also keeps the wallet document in step with the wallet's other
 * devices (WalletSync, end-to-end encrypted through the node's relay): on unlock, after each
 * save, on request and when the browser is back online. This device's sync state is sealed like
 * the document and written with it.
 *
 * Several tabs may hold the same wallet open, and they share this device's sync state (one device
 * key, one cursor). Two Web Locks keep them from undoing each other's work (store.ts withLock):
 * every read-merge-write of the records holds the `write` lock, and every sync run, invitation
 * and removal holds the `sync` lock, so only one tab at a time talks to the relay and writes the
 * sync state. The stored sync state carries a counter: a tab that finds a newer one than it
 * holds takes it up (restores its WalletSync from it) before it syncs, and never writes over it.
 */

// The sealed blobs are bound to their purpose and to the wallet: one cannot stand in for another.
const SECRETS_AAD = 'webwallet:pwa:secrets:v1:';
const DOCUMENT_AAD = 'webwallet:pwa:document:v1:';
const SYNC_AAD = 'webwallet:pwa:sync:v1:';

/** Local edits wait this long for more before they sync: typing a note makes one sync, not one per save. */
export const SYNC_DEBOUNCE_MS = 1_500;

/**
 * Where this device's sync stands. starting: no relay mailbox yet (made at the first sync that
 * reaches the node); removed: another device removed this one, and the relay refuses it.
 */
export type SyncPhase = 'starting' | 'syncing' | 'synced' | 'offline' | 'failed' | 'removed';

export interface SyncStatus {
  readonly phase: SyncPhase;
  /** When a sync last worked on this device. */
  readonly last_synced_at?: string;
  /** Why the last sync did not work (phases failed, removed, offline). */
  readonly error?: WebWalletError;
}

/** `changed`: the sync merged changes from other devices into the document. */
export type SyncListener = (status: SyncStatus, changed: boolean) => void;

/** What the sync record seals: WalletSync.state() and when it last worked. */
interface SealedSync {
  readonly state: SyncState;
  readonly last_synced_at?: string;
}

/** A wallet this device just joined: its document came with the pairing, and its sync with it. */
interface Joined {
  readonly document: WalletDocument;
  readonly sync: WalletSync;
  readonly last_synced_at?: string;
}

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
  private readonly listeners = new Set<SyncListener>();
  private status: SyncStatus = { phase: 'starting' };
  private lastSyncedAt: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** lock() was called: nothing new starts. The keys go once no hold() is running. */
  private closing = false;
  /** The key and the seed are zeroed: nothing can be sealed or signed any more. */
  private locked = false;
  /** hold() calls running. */
  private holds = 0;
  /** Runs in this tab holding the sync lock (a sync, an invitation, a removal). */
  private syncLocks = 0;
  /** The counter of the stored sync state `sync` was restored from or last written as. */
  private syncCounter = 0;
  private readonly onOnline = () => this.autoSync();

  private constructor(
    private record: StoredWallet,
    private readonly key: Uint8Array,
    private readonly seed: Uint8Array,
    readonly document: WalletDocument,
    private sync: WalletSync | undefined,
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
   * Sets up a wallet on this device from a checked recovery phrase (a new one, one being
   * restored, or one that came with a pairing in `joined`): derives the lock key, makes account 0
   * unless the document has it, seals everything and stores it. A new or restored wallet gets its
   * relay mailbox at its first sync; a joined one brings its sync state.
   */
  static async create(phrase: string, passphrase: string, node: NodeIdentity, joined?: Joined): Promise<Session> {
    const seeded = await walletSeed(phrase);
    if (!seeded.ok) throw new TypeError('the recovery phrase must be checked before a wallet is made from it');
    const seed = seeded.value;
    const salt = randomBytes(LOCK_SALT_BYTES);
    const key = await deriveLockKey(passphrase, salt, KDF_DEFAULT);
    const wallet_id = walletId(seed);
    const document = joined?.document ?? WalletDocument.create();
    const created_at = new Date().toISOString();
    // A joined device whose first sync did not get through has no accounts yet: the same account
    // 0 from the other device merges with this one when it does.
    if (!document.accounts().some((a) => a.index === 0)) {
      const first = await accountKeyPair(seed, 0);
      const account = { id: encodePrefixed('pub', first.publicKey), node: node.url, index: 0, label: 'Main account' };
      const put = document.putAccount({ ...account, created_at });
      if (!put.ok) throw put.error;
    }
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
    const session = new Session(record, key, seed, document, joined?.sync);
    if (joined?.last_synced_at !== undefined) session.synced(joined.last_synced_at, false);
    // null: a wallet made here starts without the sync state of one it replaces.
    const sync = session.sealedSync(1);
    await saveWallet(record, sync ?? null);
    if (sync) session.syncCounter = sync.counter;
    return session;
  }

  /**
   * Adds this device to a wallet with a pairing code from one of its devices (WalletSync.join):
   * the offer brings the recovery phrase, the history arrives with the first sync, and the
   * wallet is stored here under `passphrase`. pairing_code_invalid for a mistyped code,
   * pairing_not_found for a used or expired one.
   */
  static async join(
    code: string,
    passphrase: string,
    node: NodeIdentity,
    device_name: string | undefined,
  ): Promise<Result<Session>> {
    const document = WalletDocument.create();
    const options = { document, relayUrl: node.url, ...(device_name ? { device_name } : {}) };
    const joined = await WalletSync.join(code, options);
    if (!joined.ok) return joined;
    const { sync, recovery_phrase, first_sync } = joined.value;
    if (recovery_phrase === undefined) {
      // Without the phrase this device cannot hold the wallet's keys: leave the wallet again.
      await sync.removeDevice(sync.deviceKey);
      sync.close();
      return err('pairing_code_invalid', { reason: 'the other device did not hand over the recovery phrase' });
    }
    const last_synced_at = first_sync.ok ? new Date().toISOString() : undefined;
    const session = await Session.create(recovery_phrase, passphrase, node, {
      document,
      sync,
      ...(last_synced_at === undefined ? {} : { last_synced_at }),
    });
    return ok(session);
  }

  /**
   * Opens the stored wallet with its passphrase: passphrase_wrong when it does not open. The
   * latest stored document is opened when it is the same wallet: a payment that finished after
   * the lock screen read `record` stored its receipt since.
   */
  static async unlock(shown: StoredWallet, passphrase: string): Promise<Result<Session>> {
    const latest = await loadWallet();
    const same = latest?.wallet_id === shown.wallet_id && sameBytes(latest.salt, shown.salt);
    const record = latest && same ? latest : shown;
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
    const session = new Session(record, key, seeded.value, document.value, undefined);
    await session.restoreSync();
    return ok(session);
  }

  /** Accounts, oldest first. */
  accounts(): Account[] {
    return this.document.accounts();
  }

  /** The key pair of one of this wallet's accounts (derived from the seed, never stored). */
  async keyPair(account: Account): Promise<KeyPair> {
    // The zeroed seed would derive a key, just not this wallet's.
    if (this.locked) throw new Error('the wallet is locked: unlock it to sign');
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
   *
   * The sync state (this tab's unsent edits are in it) is written too unless another tab is
   * syncing: that tab owns it until it is done, and picks these edits up from the stored document.
   */
  async save(): Promise<void> {
    if (this.syncLocks > 0) await this.write(true);
    else await withLock(this.walletId, 'sync', (held) => this.write(held), true);
    this.scheduleSync();
  }

  /** Stores a note on a receipt ("" removes it), saves, and so syncs it to the other devices. */
  async setReceiptNote(key: string, note: string): Promise<Result<StoredReceipt>> {
    const stored = this.document.receipt(key);
    if (!stored) throw new TypeError(`no receipt ${key} in this wallet`);
    const text = note.trim();
    const put = this.document.putReceipt(stored.receipt, { note: text === '' ? null : text });
    if (!put.ok) return put;
    await this.save();
    return put;
  }

  /**
   * Writes the document, merged with the stored one, and with `with_sync` this device's sync
   * state, in one transaction under the write lock. `with_sync` only where this tab holds the
   * sync lock. A newer stored sync state (another tab's) is never written over: it stays, and this
   * tab takes it up before its next sync.
   */
  private write(with_sync: boolean): Promise<void> {
    return withLock(this.walletId, 'write', async () => {
      if (this.locked) throw new Error('the wallet is locked: unlock it to save');
      const stored = await loadStored(this.walletId);
      // Locked meanwhile: the key is zeroed, and sealing with it would spoil the stored wallet.
      if (this.locked) throw new Error('the wallet was locked while saving');
      this.mergeStored(stored.wallet);
      const document = seal(this.key, this.document.encodeState(), utf8(DOCUMENT_AAD + this.walletId));
      this.record = { ...this.record, document };
      const newer = (stored.sync?.counter ?? 0) > this.syncCounter;
      const sync = with_sync && !newer ? this.sealedSync(this.syncCounter + 1) : undefined;
      await saveWallet(this.record, sync);
      if (sync) this.syncCounter = sync.counter;
    });
  }

  /**
   * Merges the stored document into this one (edits other tabs saved): true when it brought
   * something new. Throws when the stored wallet is another one than this session's.
   */
  private mergeStored(current: StoredWallet | undefined): boolean {
    if (!current) return false;
    if (current.wallet_id !== this.walletId || !sameBytes(current.salt, this.record.salt)) {
      throw new Error('the wallet on this device was replaced in another tab: reload the page');
    }
    const theirs = openSealed(this.key, current.document, utf8(DOCUMENT_AAD + this.walletId));
    if (!theirs.ok) return false;
    const before = this.document.stateVector();
    this.document.applyUpdate(theirs.value);
    return !sameBytes(before, this.document.stateVector());
  }

  /**
   * Runs work that needs the keys (signing, paying, storing the receipt); lock() waits for it to
   * finish. Refused once the wallet is locked, even while an earlier hold keeps the keys.
   *
   * @example
   * const stored = await session.hold(async () => {
   *   const paid = await pay(request, await session.keyPair(account), options);
   *   return paid.ok ? session.storeReceipt(paid.value.receipt) : paid;
   * });
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) throw new Error('the wallet is locked: unlock it to continue');
    this.holds++;
    try {
      return await work();
    } finally {
      this.holds--;
      if (this.closing && this.holds === 0) this.dropKeys();
    }
  }

  /**
   * Locks: nothing new starts (syncs, holds) and the page must unlock again to sign or read the
   * wallet. The keys are zeroed at once, or, while a hold() runs (a payment waiting for its
   * block, say), as soon as the last one ends, so what it stores is not lost.
   */
  lock(): void {
    this.closing = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.onOnline);
    this.listeners.clear();
    if (this.holds === 0) this.dropKeys();
  }

  private dropKeys(): void {
    if (this.locked) return;
    this.locked = true;
    this.sync?.close();
    this.key.fill(0);
    this.seed.fill(0);
    this.verified.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Sync with the wallet's other devices (WalletSync, through the node's relay)

  /** Starts syncing: now, after each save, and whenever the browser is back online. */
  startSync(): void {
    window.addEventListener('online', this.onOnline);
    this.autoSync();
  }

  syncStatus(): SyncStatus {
    return this.status;
  }

  /** Calls `listener` after each change of the sync status; returns the unsubscribe. */
  onSync(listener: SyncListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** This wallet's devices, oldest first, as their signed messages say; empty before the first sync. */
  devices(): SyncDevice[] {
    return this.sync?.devices() ?? [];
  }

  /**
   * Syncs now (a sync already running is followed by one more, so nothing saved before this call
   * is left out). Never rejects: the outcome is in syncStatus().
   */
  syncNow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runSyncs().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * A one-time pairing code for a new device. The encrypted offer hands over the recovery phrase,
   * so the new device can pay too; the relay never sees it.
   */
  invite(): Promise<Result<PairingCode>> {
    return this.owningSync(async () => {
      const sync = await this.openSync();
      if (!sync.ok) return sync;
      const secrets = openSealed(this.key, this.record.secrets, utf8(SECRETS_AAD + this.record.wallet_id));
      if (!secrets.ok) return secrets;
      const { phrase } = JSON.parse(fromUtf8(secrets.value)) as Secrets;
      const code = await sync.value.invite({ recovery_phrase: phrase });
      if (!this.locked) await this.write(true);
      return code;
    });
  }

  /** Removes another device: the relay refuses it from now on and new keys seal what is written next. */
  removeDevice(device_key: string): Promise<Result<SyncReport>> {
    return this.owningSync(async () => {
      const sync = await this.openSync();
      if (!sync.ok) return sync;
      const removed = await sync.value.removeDevice(device_key);
      if (this.locked) return removed;
      await this.write(true);
      if (removed.ok) this.synced(new Date().toISOString(), removed.value.applied > 0);
      else this.failed(removed.error);
      return removed;
    });
  }

  /** Runs `work` holding the sync lock: no other tab syncs or writes the sync state meanwhile. */
  private owningSync<T>(work: () => Promise<T>): Promise<T> {
    return withLock(this.walletId, 'sync', async () => {
      this.syncLocks++;
      try {
        return await work();
      } finally {
        this.syncLocks--;
      }
    });
  }

  /** A sync that runs by itself (unlock, a save, back online): not once the relay has refused this device. */
  private autoSync(): void {
    if (this.status.phase !== 'removed' && !this.closing) void this.syncNow();
  }

  private scheduleSync(): void {
    clearTimeout(this.timer);
    if (this.status.phase !== 'removed' && !this.closing) {
      this.timer = setTimeout(() => this.autoSync(), SYNC_DEBOUNCE_MS);
    }
  }

  private async runSyncs(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.syncOnce();
      } catch (error) {
        // Storage failing, say: a sync must never break the page.
        const reason = (error as Error).message;
        if (!this.locked)
          this.failed(new WebWalletError('internal_error', { reason }, `This device failed: ${reason}.`));
      }
    } while (this.again && !this.closing);
  }

  private async syncOnce(): Promise<void> {
    if (this.closing) return;
    if (!navigator.onLine) return this.setStatus({ ...this.last(), phase: 'offline' }, false);
    this.setStatus({ ...this.last(), phase: 'syncing' }, false);
    await this.owningSync(async () => {
      const merged = await this.mergeLatest();
      const sync = await this.openSync();
      if (this.closing) return;
      if (!sync.ok) return this.failed(sync.error);
      const report = await sync.value.sync();
      if (this.locked) return;
      // Even after a failure: the cursor may have moved, and a new mailbox must not be forgotten.
      await this.write(true);
      if (!report.ok) return this.failed(report.error);
      this.synced(new Date().toISOString(), merged || report.value.applied > 0);
    });
  }

  /**
   * Before a sync: merges what other tabs saved, so it goes out with this sync (WalletSync sends
   * every change to the document but its own merges), and reports whether that changed anything.
   */
  private mergeLatest(): Promise<boolean> {
    return withLock(this.walletId, 'write', async () => {
      const stored = await loadStored(this.walletId);
      return !this.locked && this.mergeStored(stored.wallet);
    });
  }

  /**
   * This device's WalletSync, called holding the sync lock: the one in hand unless another tab
   * stored a newer sync state (then that one, taken up), or a new relay mailbox (a wallet made
   * or restored here, or one made while the node could not be reached).
   */
  private async openSync(): Promise<Result<WalletSync>> {
    const taken = await this.restoreSync();
    if (taken) return taken;
    if (this.sync) return ok(this.sync);
    const created = await WalletSync.create({
      document: this.document,
      // The relay is served at the node's origin, also for a wallet on its sandbox ledger (/sandbox).
      relayUrl: new URL(this.nodeUrl).origin,
      device_name: defaultDeviceName(),
    });
    if (!created.ok || this.locked) return created;
    this.sync = created.value;
    await this.write(true);
    return created;
  }

  /**
   * Takes up the stored sync state when this tab has none or the stored one is newer (another tab
   * synced, made an invitation or removed a device since): undefined when this tab's is current
   * or none is stored. The unsent edits of the state it replaces come along.
   */
  private async restoreSync(): Promise<Result<WalletSync> | undefined> {
    const stored = await loadSync(this.walletId);
    if (!stored || (this.sync && stored.counter <= this.syncCounter) || this.locked) return undefined;
    const opened = this.openSealedSync(stored);
    if (!opened) return undefined;
    const unsent = this.sync?.state().pending ?? null;
    const restored = await WalletSync.restore(withPending(opened.state, unsent), { document: this.document });
    if (!restored.ok) {
      this.failed(restored.error);
      return restored;
    }
    if (this.locked) {
      restored.value.close();
      return restored;
    }
    this.sync?.close();
    this.sync = restored.value;
    this.syncCounter = stored.counter;
    if (opened.last_synced_at !== undefined && opened.last_synced_at > (this.lastSyncedAt ?? '')) {
      this.lastSyncedAt = opened.last_synced_at;
    }
    return restored;
  }

  private openSealedSync(stored: StoredSync): SealedSync | undefined {
    const opened = openSealed(this.key, stored.sealed, utf8(SYNC_AAD + this.record.wallet_id));
    // Sealed under another passphrase (a wallet replaced meanwhile): not this wallet's state.
    return opened.ok ? (JSON.parse(fromUtf8(opened.value)) as SealedSync) : undefined;
  }

  private sealedSync(counter: number): StoredSync | undefined {
    if (!this.sync) return undefined;
    const content: SealedSync = {
      state: this.sync.state(),
      ...(this.lastSyncedAt === undefined ? {} : { last_synced_at: this.lastSyncedAt }),
    };
    const aad = utf8(SYNC_AAD + this.record.wallet_id);
    const sealed = seal(this.key, utf8(JSON.stringify(content)), aad);
    return { version: 1, wallet_id: this.record.wallet_id, counter, sealed };
  }

  private last(): { last_synced_at?: string } {
    return this.lastSyncedAt === undefined ? {} : { last_synced_at: this.lastSyncedAt };
  }

  private synced(at: string, changed: boolean): void {
    this.lastSyncedAt = at;
    this.setStatus({ phase: 'synced', last_synced_at: at }, changed);
  }

  private failed(error: WebWalletError): void {
    const phase: SyncPhase =
      error.code === 'relay_not_member'
        ? 'removed'
        : error.code === 'node_unreachable' && !navigator.onLine
          ? 'offline'
          : 'failed';
    this.setStatus({ ...this.last(), phase, error }, false);
  }

  private setStatus(status: SyncStatus, changed: boolean): void {
    this.status = status;
    for (const listener of [...this.listeners]) listener(status, changed);
  }
}

/** What the other devices call this one until it is named: "Chrome on Android". */
export function defaultDeviceName(): string {
  const agent = navigator.userAgent;
  const browsers: [RegExp, string][] = [
    [/Edg\//, 'Edge'],
    [/Firefox\//, 'Firefox'],
    [/Chrom(e|ium)\//, 'Chrome'],
    [/Safari\//, 'Safari'],
  ];
  const systems: [RegExp, string][] = [
    [/Android/, 'Android'],
    [/iPhone|iPad/, 'iOS'],
    [/Mac OS X/, 'macOS'],
    [/Windows/, 'Windows'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ];
  const browser = browsers.find(([re]) => re.test(agent))?.[1] ?? 'Browser';
  const system = systems.find(([re]) => re.test(agent))?.[1];
  return system ? `${browser} on ${system}` : browser;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** `state` with the unsent edits `extra` (a WalletSync state's pending update) added to its own. */
function withPending(state: SyncState, extra: string | null): SyncState {
  if (extra === null || extra === state.pending) return state;
  const updates = [state.pending, extra].flatMap((text) => {
    const bytes = text === null ? undefined : fromBase64Url(text);
    return bytes?.ok ? [bytes.value] : [];
  });
  return { ...state, pending: toBase64Url(mergeUpdates(updates)) };
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
