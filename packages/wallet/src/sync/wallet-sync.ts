import {
  canonicalBytes,
  concatBytes,
  decodePrefixed,
  encodePrefixed,
  err,
  fromBase64Url,
  generateKeyPair,
  type KeyPair,
  keyPairFromSecret,
  ok,
  type Result,
  randomBytes,
  sign,
  toBase64Url,
  verify,
} from '@webwallet/core';
import * as Y from 'yjs';
import type { WalletDocument } from '../document/wallet-document.js';
import { checkRecoveryPhrase } from '../keys/recovery.js';
import type { Fetch } from '../node/node-client.js';
import {
  type EpochKey,
  type Header,
  keysMessage,
  type MessageContext,
  newEpochKey,
  newX25519KeyPair,
  type Opened,
  openMessage,
  type RejectReason,
  SEALED_OVERHEAD_BYTES,
  sealMessage,
  unwrapEpochKey,
  wrapEpochKey,
  type X25519KeyPair,
  x25519KeyPair,
} from './envelope.js';
import { newPairingSecret, openOffer, type PairingCode, pairingCode, parsePairingCode, sealOffer } from './pairing.js';
import { RelayClient, type RelayMessageView } from './relay-client.js';
import {
  deviceName,
  EPOCH_KEYS_MAX,
  INVITES_MAX,
  parseState,
  type RosterEntry,
  type SyncModel,
  type SyncState,
  toState,
} from './state.js';

/** The origin of updates this module merges into the document: they came from the relay, so they are not sent back. */
export const SYNC_ORIGIN = 'wallet.sync';
/** The relay's limit on one message's decoded ciphertext. */
export const SYNC_MESSAGE_BYTES_MAX = 256 * 1024;
/** Bytes of a wallet update per message: the limit less the envelope and a generous header. */
export const UPDATE_PART_BYTES_MAX = SYNC_MESSAGE_BYTES_MAX - SEALED_OVERHEAD_BYTES - 1024;
/** Parts of one update (256 MiB): more than RECEIPTS_MAX receipts. */
export const UPDATE_PARTS_MAX = 1_024;
export const PAIRING_EXPIRES_IN_S_DEFAULT = 600;
/** An unused invitation's key leaves the relay's members this long after its pairing expired. */
const INVITATION_GRACE_MS = 5 * 60_000;
const REJECTED_LISTED_MAX = 100;
/** Epoch numbers travel as 4 bytes in a pairing offer; one per removal never gets near. */
const EPOCH_MAX = 2 ** 31 - 1;
/** Devices named in one keys message (the relay's members limit is 32; removed ones come and go). */
const WRAPS_MAX = 64;
const PART_ID = /^[A-Za-z0-9_-]{1,32}$/;
const DEVICE_KEY = /^pub_[A-Za-z0-9_-]{43}$/;
const KEY_ID = /^[A-Za-z0-9_-]{22}$/;
const X25519_KEY = /^[A-Za-z0-9_-]{43}$/;

/** A device's own keys for sync, made on the device and never derived from the recovery phrase. */
export interface SyncDeviceKeys {
  /** Ed25519: signs relay requests and the device's messages; its public key is the device's name on the relay. */
  readonly signing: KeyPair;
  /** X25519: epoch keys are wrapped to it. */
  readonly x25519: X25519KeyPair;
}

/** New random device keys. */
export async function newSyncDevice(): Promise<SyncDeviceKeys> {
  return { signing: await generateKeyPair(), x25519: newX25519KeyPair() };
}

interface ClientOptions {
  /** The document to keep in step; WalletSync sends its local changes and merges the others'. */
  readonly document: WalletDocument;
  readonly fetch?: Fetch;
  /** Time limit of each relay request. */
  readonly timeout_ms?: number;
}

export interface CreateSyncOptions extends ClientOptions {
  /** The node whose relay carries the messages, e.g. "https://node.example". */
  readonly relayUrl: string;
  /** Default: new random keys. */
  readonly device?: SyncDeviceKeys;
  /** Shown to the user's other devices ("Ann's laptop"), at most 64 characters; encrypted like everything else. */
  readonly device_name?: string;
}

export interface JoinSyncOptions extends ClientOptions {
  /** Needed for a typed code; a scanned URI names its relay. */
  readonly relayUrl?: string;
  readonly device?: SyncDeviceKeys;
  readonly device_name?: string;
}

export interface InviteOptions {
  /**
   * The wallet's recovery phrase, handed to the new device inside the encrypted offer so it can
   * derive the account keys and pay. Leave it out to pair a device that only reads and edits the
   * document.
   */
  readonly recovery_phrase?: string;
  /** How long the code works: 60 to 900 seconds, default 600. */
  readonly expires_in_s?: number;
}

export interface RejectedMessage {
  readonly seq: number;
  readonly device_key: string;
  readonly reason: RejectReason;
}

export interface SyncReport {
  /** Messages read from the relay. */
  read: number;
  /** Wallet updates merged into the document. */
  applied: number;
  /** Messages this device posted. */
  posted: number;
  /** Messages refused (the first 100): not from a member, altered, or not well-formed. */
  readonly rejected: RejectedMessage[];
  rejected_total: number;
  /** Messages sealed under a key this device does not hold yet; they are read again once it arrives. */
  waiting_for_keys: number;
  /** The seq read up to. */
  cursor: number;
  /** The epoch of the key this device now writes with. */
  epoch: number;
}

export interface SyncDevice {
  readonly device_key: string;
  readonly name?: string;
  /** When its genesis or join message reached the relay (the relay's clock). */
  readonly added_at: string;
  /** This device. */
  readonly self: boolean;
}

export interface JoinedWallet {
  readonly sync: WalletSync;
  /** The phrase the inviting device handed over, if it did. */
  readonly recovery_phrase?: string;
  /** The first sync (the whole history); a failure here leaves a paired device that syncs later. */
  readonly first_sync: Result<SyncReport>;
}

interface PartBuffer {
  readonly sender: string;
  readonly id: string;
  readonly first_seq: number;
  readonly parts: (Uint8Array | undefined)[];
  have: number;
}

function newReport(): SyncReport {
  return { read: 0, applied: 0, posted: 0, rejected: [], rejected_total: 0, waiting_for_keys: 0, cursor: 0, epoch: 0 };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matches(value: unknown, pattern: RegExp): value is string {
  return typeof value === 'string' && pattern.test(value);
}

/** A device's announcement in its genesis or join message. */
function announcement(value: unknown): { key: string; x25519: string; name?: string } | undefined {
  if (!isObject(value) || !matches(value.key, DEVICE_KEY) || !matches(value.x25519, X25519_KEY)) return undefined;
  const name = deviceName(value.name);
  if (value.name !== undefined && name === undefined) return undefined;
  return { key: value.key, x25519: value.x25519, ...(name === undefined ? {} : { name }) };
}

/** What the invitation key signs for the device that uses it. */
function joinBinding(mailbox: string, device: string, x25519: string): Uint8Array {
  return canonicalBytes({ domain: 'webwallet:sync-join:v1', mailbox, device, x25519 });
}

/** An empty document's state vector. */
function isEmptyStateVector(sv: Uint8Array): boolean {
  return Y.decodeStateVector(sv).size === 0;
}

/** True when `sv` has seen something `known` has not. */
function hasNewer(sv: Uint8Array, known: Uint8Array): boolean {
  const before = Y.decodeStateVector(known);
  for (const [client, clock] of Y.decodeStateVector(sv)) if (clock > (before.get(client) ?? 0)) return true;
  return false;
}

function checkDeviceName(name: string | undefined): string | undefined {
  if (name !== undefined && deviceName(name) === undefined) {
    throw new RangeError('device_name is at most 64 characters without control characters');
  }
  return name;
}

/**
 * End-to-end encrypted sync of a WalletDocument between the user's devices through a node's
 * blind relay. See ./index.ts for the design and what the relay can and cannot see or do.
 *
 * @example
 * const phone = unwrap(await WalletSync.create({ document, relayUrl: 'https://node.example' }));
 * const code = unwrap(await phone.invite({ recovery_phrase }));   // show code.uri as a QR code, or code.typed
 * const { sync: laptop } = unwrap(await WalletSync.join(code.uri, { document: WalletDocument.create() }));
 * await phone.sync(); await laptop.sync();                          // any time, in any order
 * save(phone.state());                                              // secret: keep it encrypted
 */
export class WalletSync {
  private readonly self: string;
  private readonly unsubscribe: () => void;
  /** Set when the document changes during a sync, so the state vector is not taken as all relayed. */
  private editedDuringSync = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Seqs of update messages this device posted and so need not read back. */
  private readonly ownUpdates = new Set<number>();

  private constructor(
    private readonly document: WalletDocument,
    private readonly relay: RelayClient,
    private readonly model: SyncModel,
    private readonly device: KeyPair,
    private readonly x25519: X25519KeyPair,
  ) {
    this.self = encodePrefixed('pub', device.publicKey);
    this.unsubscribe = document.onUpdate((update, origin) => {
      if (origin === SYNC_ORIGIN) return;
      this.model.pending.push(update);
      this.editedDuringSync = true;
    });
  }

  /**
   * Starts syncing a wallet: makes a mailbox on the relay with this device as its only member
   * and posts the document's current content. Later devices join with a code from invite().
   */
  static async create(options: CreateSyncOptions): Promise<Result<WalletSync>> {
    const name = checkDeviceName(options.device_name);
    const relay = new RelayClient({ url: options.relayUrl, ...clientOptions(options) });
    const device = options.device ?? (await newSyncDevice());
    const created = await relay.createMailbox(device.signing);
    if (!created.ok) return created;
    const self = encodePrefixed('pub', device.signing.publicKey);
    const first = newEpochKey(0);
    const model = newModel(relay.url, created.value.id, self, device, name, [first]);
    const sync = new WalletSync(options.document, relay, model, device.signing, device.x25519);
    sync.queueWholeDocument();
    const genesis = await sync.post(first, { type: 'genesis', device: sync.announcement() });
    if (!genesis.ok) return genesis;
    const synced = await sync.sync();
    return synced.ok ? ok(sync) : synced;
  }

  /** A WalletSync from a state saved with state(), for the same document (as saved with it). */
  static async restore(
    state: SyncState | unknown,
    options: ClientOptions & { readonly relayUrl?: string },
  ): Promise<Result<WalletSync>> {
    const parsed = parseState(state);
    if (!parsed.ok) return parsed;
    const { model, pending } = parsed.value;
    try {
      // Checked here, not at each sync: a damaged saved update would otherwise throw later.
      if (pending) Y.decodeUpdate(pending);
      Y.decodeStateVector(model.known_sv);
    } catch {
      return err('sync_state_invalid', {
        reason: 'sync state: pending or known_sv is not a Yjs update or state vector',
      });
    }
    const relay = new RelayClient({ url: options.relayUrl ?? model.relay_url, ...clientOptions(options) });
    const device = await keyPairFromSecret(model.device_secret);
    const sync = new WalletSync(options.document, relay, model, device, x25519KeyPair(model.x25519_secret));
    if (pending) model.pending.push(pending);
    // A document saved after edits whose sync state was not saved: send what the relay may lack.
    // (Yjs state vectors do not count deletions, so only saving both together is exact.)
    if (hasNewer(options.document.stateVector(), model.known_sv)) {
      const diff = options.document.encodeDiff(model.known_sv);
      if (diff.ok) model.pending.push(diff.value);
    }
    return ok(sync);
  }

  /**
   * Pairs this device with a wallet, from a code shown by one of its devices (the URI from a QR
   * code, or the typed form with `relayUrl`). Reads the one-time pairing, proves itself with the
   * invitation key it holds, and reads the whole history. Fails with pairing_code_invalid for a
   * mistyped code and pairing_not_found for a used or expired one.
   */
  static async join(code: string, options: JoinSyncOptions): Promise<Result<JoinedWallet>> {
    const name = checkDeviceName(options.device_name);
    const parsed = parsePairingCode(code);
    if (!parsed.ok) return parsed;
    const relayUrl = parsed.value.relay_url ?? options.relayUrl;
    if (relayUrl === undefined) throw new TypeError('a typed pairing code needs options.relayUrl');
    const relay = new RelayClient({ url: relayUrl, ...clientOptions(options) });
    const taken = await relay.takePairing(parsed.value.pairing_id);
    if (!taken.ok) return taken;
    const opened = openOffer(parsed.value.secret, taken.value);
    if (!opened.ok) return opened;
    const offer = opened.value;

    const device = options.device ?? (await newSyncDevice());
    const self = encodePrefixed('pub', device.signing.publicKey);
    const invitation = await keyPairFromSecret(offer.invitation);
    const invitationKey = encodePrefixed('pub', invitation.publicKey);
    // Step 2 of pairing: the invitation key (a member until used) adds this device's own key…
    const added = await relay.addDevice(invitation, offer.mailbox, self);
    if (!added.ok) return added;
    // …and leaves. If this fails the inviter removes it once the pairing has expired.
    await relay.removeDevice(device.signing, offer.mailbox, invitationKey);
    const x25519 = toBase64Url(device.x25519.publicKey);
    const signature = await sign(joinBinding(offer.mailbox, self, x25519), invitation.secretKey);
    const model = newModel(relay.url, offer.mailbox, offer.founder, device, name, offer.keys);
    model.join = { invitation: invitationKey, signature: toBase64Url(signature) };
    const sync = new WalletSync(options.document, relay, model, device.signing, device.x25519);
    sync.queueWholeDocument();
    const first_sync = await sync.sync();
    return ok({
      sync,
      ...(offer.recovery_phrase === undefined ? {} : { recovery_phrase: offer.recovery_phrase }),
      first_sync,
    });
  }

  /** This device's key ("pub_…"), as the relay and the other devices know it. */
  get deviceKey(): string {
    return this.self;
  }

  get mailbox(): string {
    return this.model.mailbox;
  }

  /** Stops following the document's changes (call before dropping this object). */
  close(): void {
    this.unsubscribe();
  }

  /**
   * Everything to save between sessions, as plain JSON. It holds this device's secret keys and
   * every epoch key: keep it inside the wallet's encrypted storage. It changes with every sync
   * and every local edit (unsent edits are in it), so save it whenever the document is saved.
   */
  state(): SyncState {
    if (this.model.pending.length > 1) this.model.pending = [Y.mergeUpdates(this.model.pending)];
    return toState(this.model, this.model.pending[0]);
  }

  /** The wallet's devices as their own signed messages say (not the relay), oldest first. */
  devices(): SyncDevice[] {
    return [...this.model.roster.values()]
      .filter((entry) => entry.removed_seq === undefined)
      .sort((a, b) => a.added_seq - b.added_seq)
      .map((entry) => ({
        device_key: entry.key,
        ...(entry.name === undefined ? {} : { name: entry.name }),
        added_at: entry.added_at,
        self: entry.key === this.self,
      }));
  }

  /**
   * Reads and merges what the other devices posted since the last sync, then posts this
   * device's changes since its last post. Safe to call at any time and after any time offline;
   * calls queue behind each other. Fails with relay_not_member once this device is removed.
   */
  sync(): Promise<Result<SyncReport>> {
    return this.exclusive(() => this.syncNow());
  }

  /**
   * Step 1 of pairing a new device: makes a one-time invitation and returns the code to show.
   * See ./index.ts for the flow.
   */
  invite(options: InviteOptions = {}): Promise<Result<PairingCode>> {
    return this.exclusive(async () => {
      let phrase: string | undefined;
      if (options.recovery_phrase !== undefined) {
        const checked = checkRecoveryPhrase(options.recovery_phrase);
        if (!checked.ok) return checked;
        phrase = checked.value;
      }
      const synced = await this.syncNow();
      if (!synced.ok) return synced;
      const invitation = await generateKeyPair();
      const invitationKey = encodePrefixed('pub', invitation.publicKey);
      const added = await this.relay.addDevice(this.device, this.model.mailbox, invitationKey);
      if (!added.ok) return added;
      const keys = [...this.model.keys.values()];
      const announced = await this.post(this.currentKey(), {
        type: 'invite',
        invitation: invitationKey,
        keys: keys.map((k) => k.id),
      });
      if (!announced.ok) return announced;
      const offer = {
        mailbox: this.model.mailbox,
        founder: this.model.founder,
        invitation: invitation.secretKey,
        keys,
        ...(phrase === undefined ? {} : { recovery_phrase: phrase }),
      };
      const secret = newPairingSecret();
      const created = await this.relay.createPairing(
        sealOffer(secret, offer),
        options.expires_in_s ?? PAIRING_EXPIRES_IN_S_DEFAULT,
      );
      if (!created.ok) {
        await this.relay.removeDevice(this.device, this.model.mailbox, invitationKey);
        return created;
      }
      this.model.invitations.push({ key: invitationKey, expires_at: created.value.expires_at });
      return ok(pairingCode(created.value.id, secret, this.relay.url, created.value.expires_at));
    });
  }

  /**
   * Removes a device (a lost phone) from the wallet: the relay stops serving it, and a new epoch
   * key, wrapped only for the remaining devices, encrypts everything written afterwards. Removing
   * this device itself leaves the wallet. relay_device_not_found when it is not a device of this
   * wallet.
   */
  removeDevice(device_key: string): Promise<Result<SyncReport>> {
    return this.exclusive(async () => {
      if (!matches(device_key, DEVICE_KEY)) return err('relay_device_not_found', { device_key });
      const synced = await this.syncNow();
      if (!synced.ok) return synced;
      const entry = this.model.roster.get(device_key);
      const member = entry !== undefined && entry.removed_seq === undefined;
      if (device_key === this.self) {
        const left = await this.post(this.currentKey(), { type: 'remove', device: device_key });
        if (!left.ok) return left;
        const gone = await this.relay.removeDevice(this.device, this.model.mailbox, device_key);
        return gone.ok ? ok(synced.value) : gone;
      }
      // The relay first, so the device cannot read the removal or anything after it.
      const gone = await this.relay.removeDevice(this.device, this.model.mailbox, device_key);
      if (!gone.ok && (gone.error.code !== 'relay_device_not_found' || !member)) return gone;
      if (member) {
        const removed = await this.post(this.currentKey(), { type: 'remove', device: device_key });
        if (!removed.ok) return removed;
      }
      // Reading the removal back makes this device rotate the key (maintainKeys).
      return this.syncNow();
    });
  }

  // -------------------------------------------------------------------------------------------

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async syncNow(): Promise<Result<SyncReport>> {
    const report = newReport();
    this.editedDuringSync = false;
    let step: Result<unknown> = await this.pull(report);
    if (!step.ok) return step;
    const own = this.model.roster.get(this.self);
    if (this.model.join && !own) {
      step = await this.post(this.currentKey(), {
        type: 'join',
        device: this.announcement(),
        invitation: this.model.join.invitation,
        invitation_sig: this.model.join.signature,
      });
      if (!step.ok) return step;
      step = await this.pull(report);
      if (!step.ok) return step;
    }
    const entry = this.model.roster.get(this.self);
    if (entry?.removed_seq !== undefined) {
      return err('relay_not_member', {
        reason: 'this device was removed from the wallet',
        mailbox: this.model.mailbox,
      });
    }
    if (entry) {
      step = await this.maintainKeys(report);
      if (!step.ok) return step;
      await this.retireInvitations();
      step = await this.push(report);
      if (!step.ok) return step;
    }
    if (!this.editedDuringSync && this.model.pending.length === 0) this.model.known_sv = this.document.stateVector();
    report.cursor = this.model.cursor;
    report.epoch = this.currentKey().epoch;
    return ok(report);
  }

  private announcement(): { key: string; x25519: string; name?: string } {
    const name = this.model.device_name;
    return { key: this.self, x25519: toBase64Url(this.x25519.publicKey), ...(name === undefined ? {} : { name }) };
  }

  /** The whole document as a pending change: a new mailbox or a new device starts with it. */
  private queueWholeDocument(): void {
    if (!isEmptyStateVector(this.document.stateVector())) this.model.pending.push(this.document.encodeState());
  }

  /** The key this device writes with: the highest epoch it holds (ties: the lowest id, as on every device). */
  private currentKey(): EpochKey {
    let best: EpochKey | undefined;
    for (const key of this.model.keys.values()) {
      if (!best || key.epoch > best.epoch || (key.epoch === best.epoch && key.id < best.id)) best = key;
    }
    if (!best) throw new Error('a sync state always holds a key');
    return best;
  }

  private holders(key_id: string): Set<string> {
    let set = this.model.recipients.get(key_id);
    if (!set) {
      set = new Set();
      this.model.recipients.set(key_id, set);
    }
    return set;
  }

  /** May `device` write at `seq`: added at or before it, and not removed before it. */
  private memberAt(device: string, seq: number): boolean {
    const entry = this.model.roster.get(device);
    return (
      entry !== undefined && entry.added_seq <= seq && (entry.removed_seq === undefined || seq <= entry.removed_seq)
    );
  }

  private members(): RosterEntry[] {
    return [...this.model.roster.values()].filter((entry) => entry.removed_seq === undefined);
  }

  private context(epoch: number): MessageContext {
    return { mailbox: this.model.mailbox, sender: this.self, epoch };
  }

  /** Seals and posts one message under `key`. */
  private async post(key: EpochKey, header: Header, body?: Uint8Array): Promise<Result<number>> {
    const bytes = await sealMessage(this.context(key.epoch), key, this.device, header, body);
    const posted = await this.relay.postMessage(this.device, this.model.mailbox, key.epoch, bytes);
    return posted.ok ? ok(posted.value.seq) : posted;
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  /**
   * Reads every message after the cursor, page by page. When a key arrives that earlier messages
   * needed, reads again from the first of them (everything is idempotent). An update whose parts
   * are not all posted yet holds the cursor before its first part.
   */
  private async pull(report: SyncReport): Promise<Result<void>> {
    let after = this.model.cursor;
    const parts = new Map<string, PartBuffer>();
    for (;;) {
      let rewind: number | undefined;
      for (let more = true; more; ) {
        const page = await this.relay.messages(this.device, this.model.mailbox, after);
        if (!page.ok) {
          this.model.cursor = this.heldCursor(after, parts);
          return page;
        }
        for (const message of page.value.items) {
          const back = await this.process(message, parts, report);
          if (back !== undefined) rewind = Math.min(rewind ?? back, back);
          after = message.seq;
        }
        after = Math.max(after, page.value.next_after);
        more = page.value.has_more && page.value.items.length > 0;
      }
      if (rewind === undefined || rewind >= after) break;
      after = rewind;
      parts.clear();
    }
    this.model.cursor = this.heldCursor(after, parts);
    for (const seq of this.ownUpdates) if (seq <= this.model.cursor) this.ownUpdates.delete(seq);
    return ok(undefined);
  }

  /** The cursor to keep: before the first part of an update still being posted by a member. */
  private heldCursor(after: number, parts: Map<string, PartBuffer>): number {
    let cursor = after;
    for (const buffer of parts.values()) {
      const entry = this.model.roster.get(buffer.sender);
      if (entry && entry.removed_seq === undefined) cursor = Math.min(cursor, buffer.first_seq - 1);
    }
    return cursor;
  }

  private reject(report: SyncReport, message: RelayMessageView, reason: RejectReason): undefined {
    report.rejected_total++;
    if (report.rejected.length < REJECTED_LISTED_MAX) {
      report.rejected.push({ seq: message.seq, device_key: message.device_key, reason });
    }
    return undefined;
  }

  /** Handles one message; returns a seq to read again from when it delivered a key earlier messages needed. */
  private async process(
    message: RelayMessageView,
    parts: Map<string, PartBuffer>,
    report: SyncReport,
  ): Promise<number | undefined> {
    report.read++;
    if (this.ownUpdates.has(message.seq)) return undefined;
    const context = { mailbox: this.model.mailbox, sender: message.device_key, epoch: message.epoch };
    const opened: Opened = await openMessage(context, message.ciphertext, (id) => this.model.keys.get(id));
    switch (opened.kind) {
      case 'key_unknown': {
        const first = this.model.missing.get(opened.key_id);
        this.model.missing.set(opened.key_id, Math.min(first ?? message.seq, message.seq));
        report.waiting_for_keys++;
        return undefined;
      }
      case 'rejected':
        return this.reject(report, message, opened.reason);
      case 'keys':
        return this.onKeys(message, opened.header, report);
      case 'sealed':
        return this.onSealed(message, opened.key_id, opened.header, opened.body, parts, report);
    }
  }

  private async onSealed(
    message: RelayMessageView,
    key_id: string,
    header: Header,
    body: Uint8Array,
    parts: Map<string, PartBuffer>,
    report: SyncReport,
  ): Promise<undefined> {
    const sender = message.device_key;
    // A sender posts one update's parts before anything else: any other message from it means
    // an unfinished earlier update (a crash mid-post) will never be completed.
    const part = isObject(header.part) ? header.part : undefined;
    for (const [name, buffer] of parts) if (buffer.sender === sender && buffer.id !== part?.id) parts.delete(name);
    if (header.type === 'genesis') return this.onGenesis(message, key_id, header, report);
    if (header.type === 'join') return this.onJoin(message, header, report);
    if (!this.memberAt(sender, message.seq)) return this.reject(report, message, 'not_member');
    switch (header.type) {
      case 'update':
        return this.onUpdate(message, header, body, parts, report);
      case 'invite':
        return this.onInvite(message, header, report);
      case 'remove':
        return this.onRemove(message, header, report);
      default:
        return this.reject(report, message, 'malformed');
    }
  }

  private onGenesis(message: RelayMessageView, key_id: string, header: Header, report: SyncReport): undefined {
    const device = announcement(header.device);
    if (!device || device.key !== message.device_key) return this.reject(report, message, 'malformed');
    // Only the founder this device was told of (it made the mailbox, or the pairing named it) starts the log.
    if (device.key !== this.model.founder) return this.reject(report, message, 'not_allowed');
    if (!this.model.roster.has(device.key)) {
      this.model.roster.set(device.key, { ...device, added_seq: message.seq, added_at: message.created_at });
    }
    this.holders(key_id).add(device.key);
    return undefined;
  }

  private async onJoin(message: RelayMessageView, header: Header, report: SyncReport): Promise<undefined> {
    const device = announcement(header.device);
    const sender = message.device_key;
    if (!device || device.key !== sender || !matches(header.invitation, DEVICE_KEY)) {
      return this.reject(report, message, 'malformed');
    }
    const invite = this.model.invites.get(header.invitation);
    if (!invite || invite.seq >= message.seq || (invite.used_by !== undefined && invite.used_by !== sender)) {
      return this.reject(report, message, 'not_allowed');
    }
    const invitationKey = decodePrefixed('pub', header.invitation);
    const signature = typeof header.invitation_sig === 'string' ? fromBase64Url(header.invitation_sig) : undefined;
    if (!invitationKey.ok || !signature?.ok) return this.reject(report, message, 'malformed');
    const binding = joinBinding(this.model.mailbox, sender, device.x25519);
    if (!(await verify(signature.value, binding, invitationKey.value))) {
      return this.reject(report, message, 'signature_invalid');
    }
    invite.used_by = sender;
    if (!this.model.roster.has(sender)) {
      this.model.roster.set(sender, { ...device, added_seq: message.seq, added_at: message.created_at });
    }
    // The invitation handed these keys to the new device.
    for (const id of invite.keys) this.holders(id).add(sender);
    if (sender === this.self) this.model.join = undefined;
    this.model.invitations = this.model.invitations.filter((i) => i.key !== invite.invitation);
    return undefined;
  }

  private onInvite(message: RelayMessageView, header: Header, report: SyncReport): undefined {
    const keys = header.keys;
    const valid =
      matches(header.invitation, DEVICE_KEY) &&
      Array.isArray(keys) &&
      keys.length <= EPOCH_KEYS_MAX &&
      keys.every((k) => matches(k, KEY_ID));
    if (!valid) return this.reject(report, message, 'malformed');
    const invitation = header.invitation as string;
    if (this.model.invites.has(invitation)) return undefined;
    if (this.model.invites.size >= INVITES_MAX) return this.reject(report, message, 'not_allowed');
    this.model.invites.set(invitation, {
      invitation,
      seq: message.seq,
      inviter: message.device_key,
      keys: keys as string[],
    });
    return undefined;
  }

  private onRemove(message: RelayMessageView, header: Header, report: SyncReport): undefined {
    if (!matches(header.device, DEVICE_KEY)) return this.reject(report, message, 'malformed');
    const entry = this.model.roster.get(header.device);
    if (entry && entry.added_seq < message.seq) {
      entry.removed_seq = Math.min(entry.removed_seq ?? message.seq, message.seq);
    }
    return undefined;
  }

  private onUpdate(
    message: RelayMessageView,
    header: Header,
    body: Uint8Array,
    parts: Map<string, PartBuffer>,
    report: SyncReport,
  ): undefined {
    if (header.part === undefined) return this.apply(message, body, report);
    const part = header.part;
    const valid =
      isObject(part) &&
      matches(part.id, PART_ID) &&
      Number.isSafeInteger(part.count) &&
      Number.isSafeInteger(part.index) &&
      (part.count as number) >= 1 &&
      (part.count as number) <= UPDATE_PARTS_MAX &&
      (part.index as number) >= 0 &&
      (part.index as number) < (part.count as number);
    if (!valid) return this.reject(report, message, 'malformed');
    const [id, index, count] = [part.id as string, part.index as number, part.count as number];
    const name = `${message.device_key} ${id}`;
    let buffer = parts.get(name);
    if (!buffer) {
      buffer = { sender: message.device_key, id, first_seq: message.seq, parts: new Array(count), have: 0 };
      parts.set(name, buffer);
    }
    if (buffer.parts.length !== count) return this.reject(report, message, 'malformed');
    if (buffer.parts[index] === undefined) {
      buffer.parts[index] = body;
      buffer.have++;
    }
    if (buffer.have < count) return undefined;
    parts.delete(name);
    return this.apply(message, concatBytes(...(buffer.parts as Uint8Array[])), report);
  }

  private apply(message: RelayMessageView, update: Uint8Array, report: SyncReport): undefined {
    const applied = this.document.applyUpdate(update, SYNC_ORIGIN);
    if (!applied.ok) return this.reject(report, message, 'malformed');
    report.applied++;
    return undefined;
  }

  private onKeys(message: RelayMessageView, header: Header, report: SyncReport): number | undefined {
    if (!this.memberAt(message.device_key, message.seq)) return this.reject(report, message, 'not_member');
    const wraps = header.wraps;
    const valid =
      matches(header.key_id, KEY_ID) &&
      matches(header.ephemeral, X25519_KEY) &&
      isObject(wraps) &&
      Object.keys(wraps).length <= WRAPS_MAX &&
      Object.entries(wraps).every(([device, wrapped]) => DEVICE_KEY.test(device) && typeof wrapped === 'string');
    if (!valid || message.epoch > EPOCH_MAX) return this.reject(report, message, 'malformed');
    const key_id = header.key_id as string;
    const holders = this.holders(key_id);
    for (const device of Object.keys(wraps)) holders.add(device);
    const mine = wraps[this.self];
    if (this.model.keys.has(key_id) || typeof mine !== 'string') return undefined;
    const context = {
      mailbox: this.model.mailbox,
      epoch: message.epoch,
      key_id,
      recipient: this.self,
      ephemeral: header.ephemeral as string,
    };
    const key = unwrapEpochKey(context, this.x25519.secretKey, mine);
    if (!key) return this.reject(report, message, 'undecryptable');
    if (this.model.keys.size >= EPOCH_KEYS_MAX) return this.reject(report, message, 'not_allowed');
    this.model.keys.set(key_id, { epoch: message.epoch, key, id: key_id });
    const first = this.model.missing.get(key_id);
    if (first === undefined) return undefined;
    this.model.missing.delete(key_id);
    return first - 1;
  }

  // -------------------------------------------------------------------------------------------
  // Keys and writing

  /**
   * Keeps the keys fit for the current members. When a removed device holds the write key, makes
   * a new epoch key for the remaining members (every device reading the removal does this;
   * concurrent new keys are harmless: all members get all of them and agree on the highest).
   * When a member lacks a key (it was paired while another device made one), wraps it for that
   * member, which then reads again what that key sealed.
   */
  private async maintainKeys(report: SyncReport): Promise<Result<void>> {
    const current = this.currentKey();
    const members = this.members();
    const leaked = [...this.holders(current.id)].some((d) => this.model.roster.get(d)?.removed_seq !== undefined);
    if (leaked) {
      if (this.model.keys.size >= EPOCH_KEYS_MAX) {
        return err('relay_limit_exceeded', { limit: 'epoch_keys_max', max: EPOCH_KEYS_MAX });
      }
      const epochs = [...this.model.keys.values()].map((k) => k.epoch);
      const next = newEpochKey(Math.max(...epochs) + 1);
      this.model.keys.set(next.id, next);
      const posted = await this.postKeys(next, members, report);
      if (!posted.ok) return posted;
    }
    for (const key of this.model.keys.values()) {
      const holders = this.holders(key.id);
      const lacking = members.filter((member) => !holders.has(member.key));
      if (lacking.length === 0) continue;
      const posted = await this.postKeys(key, lacking, report);
      if (!posted.ok) return posted;
    }
    return ok(undefined);
  }

  private async postKeys(key: EpochKey, to: readonly RosterEntry[], report: SyncReport): Promise<Result<void>> {
    const ephemeral = newX25519KeyPair();
    const ephemeralText = toBase64Url(ephemeral.publicKey);
    const wraps: Record<string, string> = {};
    for (const member of to) {
      const x25519 = fromBase64Url(member.x25519);
      if (!x25519.ok) continue;
      const context = {
        mailbox: this.model.mailbox,
        epoch: key.epoch,
        key_id: key.id,
        recipient: member.key,
        ephemeral: ephemeralText,
      };
      try {
        wraps[member.key] = wrapEpochKey(context, ephemeral.secretKey, x25519.value, key.key);
      } catch {
        // A low-order X25519 key (only a broken or hostile join makes one): no key for it.
      }
    }
    if (Object.keys(wraps).length === 0) return ok(undefined);
    const header = { type: 'keys', epoch: key.epoch, key_id: key.id, ephemeral: ephemeralText, wraps };
    const bytes = await keysMessage(this.context(key.epoch), this.device, header);
    const posted = await this.relay.postMessage(this.device, this.model.mailbox, key.epoch, bytes);
    if (!posted.ok) return posted;
    for (const device of Object.keys(wraps)) this.holders(key.id).add(device);
    report.posted++;
    return ok(undefined);
  }

  /** Takes unused, expired invitation keys off the relay's member list. */
  private async retireInvitations(): Promise<void> {
    const now = Date.now();
    const keep = [];
    for (const invitation of this.model.invitations) {
      if (Date.parse(invitation.expires_at) + INVITATION_GRACE_MS > now) {
        keep.push(invitation);
        continue;
      }
      const removed = await this.relay.removeDevice(this.device, this.model.mailbox, invitation.key);
      if (!removed.ok && removed.error.code !== 'relay_device_not_found') keep.push(invitation);
    }
    this.model.invitations = keep;
  }

  /**
   * Posts the local changes since the last post as one Yjs update, in parts of at most
   * UPDATE_PART_BYTES_MAX when it is larger (a first sync of a big wallet). When a post fails
   * the whole update stays pending and goes again next time under a new part id.
   */
  private async push(report: SyncReport): Promise<Result<void>> {
    const batch = this.model.pending;
    if (batch.length === 0) return ok(undefined);
    this.model.pending = [];
    const update = batch.length === 1 ? batch[0]! : Y.mergeUpdates(batch);
    const count = Math.ceil(update.length / UPDATE_PART_BYTES_MAX);
    if (count > UPDATE_PARTS_MAX) {
      this.model.pending = [update, ...this.model.pending];
      return err('relay_limit_exceeded', { limit: 'update_parts_max', max: UPDATE_PARTS_MAX, parts: count });
    }
    const key = this.currentKey();
    const id = toBase64Url(randomBytes(9));
    for (let index = 0; index < count; index++) {
      const body = update.subarray(index * UPDATE_PART_BYTES_MAX, (index + 1) * UPDATE_PART_BYTES_MAX);
      const header = count === 1 ? { type: 'update' } : { type: 'update', part: { id, index, count } };
      const posted = await this.post(key, header, body);
      if (!posted.ok) {
        this.model.pending = [update, ...this.model.pending];
        return posted;
      }
      // Nothing else came in between: no need to read it back.
      if (posted.value === this.model.cursor + 1) this.model.cursor = posted.value;
      else this.ownUpdates.add(posted.value);
      report.posted++;
    }
    return ok(undefined);
  }
}

function clientOptions(options: ClientOptions): { fetch?: Fetch; timeout_ms?: number } {
  return {
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.timeout_ms === undefined ? {} : { timeout_ms: options.timeout_ms }),
  };
}

function newModel(
  relay_url: string,
  mailbox: string,
  founder: string,
  device: SyncDeviceKeys,
  device_name: string | undefined,
  keys: readonly EpochKey[],
): SyncModel {
  return {
    relay_url,
    mailbox,
    founder,
    device_secret: device.signing.secretKey,
    x25519_secret: device.x25519.secretKey,
    device_name,
    cursor: 0,
    keys: new Map(keys.map((k) => [k.id, k])),
    recipients: new Map(),
    roster: new Map(),
    invites: new Map(),
    invitations: [],
    missing: new Map(),
    join: undefined,
    known_sv: Y.encodeStateVector(new Y.Doc()),
    pending: [],
  };
}
