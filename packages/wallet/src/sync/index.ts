/**
 * End-to-end encrypted sync of the wallet document between a user's devices, through a node's
 * blind relay (packages/server/src/relay/routes.ts: mailboxes of member device keys, ordered
 * opaque messages with a seq and an epoch, one-time pairing handoffs).
 *
 * KEYS
 * - Each device makes its own random keys, never derived from the recovery phrase, so removing
 *   a device can lock it out: an Ed25519 device key (signs relay requests and every message it
 *   writes; its "pub_…" is the device's name on the relay) and an X25519 key (epoch keys are
 *   wrapped to it).
 * - Content is encrypted under an epoch key: 32 random bytes, XChaCha20-Poly1305. Its id is the
 *   first 16 bytes of SHA-256("webwallet:sync-key-id:v1" || key).
 *
 * MESSAGES (envelope.ts has the byte layouts)
 * - A sealed message is {key id, nonce, ciphertext}; the plaintext is a header (JSON) and a body
 *   (a Yjs update, or a part of one), signed by the sender's device key. The AEAD's associated
 *   data binds the mailbox id, the epoch and the sender's key, so the relay cannot move a
 *   message to another mailbox, epoch or sender; the signature tells members apart (they all
 *   hold the epoch key). Header types: genesis (the founding device announces its keys), invite,
 *   join, remove, update.
 * - A keys message carries one epoch key wrapped for each of some members (ECDH with a fresh
 *   X25519 key per message, HKDF-SHA256 bound to mailbox, epoch, key id and recipient,
 *   XChaCha20-Poly1305), signed by the sender. It is not sealed under an epoch key, so a device
 *   that holds none of the current keys can still read what was wrapped for it.
 * - Who may write is decided by the devices, not the relay: the roster is rebuilt from the log
 *   (the founder's genesis, then joins admitted by invitations, then removals), each with the
 *   seq where it took effect. A message counts only if its signer was a member at its seq.
 *   Anything else (altered, signed by another key, from a key the relay lists but no member
 *   admitted, unparseable) is rejected and reported in SyncReport.rejected, and does not stop
 *   the messages after it.
 *
 * SYNC
 * - sync() reads every message after its cursor and merges the updates (Yjs merges in any
 *   order, any number of times), then posts the local changes since its last post as one Yjs
 *   update, split into parts of at most 255 KiB (the relay takes 256 KiB per message). A device
 *   offline for days just reads more and posts more. A part set still being posted holds the
 *   cursor before its first part; a set its sender abandoned (it posted something else after)
 *   is dropped (the sender posts the whole update again). A message sealed under a key the
 *   device lacks waits; when a keys message later delivers that key, the device reads again
 *   from the first message that needed it (everything is idempotent).
 * - state() is everything to keep between sessions (device secrets, epoch keys, roster, cursor,
 *   unsent changes) as JSON. It is secret: keep it in the wallet's encrypted storage.
 *
 * PAIRING (two steps, one code)
 * 1. invite() on an existing device: a one-time invitation key pair is made and added to the
 *    relay mailbox as a member; an `invite` message (sealed, signed) tells the other devices its
 *    public key and which epoch keys it hands over. An offer {mailbox, founder, invitation
 *    secret key, every epoch key, and the recovery phrase if given} is sealed under
 *    HKDF(pairing secret) and left on the relay as a one-time pairing (10 minutes by default).
 *    The device shows the code: pairing id + 16-byte secret + 3 check bytes, as a QR-code URI
 *    "web+webwallet:pair?relay=…&code=…" or 56 Crockford base32 characters in groups of 4.
 * 2. join() on the new device: reads the pairing (the relay deletes it as it answers), opens
 *    the offer, makes its own device keys, uses the invitation key once to add its own key to
 *    the mailbox, removes the invitation key, reads the whole log, and posts a `join` message
 *    with its public keys, signed by its own key and countersigned by the invitation key. Each
 *    device admits it on reading that join: the invitation must have been announced by a member
 *    before it and be unused. The inviter takes an unused invitation key off the relay once its
 *    pairing has expired.
 * The code carries 128 secret bits the relay never sees (the pairing id is the relay's own), so
 * the relay cannot open the offer offline; the check bytes catch a mistyped code before the
 * one-time pairing is spent.
 *
 * REMOVING A DEVICE
 * removeDevice() takes the device off the relay's members first (from then on the relay answers
 * it 403 relay_not_member), posts a `remove` message, and on reading it back every device sees
 * that a removed device holds the write key: a new epoch key (epoch + 1) is wrapped for the
 * remaining members only, and everything written afterwards is sealed under it. The removed
 * device never receives it, so even the raw stored ciphertext is closed to it. (Devices that
 * rotate at the same time make several keys of one epoch; all members get all of them and agree
 * on one, the lowest id of the highest epoch.) A member that lacks a key (paired while another
 * device rotated) is sent it by any member that notices.
 *
 * WHAT THE RELAY (THE NODE) SEES AND CAN DO
 * It sees: mailbox ids, member device keys, when each message was posted, by which member, its
 * size and epoch number, and the key ids, recipients and ephemeral X25519 keys of keys messages;
 * the pairing ids and their sizes; client IP addresses. It never sees an epoch key, a device's
 * secret, a pairing secret, or any wallet content, device name or recovery phrase. It cannot
 * make a message the devices accept, add a device the devices admit, or read anything. It can
 * withhold, delay, reorder or repeat messages (sync is idempotent and convergent, but it cannot
 * force a device to see everything), refuse service, and list extra keys as members (they can
 * read only ciphertext, and their messages are rejected).
 *
 * LIMITS OF THE DESIGN
 * - The pairing code is a bearer secret while it lives: whoever reads it (a QR code on a screen)
 *   and reaches the relay first gets the epoch keys and, when handed over, the recovery phrase.
 *   Show it only to the device being paired; check the device list afterwards. A leaked phrase
 *   cannot be revoked: move the funds to a new wallet.
 * - A removed device keeps what it read before its removal, and all earlier keys.
 * - A removed device colluding with the relay can still insert messages it signs into the log
 *   at positions before its removal (the relay orders the log); devices that already read past
 *   the removal are not affected.
 * - A relay that withholds a removal from some devices (while serving them) keeps them writing
 *   under the old key until they see it or a later key; colluding with the removed device, it
 *   could pass that on. Devices that saw the removal never write under the old key.
 * - Any member can do anything a member can (add, remove, write): a wallet's devices trust each
 *   other equally.
 * - Nothing is compacted yet: the log keeps every message and a new device reads it all (10,000
 *   receipts in about 80 messages, under 5 s on loopback).
 */

export type {
  EpochKey,
  RejectReason,
  X25519KeyPair,
} from './envelope.js';
export {
  PAIRING_CODE_TEXT_MAX,
  PAIRING_SECRET_BYTES,
  PAIRING_URI_PREFIX,
  type PairingCode,
  type ParsedPairingCode,
  parsePairingCode,
} from './pairing.js';
export {
  RELAY_PAGE_MESSAGES,
  RELAY_RESPONSE_BYTES_MAX,
  RELAY_TIMEOUT_DEFAULT_MS,
  RelayClient,
  type RelayClientOptions,
  type RelayMailboxView,
  type RelayMessageView,
  type RelayPage,
} from './relay-client.js';
export {
  DEVICE_NAME_LENGTH_MAX,
  EPOCH_KEYS_MAX,
  SYNC_STATE_TYPE,
  SYNC_STATE_VERSION,
  type SyncState,
} from './state.js';
export {
  type CreateSyncOptions,
  type InviteOptions,
  type JoinedWallet,
  type JoinSyncOptions,
  newSyncDevice,
  PAIRING_EXPIRES_IN_S_DEFAULT,
  type RejectedMessage,
  SYNC_MESSAGE_BYTES_MAX,
  SYNC_ORIGIN,
  type SyncDevice,
  type SyncDeviceKeys,
  type SyncReport,
  UPDATE_PART_BYTES_MAX,
  UPDATE_PARTS_MAX,
  WalletSync,
} from './wallet-sync.js';
