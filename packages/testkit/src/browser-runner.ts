import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchChromium } from './chromium.js';

export interface BrowserTestResult {
  name: string;
  ok: boolean;
  skipped: boolean;
  error?: string;
  duration_ms: number;
}

export interface BrowserRun {
  results: BrowserTestResult[];
  /** Every URL the page requested: lets a test prove nothing left loopback. */
  requests: string[];
  userAgent: string;
}

const shim = (name: string) => fileURLToPath(new URL(`./browser-shims/${name}.js`, import.meta.url));

/** Bundles test files for the browser, swapping node:test and node:assert for small browser shims. */
export async function bundleTests(files: readonly string[]): Promise<string> {
  const entry = `${files.map((f) => `import ${JSON.stringify(f)};`).join('\n')}\nimport { run } from ${JSON.stringify(shim('node-test'))};\nrun();\n`;
  const result = await build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    // Test files are imported for their side effects, which core's "sideEffects": false would drop.
    ignoreAnnotations: true,
    alias: { 'node:test': shim('node-test'), 'node:assert/strict': shim('assert'), 'node:assert': shim('assert') },
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}

function serve(script: string): Promise<Server> {
  const page =
    '<!doctype html><meta charset="utf-8"><title>tests</title><script type="module" src="/tests.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/tests.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Runs node:test-style test files in headless Chromium and returns each test's outcome.
 * The files run unchanged: only node:test and node:assert are replaced.
 */
export async function runTestsInBrowser(
  chromiumPath: string,
  files: readonly string[],
  timeout_ms = 120_000,
): Promise<BrowserRun> {
  const script = await bundleTests(files);
  const server = await serve(script);
  const browser = await launchChromium(chromiumPath);
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(String(e)));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    try {
      await page.waitForFunction('window.__testsDone === true', undefined, { timeout: timeout_ms });
    } catch (error) {
      throw new Error(`browser tests did not finish: ${errors.join('; ') || String(error)}`);
    }
    const results = (await page.evaluate('window.__testResults')) as BrowserTestResult[];
    const userAgent = (await page.evaluate('navigator.userAgent')) as string;
    return { results, requests, userAgent };
  } finally {
    await browser.close();
    server.close();
  }
}
