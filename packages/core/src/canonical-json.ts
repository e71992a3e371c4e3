import { utf8 } from './encoding.js';
import { ok, type Result, WebWalletError } from './errors.js';

/** Deepest nesting canonicalize accepts; protects the recursion from hostile input. */
export const CANONICAL_DEPTH_MAX = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Serializes a JSON value per RFC 8785 (JSON Canonicalization Scheme), the form of everything
 * WebWallet hashes or signs.
 *
 * RFC 8785 chose ECMAScript's own serialization, so strings and numbers use JSON.stringify
 * (section 3.2.2.2 and 3.2.2.3) and object keys sort by UTF-16 code units, which is what
 * Array.prototype.sort does by default (section 3.2.3). On top of the RFC, a `bigint` is written as
 * a decimal string, because amounts travel as strings.
 *
 * Throws `canonical_json_invalid` for values JSON cannot carry exactly: undefined, functions,
 * symbols, non-finite numbers, lone surrogates (RFC 8785 section 3.2.2.2 requires well-formed
 * Unicode), and objects that are not plain (Date, Map, typed arrays).
 *
 * @example canonicalize({ b: 1, a: [true, null, 2n] }) // '{"a":[true,null,"2"],"b":1}'
 */
export function canonicalize(value: unknown): string {
  return write(value, '$', 0);
}

/** The canonical form as UTF-8 bytes, ready to hash or sign. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalize(value));
}

/** canonicalize, with failure as a value. */
export function tryCanonicalize(value: unknown): Result<string> {
  try {
    return ok(canonicalize(value));
  } catch (error) {
    if (error instanceof WebWalletError) return { ok: false, error };
    throw error;
  }
}

function fail(path: string, reason: string): never {
  throw new WebWalletError('canonical_json_invalid', { path, reason });
}

function writeString(text: string, path: string): string {
  if (LONE_SURROGATE.test(text)) fail(path, 'string contains a lone surrogate');
  return JSON.stringify(text);
}

function write(value: unknown, path: string, depth: number): string {
  if (depth > CANONICAL_DEPTH_MAX) fail(path, `nested deeper than ${CANONICAL_DEPTH_MAX}`);
  switch (typeof value) {
    case 'string':
      return writeString(value, path);
    case 'number':
      if (!Number.isFinite(value)) fail(path, `${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value.toString()}"`;
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => write(item, `${path}[${i}]`, depth + 1)).join(',')}]`;
      }
      return writeObject(value, path, depth);
    default:
      return fail(path, `${typeof value} is not a JSON value`);
  }
}

function writeObject(value: object, path: string, depth: number): string {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) fail(path, 'only plain objects can be canonicalized');
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const childPath = `${path}.${key}`;
    parts.push(`${writeString(key, childPath)}:${write(record[key], childPath, depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}
