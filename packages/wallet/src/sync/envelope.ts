import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  canonicalBytes,
  concatBytes,
  decodePrefixed,
  fromBase64Url,
  fromUtf8,
  type KeyPair,
  randomBytes,
  sign,
  toBase64Url,
  utf8,
  verify,
} from '@webwallet/core';
import { open, seal } from '../keys/lock.js';

/**
 * The bytes of one relay message (the `ciphertext` the relay stores). Two forms:
 *
 * Sealed (every wallet change and membership message):
 *   0x01 || key_id (16) || nonce (24) || XChaCha20-Poly1305(epoch key, nonce, aad, plaintext)
 *   aad       = canonical JSON {domain: "webwallet:sync-envelope:v1", mailbox, epoch, sender, key_id}
 *   plaintext = header length (u32 big-endian) || header (canonical JSON) || body || signature (64)
 *   signature = Ed25519 by the sender's device key over: aad length (u32) || aad || plaintext before the signature
 * `sender` and `epoch` are what the relay says about the message, so a relay that moves a
 * message to another mailbox, epoch or sender makes it fail to open; the signature proves which
 * member wrote it to the other members (who all hold the epoch key, so the AEAD alone cannot).
 *
 * Keys (a new epoch key, or an existing one shared with members that lack it):
 *   0x02 || header length (u32) || header (canonical JSON) || signature (64)
 *   header = {type: "keys", epoch, key_id, ephemeral (X25519 public key), wraps: {"pub_…": wrapped key}}
 *   signature over: aad length (u32) || aad || header, aad = {domain: "webwallet:sync-keys:v1", mailbox, epoch, sender}
 *   wrapped = nonce || XChaCha20-Poly1305(HKDF-SHA256(X25519(ephemeral secret, recipient's X25519 key),
 *             salt "webwallet:sync-wrap:v1", info = canonical JSON {mailbox, epoch, key_id, recipient, ephemeral}), key)
 * Not sealed under an epoch key: a device that lacks every current key (one paired during a
 * rotation) must still read what was wrapped for it. The relay sees the recipients (it knows the
 * members anyway), the key id and ephemeral public key, never a key.
 *
 * key_id is the first 16 bytes of SHA-256("webwallet:sync-key-id:v1" || key): it names a key
 * without revealing it, and an unwrapped key that does not hash to its id is refused.
 */

export const FORMAT_SEALED = 1;
export const FORMAT_KEYS = 2;
export const EPOCH_KEY_BYTES = 32;
export const KEY_ID_BYTES = 16;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
const SIGNATURE_BYTES = 64;
/** A header is small JSON (membership, part numbers); a keys header wraps a key for at most 32 devices. */
export const HEADER_BYTES_MAX = 16 * 1024;
/** Bytes of a sealed message around its body: format, key id, nonce, tag, header length, signature. */
export const SEALED_OVERHEAD_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES + TAG_BYTES + 4 + SIGNATURE_BYTES;

const KEY_ID_PREFIX = utf8('webwallet:sync-key-id:v1');
const WRAP_SALT = utf8('webwallet:sync-wrap:v1');

export type Header = Record<string, unknown>;

/** Who posted a message where, as the relay reports it (and the envelope authenticates). */
export interface MessageContext {
  readonly mailbox: string;
  /** The posting device's "pub_…" key. */
  readonly sender: string;
  /** The epoch the relay stores with the message. */
  readonly epoch: number;
}

export interface EpochKey {
  readonly epoch: number;
  readonly key: Uint8Array;
  /** base64url of the 16-byte key id. */
  readonly id: string;
}

/** The base64url id of an epoch key. */
export function keyId(key: Uint8Array): string {
  return toBase64Url(sha256(concatBytes(KEY_ID_PREFIX, key)).subarray(0, KEY_ID_BYTES));
}

/** A new random epoch key. */
export function newEpochKey(epoch: number): EpochKey {
  const key = randomBytes(EPOCH_KEY_BYTES);
  return { epoch, key, id: keyId(key) };
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, false);
}

function sealedAad(context: MessageContext, key_id: string): Uint8Array {
  return canonicalBytes({ domain: 'webwallet:sync-envelope:v1', ...context, key_id });
}

function keysAad(context: MessageContext): Uint8Array {
  return canonicalBytes({ domain: 'webwallet:sync-keys:v1', ...context });
}

/** What the sender signs: the AAD (so the signature is bound to mailbox, epoch and sender too), then the content. */
function signedBytes(aad: Uint8Array, content: Uint8Array): Uint8Array {
  return concatBytes(u32(aad.length), aad, content);
}

function parseHeader(bytes: Uint8Array): Header | undefined {
  try {
    const value: unknown = JSON.parse(fromUtf8(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Header) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a message was not used. `key_unknown`: sealed under a key this device does not (yet) hold;
 * the others are final.
 */
export type RejectReason = 'malformed' | 'undecryptable' | 'signature_invalid' | 'not_member' | 'not_allowed';

export type Opened =
  | { readonly kind: 'sealed'; readonly key_id: string; readonly header: Header; readonly body: Uint8Array }
  | { readonly kind: 'keys'; readonly header: Header }
  | { readonly kind: 'key_unknown'; readonly key_id: string }
  | { readonly kind: 'rejected'; readonly reason: RejectReason };

const rejected = (reason: RejectReason): Opened => ({ kind: 'rejected', reason });

/** Seals a header and body under an epoch key, signed by the sending device. */
export async function sealMessage(
  context: MessageContext,
  epochKey: EpochKey,
  device: KeyPair,
  header: Header,
  body: Uint8Array = new Uint8Array(0),
): Promise<Uint8Array> {
  if (context.epoch !== epochKey.epoch) throw new RangeError('the context epoch must be the epoch of the key');
  const aad = sealedAad(context, epochKey.id);
  const headerBytes = canonicalBytes(header);
  const content = concatBytes(u32(headerBytes.length), headerBytes, body);
  const signature = await sign(signedBytes(aad, content), device.secretKey);
  const nonce = randomBytes(NONCE_BYTES);
  const ciphertext = xchacha20poly1305(epochKey.key, nonce, aad).encrypt(concatBytes(content, signature));
  const keyIdBytes = fromBase64Url(epochKey.id);
  if (!keyIdBytes.ok) throw new RangeError('epoch key id is not base64url');
  return concatBytes(Uint8Array.of(FORMAT_SEALED), keyIdBytes.value, nonce, ciphertext);
}

/** Signs a keys message (its wraps are made with wrapEpochKey). */
export async function keysMessage(context: MessageContext, device: KeyPair, header: Header): Promise<Uint8Array> {
  const headerBytes = canonicalBytes(header);
  const signature = await sign(signedBytes(keysAad(context), headerBytes), device.secretKey);
  return concatBytes(Uint8Array.of(FORMAT_KEYS), u32(headerBytes.length), headerBytes, signature);
}

/**
 * Opens a relay message: checks its form, finds its key with `keyFor`, decrypts and checks the
 * sender's signature. It does not decide whether the sender may write: the caller checks
 * membership.
 */
export async function openMessage(
  context: MessageContext,
  bytes: Uint8Array,
  keyFor: (id: string) => EpochKey | undefined,
): Promise<Opened> {
  const senderKey = decodePrefixed('pub', context.sender);
  if (!senderKey.ok) return rejected('malformed');
  if (bytes[0] === FORMAT_KEYS) return openKeys(context, bytes, senderKey.value);
  if (bytes[0] !== FORMAT_SEALED || bytes.length < SEALED_OVERHEAD_BYTES) return rejected('malformed');
  const key_id = toBase64Url(bytes.subarray(1, 1 + KEY_ID_BYTES));
  const epochKey = keyFor(key_id);
  if (!epochKey) return { kind: 'key_unknown', key_id };
  // The epoch is only a label the relay shows; the key id decides, and both are in the AAD.
  if (epochKey.epoch !== context.epoch) return rejected('undecryptable');
  const aad = sealedAad(context, key_id);
  const nonce = bytes.subarray(1 + KEY_ID_BYTES, 1 + KEY_ID_BYTES + NONCE_BYTES);
  let plaintext: Uint8Array;
  try {
    plaintext = xchacha20poly1305(epochKey.key, nonce, aad).decrypt(bytes.subarray(1 + KEY_ID_BYTES + NONCE_BYTES));
  } catch {
    return rejected('undecryptable');
  }
  if (plaintext.length < 4 + SIGNATURE_BYTES) return rejected('malformed');
  const content = plaintext.subarray(0, plaintext.length - SIGNATURE_BYTES);
  const signature = plaintext.subarray(plaintext.length - SIGNATURE_BYTES);
  if (!(await verify(signature, signedBytes(aad, content), senderKey.value))) return rejected('signature_invalid');
  const headerLength = readU32(content, 0);
  if (headerLength > HEADER_BYTES_MAX || 4 + headerLength > content.length) return rejected('malformed');
  const header = parseHeader(content.subarray(4, 4 + headerLength));
  if (!header) return rejected('malformed');
  return { kind: 'sealed', key_id, header, body: content.subarray(4 + headerLength) };
}

async function openKeys(context: MessageContext, bytes: Uint8Array, senderKey: Uint8Array): Promise<Opened> {
  if (bytes.length < 1 + 4 + SIGNATURE_BYTES) return rejected('malformed');
  const headerLength = readU32(bytes, 1);
  if (headerLength > HEADER_BYTES_MAX || bytes.length !== 1 + 4 + headerLength + SIGNATURE_BYTES) {
    return rejected('malformed');
  }
  const headerBytes = bytes.subarray(5, 5 + headerLength);
  const signature = bytes.subarray(5 + headerLength);
  if (!(await verify(signature, signedBytes(keysAad(context), headerBytes), senderKey))) {
    return rejected('signature_invalid');
  }
  const header = parseHeader(headerBytes);
  if (header?.type !== 'keys' || header.epoch !== context.epoch) return rejected('malformed');
  return { kind: 'keys', header };
}

/** A device's X25519 key pair, for receiving wrapped epoch keys. */
export interface X25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export function newX25519KeyPair(): X25519KeyPair {
  const secretKey = x25519.utils.randomSecretKey();
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

export function x25519KeyPair(secretKey: Uint8Array): X25519KeyPair {
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

export interface WrapContext {
  readonly mailbox: string;
  readonly epoch: number;
  readonly key_id: string;
  /** The recipient device's "pub_…" key. */
  readonly recipient: string;
  /** base64url X25519 public key of the message's ephemeral key. */
  readonly ephemeral: string;
}

function wrapKeyFor(shared: Uint8Array, context: WrapContext): Uint8Array {
  return hkdf(sha256, shared, WRAP_SALT, canonicalBytes(context), 32);
}

/** Encrypts an epoch key to one recipient's X25519 key (base64url of nonce || ciphertext). */
export function wrapEpochKey(
  context: WrapContext,
  ephemeralSecret: Uint8Array,
  recipientX25519: Uint8Array,
  key: Uint8Array,
): string {
  const shared = x25519.getSharedSecret(ephemeralSecret, recipientX25519);
  return toBase64Url(seal(wrapKeyFor(shared, context), key));
}

/** The epoch key wrapped for this device, or undefined when it does not open or does not match its id. */
export function unwrapEpochKey(context: WrapContext, ownSecret: Uint8Array, wrapped: string): Uint8Array | undefined {
  const ephemeral = fromBase64Url(context.ephemeral);
  const sealed = fromBase64Url(wrapped);
  if (!ephemeral.ok || !sealed.ok || ephemeral.value.length !== 32) return undefined;
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(ownSecret, ephemeral.value);
  } catch {
    return undefined; // a low-order point: no shared secret
  }
  const key = open(wrapKeyFor(shared, context), sealed.value);
  if (!key.ok || key.value.length !== EPOCH_KEY_BYTES) return undefined;
  return keyId(key.value) === context.key_id ? key.value : undefined;
}
