import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BIN, serveNode } from './test-helpers.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ww-cli-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('webwallet CLI', () => {
  test('--version and --help on every command', () => {
    const version = run(['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), '0.1.0');
    for (const args of [
      ['--help'],
      ['serve', '--help'],
      ['init', '--help'],
      ['keys', '--help'],
      ['keys', 'show', '--help'],
    ]) {
      const help = run(args);
      assert.equal(help.code, 0, args.join(' '));
      assert.match(help.stdout, /Usage: webwallet/);
    }
    assert.match(run(['serve', '--help']).stdout, /WEBWALLET_PORT/);
  });

  test('usage errors exit non-zero with a hint', () => {
    const bad = run(['serve', '--port', 'eighty']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /port is an integer/);
    assert.notEqual(run(['frobnicate']).code, 0);
  });

  test('init creates a 0600 node key once; keys show prints it', () => {
    const dir = join(tempDir(), 'nested', 'data');
    const first = run(['init', '--data-dir', dir, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const created = JSON.parse(first.stdout);
    assert.equal(created.created, true);
    assert.match(created.public_key, /^pub_[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(join(dir, 'node-key.json')).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);

    const second = JSON.parse(run(['init', '--data-dir', dir, '--json']).stdout);
    assert.equal(second.created, false);
    assert.equal(second.public_key, created.public_key);

    const shown = run(['keys', 'show', '--json'], { WEBWALLET_DATA_DIR: dir });
    assert.equal(JSON.parse(shown.stdout).public_key, created.public_key);
    assert.equal(run(['keys', 'show', '--data-dir', dir]).stdout.trim(), created.public_key);
  });

  test('a key file readable by others, or a missing one, is refused with a fix', () => {
    const dir = tempDir();
    const missing = run(['keys', 'show', '--data-dir', dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No node key .* Run "webwallet init"/);
    run(['init', '--data-dir', dir]);
    chmodSync(join(dir, 'node-key.json'), 0o644);
    const open = run(['keys', 'show', '--data-dir', dir]);
    assert.equal(open.code, 1);
    assert.match(open.stderr, /chmod 600/);
  });

  test('serve reuses the key, honours WEBWALLET_* variables, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const key = JSON.parse(run(['init', '--data-dir', dir, '--json']).stdout).public_key;
    const node = await serveNode([], { env: { WEBWALLET_DATA_DIR: dir, WEBWALLET_NODE_NAME: 'test node' } });
    const info = (await (await fetch(`${node.url}/.well-known/webwallet`)).json()) as {
      public_key: string;
      name: string;
    };
    assert.equal(info.public_key, key);
    assert.equal(info.name, 'test node');
    node.child.kill('SIGTERM');
    assert.equal(await node.exited, 0);
    const lines = node.logs.map((l) => l.msg);
    assert.ok(lines.includes('shutting down'));
    assert.ok(
      node.logs.every((l) => typeof l.level === 'number' && typeof l.time === 'number'),
      'structured JSON logs',
    );
    assert.ok(
      node.logs.some((l) => typeof l.request_id === 'string'),
      'request logs carry request_id',
    );
  });

  test('SIGTERM lets an in-flight request finish before exiting', async () => {
    const node = await serveNode(['--data-dir', tempDir()]);
    const url = new URL(`${node.url}/v1/documents/verify`);
    const body = JSON.stringify({ document: { type: 'x.y', version: 1, body: {}, signatures: [] } });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      // Send half the body, signal the node, then finish the request.
      req.write(body.slice(0, 20));
      setTimeout(() => {
        node.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(20)), 300);
      }, 200);
    });
    const result = await response;
    assert.equal(result.status, 200, result.text);
    assert.match(result.text, /"id":"doc_/);
    assert.equal(await node.exited, 0);
  });

  test('a port in use is a clear error, not a stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = run(['serve', '--data-dir', tempDir(), '--port', String(port)]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`Port ${port} on 127.0.0.1 is in use`));
      assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
    } finally {
      blocker.close();
    }
  });

  test('serve defaults: loopback only, data in ./data of the working directory', async () => {
    const cwd = tempDir();
    const node = await serveNode([], { env: { WEBWALLET_PORT: '0' }, cwd });
    try {
      assert.match(node.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(statSync(join(cwd, 'data', 'node-key.json')).mode & 0o777, 0o600);
      assert.ok(node.logs.some((l) => l.msg === 'created node key'));
    } finally {
      node.child.kill('SIGTERM');
      await node.exited;
    }
  });
});
