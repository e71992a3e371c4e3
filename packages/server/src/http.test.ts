import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createDocument, encodePrefixed, generateKeyPair } from '@webwallet/core';
import fc from 'fast-check';
import { assertErrorShape, startTestNode } from './test-helpers.js';

type TestNode = Awaited<ReturnType<typeof startTestNode>>;

async function call(node: TestNode, path: string, init: RequestInit = {}) {
  const response = await fetch(`${node.url}${path}`, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

const json = (body: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('node HTTP API', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode();
  });
  after(async () => {
    await node.stop();
  });

  test('GET /healthz', async () => {
    const res = await call(node, '/healthz');
    assert.equal(res.status, 200);
    assert.equal((res.body as { status: string }).status, 'ok');
  });

  test('GET /.well-known/webwallet names the node and its key', async () => {
    const res = await call(node, '/.well-known/webwallet');
    assert.equal(res.status, 200);
    const info = res.body as Record<string, unknown>;
    const keyFile = JSON.parse(readFileSync(`${node.dataDir}/node-key.json`, 'utf8'));
    assert.equal(info.public_key, keyFile.public_key);
    assert.match(String(info.public_key), /^pub_[A-Za-z0-9_-]{43}$/);
    assert.equal(info.api_base_url, node.url);
    assert.equal(info.name, 'WebWallet node');
    assert.deepEqual(info.software, { name: 'webwallet', version: '0.1.0' });
    assert.equal(info.protocol_version, 1);
  });

  test('every response carries a request id, and a sane caller id is kept', async () => {
    const generated = await call(node, '/healthz');
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const given = await call(node, '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    assert.equal(given.headers.get('x-request-id'), 'abc-123');
    const hostile = await call(node, '/healthz', { headers: { 'x-request-id': 'a b\tc' } });
    assert.notEqual(hostile.headers.get('x-request-id'), 'a b\tc');
  });

  test('POST /v1/documents/verify verifies signatures and names the missing signer', async () => {
    const alice = await generateKeyPair();
    const bob = await generateKeyPair();
    const doc = await createDocument('example.note', 1, { text: 'hello', amount: '1.00' }, [alice]);
    const ok = await call(node, '/v1/documents/verify', json(JSON.stringify({ document: doc })));
    assert.equal(ok.status, 200);
    assert.deepEqual((ok.body as { signers: string[] }).signers, [encodePrefixed('pub', alice.publicKey)]);
    assert.match((ok.body as { id: string }).id, /^doc_/);

    const bobKey = encodePrefixed('pub', bob.publicKey);
    const missing = await call(
      node,
      '/v1/documents/verify',
      json(JSON.stringify({ document: doc, required_signers: [bobKey] })),
    );
    assert.equal(missing.status, 422);
    assert.equal(assertErrorShape(missing.body, 'signature_missing').details.key, bobKey);

    const tampered = { ...doc, body: { text: 'hello', amount: '100.00' } };
    const bad = await call(node, '/v1/documents/verify', json(JSON.stringify({ document: tampered })));
    assert.equal(bad.status, 422);
    assert.equal(assertErrorShape(bad.body, 'signature_invalid').details.index, 0);
  });

  test('malformed JSON is a 400 invalid_json', async () => {
    for (const body of ['{bad', '{"a":1,}', '[1,2', '\u0000', '{"__proto__":{"x":1}}']) {
      const res = await call(node, '/v1/documents/verify', json(body));
      assert.ok(res.status === 400, `${body}: ${res.status}`);
      assertErrorShape(res.body);
    }
    const empty = await call(node, '/v1/documents/verify', json(''));
    assert.equal(empty.status, 400);
    assertErrorShape(empty.body, 'invalid_json');
  });

  test('unknown fields and wrong types are a 400 invalid_request naming the field', async () => {
    const alice = await generateKeyPair();
    const doc = await createDocument('example.note', 1, { text: 'hi' }, [alice]);
    const unknown = await call(node, '/v1/documents/verify', json(JSON.stringify({ document: doc, colour: 'red' })));
    assert.equal(unknown.status, 400);
    const error = assertErrorShape(unknown.body, 'invalid_request');
    assert.deepEqual(error.details.errors, [{ path: 'body/colour', message: 'unknown field "colour"' }]);

    const nested = await call(
      node,
      '/v1/documents/verify',
      json(JSON.stringify({ document: { ...doc, extra: true } })),
    );
    assert.equal(nested.status, 400);
    assert.ok(JSON.stringify(assertErrorShape(nested.body, 'invalid_request').details).includes('extra'));

    const wrongType = await call(
      node,
      '/v1/documents/verify',
      json(JSON.stringify({ document: { ...doc, version: '1' } })),
    );
    assert.equal(wrongType.status, 400);
    assert.ok(
      JSON.stringify(assertErrorShape(wrongType.body, 'invalid_request').details).includes('body/document/version'),
    );
  });

  test('a 2 MB body is a 413 payload_too_large that states the limit', async () => {
    const res = await call(
      node,
      '/v1/documents/verify',
      json(JSON.stringify({ document: { pad: 'x'.repeat(2_000_000) } })),
    );
    assert.equal(res.status, 413);
    assert.equal(assertErrorShape(res.body, 'payload_too_large').details.body_bytes_max, 1_048_576);
  });

  test('a lying Content-Length does not get past the limit', async () => {
    // Streams 2 MB while declaring no length (chunked): the limit applies to what arrives.
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${node.url}/v1/documents/verify`);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('{"document":"');
      for (let i = 0; i < 20; i++) req.write('x'.repeat(100_000));
      req.end('"}');
    });
    assert.equal(status, 413);
  });

  test('a wrong content type is a 415 unsupported_media_type', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await call(node, '/v1/documents/verify', {
        method: 'POST',
        headers: { 'content-type': type },
        body: '{}',
      });
      assert.equal(res.status, 415, type);
      assertErrorShape(res.body, 'unsupported_media_type');
    }
  });

  test('unknown routes and methods are a 404 route_not_found', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing'],
      ['DELETE', '/healthz'],
      ['GET', '/v1/documents/verify'],
      ['GET', `/${'a'.repeat(3000)}`],
    ] as const) {
      const res = await call(node, path, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      assertErrorShape(res.body, 'route_not_found');
    }
  });

  test('requests arriving during shutdown get a 503 in the error shape while in-flight ones finish', async () => {
    const other = await startTestNode();
    const url = new URL(`${other.url}/v1/documents/verify`);
    const body = JSON.stringify({ document: { type: 'x.y', version: 1, body: {}, signatures: [] } });
    const inflight = new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 200);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopped = other.stop();
    const late = await other.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(late.statusCode, 503);
    assertErrorShape(late.json(), 'service_unavailable');
    assert.equal(await inflight, 200);
    await stopped;
  });

  test('property: no body, however malformed, gets a 5xx or leaves the error shape', async () => {
    const bodies = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc
        .record({ document: fc.jsonValue({ maxDepth: 3 }), required_signers: fc.jsonValue({ maxDepth: 2 }) })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const res = await call(node, '/v1/documents/verify', json(body));
        assert.ok(res.status < 500, `${res.status} for ${body}`);
        if (res.status !== 200) assertErrorShape(res.body);
      }),
      { numRuns: 300 },
    );
  });
});
