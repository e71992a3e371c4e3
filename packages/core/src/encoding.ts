import { err, ok, type Result } from './errors.js';

const HEX = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

function hexDigit(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? HEX_VALUE[c]! : -1;
}

/** Strict hex: even length, [0-9a-fA-F] only. A table lookup: proofs decode dozens per receipt. */
export function fromHex(text: string): Result<Uint8Array> {
  const invalid = () => err('encoding_invalid', { reason: 'not an even-length hex string' });
  if (text.length % 2 !== 0) return invalid();
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const high = hexDigit(text, 2 * i);
    const low = hexDigit(text, 2 * i + 1);
    if (high < 0 || low < 0) return invalid();
    out[i] = (high << 4) | low;
  }
  return ok(out);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64URL_INDEX[B64URL.charCodeAt(i)] = i;

/** base64url without padding (RFC 4648 section 5). */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Strict unpadded base64url decoding: rejects padding, other alphabets and non-canonical
 * trailing bits, so every byte string has exactly one text form (RFC 4648 section 3.5).
 */
export function fromBase64Url(text: string): Result<Uint8Array> {
  if (text.length % 4 === 1) return err('encoding_invalid', { reason: 'impossible base64url length' });
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64URL_INDEX[c]! : -1;
    if (v < 0) return err('encoding_invalid', { reason: 'character outside the base64url alphabet', position: i });
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return err('encoding_invalid', { reason: 'non-canonical trailing bits' });
  return ok(out);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * The typed text forms of binary values. The prefix says what a value is, so a signature can
 * never be mistaken for a key; the rest is unpadded base64url of a fixed number of bytes.
 */
export const PREFIXES = {
  /** Ed25519 public key, 32 bytes. */
  pub: 32,
  /** Ed25519 secret key (the RFC 8032 32-byte seed). */
  sec: 32,
  /** Ed25519 signature, 64 bytes. */
  sig: 64,
  /** Document id: SHA-256 of the canonical document body. */
  doc: 32,
} as const;

export type Prefix = keyof typeof PREFIXES;

/** @example encodePrefixed('pub', publicKey) // "pub_11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" */
export function encodePrefixed(prefix: Prefix, bytes: Uint8Array): string {
  if (bytes.length !== PREFIXES[prefix]) {
    throw new RangeError(`${prefix} values are ${PREFIXES[prefix]} bytes, got ${bytes.length}`);
  }
  return `${prefix}_${toBase64Url(bytes)}`;
}

export function decodePrefixed(prefix: Prefix, text: unknown): Result<Uint8Array> {
  const length = PREFIXES[prefix];
  if (typeof text !== 'string' || !text.startsWith(`${prefix}_`)) {
    return err('encoding_invalid', { expected: `${prefix}_…`, reason: `expected a "${prefix}_" value` });
  }
  const decoded = fromBase64Url(text.slice(prefix.length + 1));
  if (!decoded.ok) return decoded;
  if (decoded.value.length !== length) {
    return err('encoding_invalid', {
      expected: `${prefix}_…`,
      reason: `expected ${length} bytes, got ${decoded.value.length}`,
    });
  }
  return decoded;
}
