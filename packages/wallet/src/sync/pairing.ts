import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base32crockford } from '@scure/base';
import {
  bytesEqual,
  canonicalize,
  concatBytes,
  decodePrefixed,
  encodePrefixed,
  err,
  fromBase64Url,
  fromUtf8,
  ok,
  type Result,
  randomBytes,
  toBase64Url,
  utf8,
} from '@webwallet/core';
import { open, seal } from '../keys/lock.js';
import { checkRecoveryPhrase } from '../keys/recovery.js';
import { EPOCH_KEY_BYTES, type EpochKey, keyId } from './envelope.js';
import { EPOCH_KEYS_MAX } from './state.js';

/**
 * The pairing code an existing device shows and a new device types or scans, and the encrypted
 * handoff ("offer") it unlocks.
 *
 * Code = relay pairing id (16 bytes, chosen by the relay) || pairing secret (16 random bytes,
 * chosen by the device and never sent to the relay) || check (the first 3 bytes of
 * SHA-256("webwallet:pairing-code:v1" || id || secret)): 35 bytes, 56 characters of Crockford
 * base32, shown in 14 groups of 4 ("7Q2M-…"). Reading ignores case, spaces and dashes and takes
 * O for 0 and I or L for 1. The check catches a mistyped code before the one-time pairing is
 * spent on it (a wrong guess passes it once in 16 million).
 *
 * The offer is sealed (XChaCha20-Poly1305) under HKDF-SHA256(secret, salt
 * "webwallet:pairing:v1"). The relay knows the id, never the secret: opening the offer offline
 * takes a search of 2^128 secrets, so no key stretching is needed.
 *
 * For a QR code the code travels as a URI that also names the relay:
 *   web+webwallet:pair?relay=<relay base URL>&code=<56 characters>
 */

export const PAIRING_SECRET_BYTES = 16;
const PAIRING_ID_BYTES = 16;
const CHECK_BYTES = 3;
const CODE_CHARS = 56;
const GROUP_CHARS = 4;
const CHECK_PREFIX = utf8('webwallet:pairing-code:v1');
const OFFER_SALT = utf8('webwallet:pairing:v1');
const OFFER_AAD = utf8('webwallet:pairing-offer:v1');
export const PAIRING_URI_PREFIX = 'web+webwallet:pair?';
/** Longest code text looked at (a URI with a long relay URL). */
export const PAIRING_CODE_TEXT_MAX = 2_048;
const PAIRING_ID = /^pair_[A-Za-z0-9_-]{22}$/;
const MAILBOX_ID = /^mbx_[A-Za-z0-9_-]{22}$/;
const DEVICE_KEY = /^pub_[A-Za-z0-9_-]{43}$/;

export interface PairingCode {
  /** For a QR code: "web+webwallet:pair?relay=…&code=…". */
  readonly uri: string;
  /** For typing: 14 groups of 4 characters, e.g. "7Q2M-0RFB-…". The relay URL must be known separately. */
  readonly typed: string;
  readonly relay_url: string;
  /** When the relay forgets the pairing (RFC 3339). */
  readonly expires_at: string;
}

export interface ParsedPairingCode {
  readonly pairing_id: string;
  readonly secret: Uint8Array;
  /** Only when the code was the URI form. */
  readonly relay_url?: string;
}

function check(id: Uint8Array, secret: Uint8Array): Uint8Array {
  return sha256(concatBytes(CHECK_PREFIX, id, secret)).subarray(0, CHECK_BYTES);
}

/** The code text for a pairing id and secret. */
export function pairingCode(
  pairing_id: string,
  secret: Uint8Array,
  relay_url: string,
  expires_at: string,
): PairingCode {
  const id = fromBase64Url(pairing_id.slice('pair_'.length));
  if (!PAIRING_ID.test(pairing_id) || !id.ok || id.value.length !== PAIRING_ID_BYTES) {
    throw new RangeError(`not a relay pairing id: ${pairing_id}`);
  }
  if (secret.length !== PAIRING_SECRET_BYTES) throw new RangeError(`a pairing secret is ${PAIRING_SECRET_BYTES} bytes`);
  const compact = base32crockford.encode(concatBytes(id.value, secret, check(id.value, secret)));
  const typed = compact.match(new RegExp(`.{${GROUP_CHARS}}`, 'g'))!.join('-');
  const uri = `${PAIRING_URI_PREFIX}relay=${encodeURIComponent(relay_url)}&code=${compact}`;
  return { uri, typed, relay_url, expires_at };
}

function mistyped(reason: string): Result<never> {
  return err('pairing_code_invalid', { reason });
}

/**
 * Reads a code as typed or scanned: the URI form or the 56 characters (any case, with or
 * without dashes and spaces). Fails with pairing_code_invalid and a details.reason for a code that
 * cannot be right, before anything is asked of the relay.
 */
export function parsePairingCode(text: string): Result<ParsedPairingCode> {
  if (typeof text !== 'string') throw new TypeError('a pairing code is a string');
  if (text.length > PAIRING_CODE_TEXT_MAX) return mistyped(`longer than ${PAIRING_CODE_TEXT_MAX} characters`);
  let codeText = text.trim();
  let relay_url: string | undefined;
  if (codeText.startsWith(PAIRING_URI_PREFIX)) {
    const query = new URLSearchParams(codeText.slice(PAIRING_URI_PREFIX.length));
    const relay = query.get('relay');
    codeText = query.get('code') ?? '';
    if (relay === null || !/^https?:\/\//.test(relay)) return mistyped('the pairing URI has no http(s) relay URL');
    relay_url = relay;
  }
  const compact = codeText.replace(/[\s-]+/g, '').toUpperCase();
  if (compact.length !== CODE_CHARS) {
    return mistyped(`a pairing code has ${CODE_CHARS} letters and digits, this has ${compact.length}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = base32crockford.decode(compact);
  } catch {
    return mistyped('a pairing code has only the digits 0-9 and the letters A-Z except U');
  }
  const id = bytes.subarray(0, PAIRING_ID_BYTES);
  const secret = bytes.subarray(PAIRING_ID_BYTES, PAIRING_ID_BYTES + PAIRING_SECRET_BYTES);
  if (!bytesEqual(check(id, secret), bytes.subarray(PAIRING_ID_BYTES + PAIRING_SECRET_BYTES))) {
    return mistyped('the code is mistyped: its check characters do not match');
  }
  return ok({
    pairing_id: `pair_${toBase64Url(id)}`,
    secret: secret.slice(),
    ...(relay_url === undefined ? {} : { relay_url }),
  });
}

function offerKey(secret: Uint8Array): Uint8Array {
  return hkdf(sha256, secret, OFFER_SALT, undefined, 32);
}

/** What an inviting device hands to the new one. */
export interface Offer {
  readonly mailbox: string;
  /** The device whose genesis message starts the log. */
  readonly founder: string;
  /** The one-time invitation key's secret: it adds the new device to the mailbox and vouches for its join. */
  readonly invitation: Uint8Array;
  /** Every epoch key the inviter holds, so the new device reads the whole history. */
  readonly keys: readonly EpochKey[];
  readonly recovery_phrase?: string;
}

const OFFER_TYPE = 'webwallet.sync-offer';
/** Keys travel as epoch (4 bytes, big-endian) and key (32 bytes) per key: 200 keys fit in 10 KB. */
const OFFER_KEY_BYTES = 4 + EPOCH_KEY_BYTES;

function encodeOfferKeys(keys: readonly EpochKey[]): string {
  const out = new Uint8Array(keys.length * OFFER_KEY_BYTES);
  const view = new DataView(out.buffer);
  keys.forEach((k, i) => {
    view.setUint32(i * OFFER_KEY_BYTES, k.epoch, false);
    out.set(k.key, i * OFFER_KEY_BYTES + 4);
  });
  return toBase64Url(out);
}

function decodeOfferKeys(text: unknown): EpochKey[] | undefined {
  const bytes = typeof text === 'string' ? fromBase64Url(text) : undefined;
  if (!bytes?.ok || bytes.value.length % OFFER_KEY_BYTES !== 0) return undefined;
  const view = new DataView(bytes.value.buffer, bytes.value.byteOffset, bytes.value.byteLength);
  const keys: EpochKey[] = [];
  for (let offset = 0; offset < bytes.value.length; offset += OFFER_KEY_BYTES) {
    const key = bytes.value.slice(offset + 4, offset + OFFER_KEY_BYTES);
    keys.push({ epoch: view.getUint32(offset, false), key, id: keyId(key) });
  }
  return keys.length > 0 && keys.length <= EPOCH_KEYS_MAX ? keys : undefined;
}

function parseOffer(value: unknown): Offer | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const offer = value as Record<string, unknown>;
  if (offer.type !== OFFER_TYPE || offer.version !== 1) return undefined;
  const invitation = decodePrefixed('sec', offer.invitation);
  const keys = decodeOfferKeys(offer.keys);
  const { mailbox, founder } = offer;
  if (!invitation.ok || !keys || typeof mailbox !== 'string' || !MAILBOX_ID.test(mailbox)) return undefined;
  if (typeof founder !== 'string' || !DEVICE_KEY.test(founder)) return undefined;
  const base = { mailbox, founder, invitation: invitation.value, keys };
  if (offer.recovery_phrase === undefined) return base;
  const phrase = typeof offer.recovery_phrase === 'string' ? checkRecoveryPhrase(offer.recovery_phrase) : undefined;
  return phrase?.ok ? { ...base, recovery_phrase: phrase.value } : undefined;
}

/** A new random pairing secret. */
export function newPairingSecret(): Uint8Array {
  return randomBytes(PAIRING_SECRET_BYTES);
}

/** Seals an offer under the pairing secret. */
export function sealOffer(secret: Uint8Array, offer: Offer): Uint8Array {
  const json = {
    type: OFFER_TYPE,
    version: 1,
    mailbox: offer.mailbox,
    founder: offer.founder,
    invitation: encodePrefixed('sec', offer.invitation),
    keys: encodeOfferKeys(offer.keys),
    ...(offer.recovery_phrase === undefined ? {} : { recovery_phrase: offer.recovery_phrase }),
  };
  return seal(offerKey(secret), utf8(canonicalize(json)), OFFER_AAD);
}

/** Opens an offer; pairing_code_invalid when the secret does not open it (a code for another pairing). */
export function openOffer(secret: Uint8Array, sealed: Uint8Array): Result<Offer> {
  const opened = open(offerKey(secret), sealed, OFFER_AAD);
  if (!opened.ok) return mistyped('the code does not open this pairing');
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(opened.value));
  } catch {
    value = undefined;
  }
  const offer = parseOffer(value);
  return offer ? ok(offer) : mistyped('the pairing holds no valid offer');
}
