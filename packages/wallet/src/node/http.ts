import { ERRORS, type ErrorCode, WebWalletError } from '@webwallet/core';

/**
 * What the node client and the relay client share: reading a bounded body and turning the node's
 * error shape into a WebWalletError.
 */
type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The node's error body ({"error":{code,message,details}}) as a WebWalletError, or undefined. */
export function errorFromBody(body: unknown): WebWalletError | undefined {
  const error = isObject(body) ? body.error : undefined;
  if (!isObject(error) || typeof error.code !== 'string' || !Object.hasOwn(ERRORS, error.code)) return undefined;
  const details = isObject(error.details) ? error.details : {};
  const message = typeof error.message === 'string' ? error.message : undefined;
  return new WebWalletError(error.code as ErrorCode, details, message);
}

/**
 * Reads at most `limit` bytes of a body (undefined beyond): a broken or hostile server cannot
 * make the wallet buffer more, whether or not it declares a Content-Length.
 */
export async function readLimited(response: Response, limit: number): Promise<Uint8Array | undefined> {
  if (Number(response.headers.get('content-length') ?? '0') > limit) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
