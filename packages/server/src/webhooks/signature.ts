import { createHmac, randomBytes } from 'node:crypto';

/** Prefix of every webhook signing secret, so a leaked one is recognisable (secret scanners, logs). */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/**
 * The `WebWallet-Signature` header for one delivery attempt (docs/processor.md, "Webhooks"):
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, one `v1` per secret.
 *
 * The HMAC key is the whole secret string including `whsec_`, as UTF-8: that is what the merchant
 * copies, so there is nothing to strip or decode on their side. Pass the newest secret first; while a
 * rotated-out secret is still valid, receivers holding either one can verify.
 *
 * @example
 * signatureHeader(['whsec_new', 'whsec_old'], 1700000000, '{"id":"evt_1"}');
 * // 't=1700000000,v1=5e1c…,v1=9a0b…'
 */
export function signatureHeader(secrets: readonly string[], timestamp_s: number, rawBody: string): string {
  if (secrets.length === 0) throw new RangeError('signatureHeader needs at least one secret');
  if (!Number.isSafeInteger(timestamp_s) || timestamp_s < 0) {
    throw new RangeError(`timestamp_s must be a non-negative integer, got ${timestamp_s}`);
  }
  const signed = `${timestamp_s}.${rawBody}`;
  const signatures = secrets.map((secret) => `v1=${createHmac('sha256', secret).update(signed).digest('hex')}`);
  return [`t=${timestamp_s}`, ...signatures].join(',');
}

/**
 * A new signing secret: `whsec_` and 32 base64url characters (24 random bytes, 192 bits). 24 bytes
 * encode to exactly 32 characters with no padding, so every character is uniformly random.
 *
 * @example
 * generateWebhookSecret(); // 'whsec_3q2-7wAbCdEfGhIjKlMnOpQrStUvWxYz'
 */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(24).toString('base64url')}`;
}
