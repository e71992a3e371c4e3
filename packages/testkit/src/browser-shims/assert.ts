/**
 * The subset of node:assert/strict that the isomorphic test files use, for browsers.
 * Semantics follow Node's strict mode: Object.is for primitives, prototypes must match.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

function show(value: unknown): string {
  try {
    return typeof value === 'bigint'
      ? `${value}n`
      : (JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value));
  } catch {
    return String(value);
  }
}

function fail(message: string | undefined, fallback: string): never {
  throw new AssertionError(message ?? fallback);
}

export function ok(value: unknown, message?: string): void {
  if (!value) fail(message, `expected a truthy value, got ${show(value)}`);
}

export function equal(actual: unknown, expected: unknown, message?: string): void {
  if (!Object.is(actual, expected)) fail(message, `expected ${show(expected)}, got ${show(actual)}`);
}
export const strictEqual = equal;

export function notEqual(actual: unknown, expected: unknown, message?: string): void {
  if (Object.is(actual, expected)) fail(message, `expected a value other than ${show(expected)}`);
}
export const notStrictEqual = notEqual;

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    return x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
  }
  if (a instanceof Map || a instanceof Set) return isDeepEqual([...a], [...(b as Map<unknown, unknown>)]);
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) => Object.hasOwn(b, k) && isDeepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

export function deepEqual(actual: unknown, expected: unknown, message?: string): void {
  if (!isDeepEqual(actual, expected)) fail(message, `expected ${show(expected)}, got ${show(actual)}`);
}
export const deepStrictEqual = deepEqual;

export function notDeepEqual(actual: unknown, expected: unknown, message?: string): void {
  if (isDeepEqual(actual, expected)) fail(message, `expected values to differ: ${show(actual)}`);
}

export function match(actual: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(actual)) fail(message, `${show(actual)} does not match ${pattern}`);
}

type Expected = RegExp | (new (...args: never[]) => unknown) | ((error: unknown) => boolean) | object;

function checkThrown(error: unknown, expected: Expected | undefined, message: string | undefined): void {
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    if (!expected.test(String((error as Error)?.message ?? error))) fail(message, `error does not match ${expected}`);
    return;
  }
  if (typeof expected === 'function') {
    const isClass = expected.prototype !== undefined && (expected === Error || expected.prototype instanceof Error);
    if (isClass) {
      if (!(error instanceof (expected as new () => unknown)))
        fail(message, `expected ${expected.name}, got ${show(error)}`);
    } else if ((expected as (e: unknown) => boolean)(error) !== true) {
      fail(message, `error failed validation: ${String(error)}`);
    }
    return;
  }
  for (const [key, value] of Object.entries(expected)) {
    if (!isDeepEqual((error as Record<string, unknown>)?.[key], value))
      fail(message, `error.${key} is not ${show(value)}`);
  }
}

export function throws(fn: () => unknown, expected?: Expected | string, message?: string): void {
  try {
    fn();
  } catch (error) {
    checkThrown(
      error,
      typeof expected === 'string' ? undefined : expected,
      typeof expected === 'string' ? expected : message,
    );
    return;
  }
  fail(typeof expected === 'string' ? expected : message, 'expected the function to throw');
}

export async function rejects(
  value: Promise<unknown> | (() => Promise<unknown>),
  expected?: Expected,
  message?: string,
): Promise<void> {
  try {
    await (typeof value === 'function' ? value() : value);
  } catch (error) {
    checkThrown(error, expected, message);
    return;
  }
  fail(message, 'expected the promise to reject');
}

const assert = Object.assign((value: unknown, message?: string) => ok(value, message), {
  ok,
  equal,
  strictEqual,
  notEqual,
  notStrictEqual,
  deepEqual,
  deepStrictEqual,
  notDeepEqual,
  match,
  throws,
  rejects,
  AssertionError,
});
export default assert;
