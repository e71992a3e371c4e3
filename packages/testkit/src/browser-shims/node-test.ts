/**
 * The subset of node:test that the isomorphic test files use (describe/test/it with sync or
 * async bodies, t.skip), for running those files unchanged in a browser. Results land on
 * window.__testResults for the Playwright driver to read.
 */
type Body = (context: Context) => unknown;

interface Context {
  name: string;
  skip(message?: string): void;
}

interface Node {
  name: string;
  body: Body | undefined;
  suite: boolean;
  children: Node[];
}

interface Result {
  name: string;
  ok: boolean;
  skipped: boolean;
  error?: string;
  duration_ms: number;
}

const root: Node = { name: '', body: undefined, suite: true, children: [] };
let current = root;

function add(suite: boolean, name: string, a?: unknown, b?: unknown): void {
  const body = (typeof a === 'function' ? a : b) as Body | undefined;
  current.children.push({ name, body, suite, children: [] });
}

export function describe(name: string, a?: unknown, b?: unknown): void {
  add(true, name, a, b);
}
export function test(name: string, a?: unknown, b?: unknown): void {
  add(false, name, a, b);
}
export const it = test;
export const suite = describe;

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return String(error);
}

async function runNode(node: Node, prefix: string, results: Result[]): Promise<void> {
  const name = prefix ? `${prefix} > ${node.name}` : node.name;
  const started = performance.now();
  let skipped = false;
  const context: Context = {
    name: node.name,
    skip: () => {
      skipped = true;
    },
  };
  if (node.suite) {
    const parent = current;
    current = node;
    try {
      await node.body?.(context);
    } catch (error) {
      results.push({ name, ok: false, skipped: false, error: describeError(error), duration_ms: 0 });
    } finally {
      current = parent;
    }
    for (const child of node.children) await runNode(child, name, results);
    return;
  }
  try {
    await node.body?.(context);
    results.push({ name, ok: true, skipped, duration_ms: performance.now() - started });
  } catch (error) {
    results.push({
      name,
      ok: false,
      skipped: false,
      error: describeError(error),
      duration_ms: performance.now() - started,
    });
  }
}

export async function run(): Promise<void> {
  const results: Result[] = [];
  for (const child of root.children) await runNode(child, '', results);
  const w = globalThis as unknown as { __testResults: Result[]; __testsDone: boolean };
  w.__testResults = results;
  w.__testsDone = true;
}

export default test;
