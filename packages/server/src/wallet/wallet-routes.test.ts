/**
 * The node serving the wallet web app at /wallet/ and the payment method manifest at /pay: the
 * real build (packages/wallet/scripts/build-pwa.mjs, in memory) over real HTTP. What the app does
 * in a browser is tested in packages/wallet/src/pwa/pwa.node.test.ts.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { installErrorHandlers } from '../http/errors.js';
import { assertErrorShape, startTestNode } from '../test-helpers.js';
import type { PwaBuild } from './pwa-build.js';
import { acceptsGzip, WALLET_CSP, walletRoutes } from './routes.js';

type TestNode = Awaited<ReturnType<typeof startTestNode>>;

/** The budget for the wallet's initial load (JS + CSS, gzipped). */
const INITIAL_LOAD_GZIP_BYTES_MAX = 200 * 1024;

const plain = { 'accept-encoding': 'identity' };

describe('the wallet web app at /wallet/', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode();
  });
  after(async () => {
    await node.stop();
  });

  test('/wallet redirects to /wallet/, which is the app page with a strict CSP', async () => {
    const redirect = await fetch(`${node.url}/wallet`, { redirect: 'manual' });
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.get('location'), '/wallet/');

    const page = await fetch(`${node.url}/wallet/`, { headers: plain });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('content-security-policy'), WALLET_CSP);
    for (const rule of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
      assert.ok(WALLET_CSP.includes(rule), rule);
    }
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const html = await page.text();
    assert.match(html, /<script type="module" src="app\.js"><\/script>/);
    assert.match(html, /<link rel="manifest" href="manifest\.webmanifest">/);
    assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), 'no inline script');
    assert.ok(!/\sstyle=/.test(html), 'no inline style');
  });

  test('every file is served with its type, gzipped when asked, and revalidated by ETag', async () => {
    const types: Record<string, string> = {
      'app.js': 'text/javascript; charset=utf-8',
      'app.css': 'text/css; charset=utf-8',
      'sw.js': 'text/javascript; charset=utf-8',
      'manifest.webmanifest': 'application/manifest+json',
      'icon.svg': 'image/svg+xml',
      'qr-reader.js': 'text/javascript; charset=utf-8',
    };
    for (const [name, type] of Object.entries(types)) {
      const url = `${node.url}/wallet/${name}`;
      const identity = await fetch(url, { headers: plain });
      assert.equal(identity.status, 200, name);
      assert.equal(identity.headers.get('content-type'), type, name);
      assert.equal(identity.headers.get('content-encoding'), null, name);
      assert.equal(identity.headers.get('vary'), 'accept-encoding', name);
      const body = Buffer.from(await identity.arrayBuffer());
      // fetch would unzip it: the raw response shows what was sent.
      const zipped = await rawGet(url, { 'accept-encoding': 'gzip, deflate' });
      assert.equal(zipped.headers['content-encoding'], 'gzip', name);
      assert.deepEqual(gunzipSync(zipped.body), body, name);
      const etag = identity.headers.get('etag') ?? '';
      assert.match(etag, /^"[0-9a-f]{16}"$/);
      const again = await fetch(url, { headers: { ...plain, 'if-none-match': etag } });
      assert.equal(again.status, 304, name);
      assert.equal((await again.arrayBuffer()).byteLength, 0);
    }
    const sw = await (await fetch(`${node.url}/wallet/sw.js`)).text();
    const version = (await fetch(`${node.url}/wallet/`)).headers.get('etag')?.replaceAll('"', '');
    assert.ok(sw.includes(`const CACHE = 'wallet-${version}';`), 'the worker caches this version');
    assert.ok(
      sw.includes('const FILES = ["","app.js","app.css","manifest.webmanifest","icon.svg","qr-reader.js"];'),
      'the worker keeps the shell and the script loaded on first use',
    );
    const manifest = (await (await fetch(`${node.url}/wallet/manifest.webmanifest`)).json()) as Record<string, unknown>;
    assert.equal(manifest.scope, '/wallet/');
    assert.equal(manifest.start_url, '/wallet/');
  });

  test(`the initial load (JS + CSS, gzipped) is at most ${INITIAL_LOAD_GZIP_BYTES_MAX / 1024} KB`, async (t) => {
    let total = 0;
    for (const name of ['app.js', 'app.css']) {
      const { body } = await rawGet(`${node.url}/wallet/${name}`, { 'accept-encoding': 'gzip' });
      t.diagnostic(`${name}: ${(body.length / 1024).toFixed(1)} KB gzipped`);
      total += body.length;
    }
    t.diagnostic(
      `initial load: ${(total / 1024).toFixed(1)} KB gzipped (budget ${INITIAL_LOAD_GZIP_BYTES_MAX / 1024} KB)`,
    );
    assert.ok(total <= INITIAL_LOAD_GZIP_BYTES_MAX, `${total} bytes`);
    const script = await (await fetch(`${node.url}/wallet/app.js`)).text();
    assert.ok(!/\bimport\s*\(\s*["'`]node:/.test(script), 'no Node module in the browser bundle');
    assert.ok(!/^import\s/m.test(script), 'one self-contained module');
  });

  test('other paths under /wallet/ are 404 in the node error shape', async () => {
    for (const path of ['/wallet/index.html', '/wallet/nothing.js', '/wallet/..%2Fpackage.json']) {
      const response = await fetch(`${node.url}${path}`);
      assert.equal(response.status, 404, path);
      assertErrorShape(await response.json(), 'route_not_found');
    }
  });

  test('/pay is the payment method manifest naming the wallet as its payment app', async () => {
    for (const path of ['/pay', '/pay/manifest.json']) {
      const response = await fetch(`${node.url}${path}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(response.headers.get('link'), '</pay/manifest.json>; rel="payment-method-manifest"');
      assert.deepEqual(await response.json(), {
        default_applications: [`${node.url}/wallet/manifest.webmanifest`],
      });
    }
  });

  test('the app routes stay out of the OpenAPI document', async () => {
    const spec = (await (await fetch(`${node.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.deepEqual(
      Object.keys(spec.paths).filter((p) => p.startsWith('/wallet') || p.startsWith('/pay')),
      [],
    );
  });
});

describe('walletRoutes without a node', () => {
  const build = (text: string): PwaBuild => {
    const body = Buffer.from(text);
    return {
      version: '0123456789abcdef',
      files: [{ name: 'index.html', type: 'text/html; charset=utf-8', body, gzip: body }],
      initial_load_gzip_bytes: 0,
    };
  };

  test('a build that fails answers 503, and the next request builds again', async () => {
    let calls = 0;
    const app = Fastify({ logger: false });
    installErrorHandlers(app, 1024);
    walletRoutes(app, {
      build: async () => {
        calls++;
        if (calls === 1) throw new Error('esbuild is missing');
        return build('<!doctype html><title>ok</title>');
      },
    });
    const failed = await app.inject({ url: '/wallet/' });
    assert.equal(failed.statusCode, 503);
    const error = assertErrorShape(failed.json(), 'service_unavailable');
    assert.equal(error.details.reason, 'the wallet app could not be built');
    const built = await app.inject({ url: '/wallet/' });
    assert.equal(built.statusCode, 200);
    assert.equal(built.body, '<!doctype html><title>ok</title>');
    await app.inject({ url: '/wallet/' });
    assert.equal(calls, 2, 'built once it worked, then served from memory');
    await app.close();
  });

  test('the payment method manifest uses public_url when the node has one', async () => {
    const app = Fastify({ logger: false });
    walletRoutes(app, { public_url: 'https://node.example/base/', build: async () => build('') });
    const response = await app.inject({ url: '/pay' });
    assert.deepEqual(response.json(), {
      default_applications: ['https://node.example/base/wallet/manifest.webmanifest'],
    });
    await app.close();
  });

  test('acceptsGzip reads Accept-Encoding with its q-values', () => {
    const cases: [string | undefined, boolean][] = [
      [undefined, false],
      ['', false],
      ['gzip', true],
      ['br, gzip;q=0.5', true],
      ['GZIP', true],
      ['gzip;q=0', false],
      ['gzip; q=0.0, identity', false],
      ['*', true],
      ['identity', false],
      ['x-gzip', false],
    ];
    for (const [header, expected] of cases) assert.equal(acceptsGzip(header), expected, String(header));
  });
});

/** A GET that leaves the body as sent (fetch would decompress it). */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}
