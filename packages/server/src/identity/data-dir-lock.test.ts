import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startNode } from '../node.js';
import { LOCK_FILE } from './data-dir-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'ww-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const options = { port: 0, host: '127.0.0.1', data_dir: dir, log_level: 'silent' as const };

test('a second node on the same data directory refuses to start; after close it may', async () => {
  const first = await startNode(options);
  try {
    await assert.rejects(startNode(options), (error: Error) => {
      assert.equal(error.name, 'NodeSetupError');
      assert.match(error.message, new RegExp(`Another node \\(process ${process.pid}\\) is using the data directory`));
      return true;
    });
    const [result] = await first.ledger.submit([{ not: 'a document' }]);
    assert.equal(result?.status, 'rejected', 'the first node still answers normally');
  } finally {
    await first.close();
  }
  assert.equal(existsSync(join(dir, LOCK_FILE)), false, 'close releases the lock');
  const second = await startNode(options);
  await second.close();
});

test('a lock left by a process that no longer exists is taken over', async () => {
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(dir, LOCK_FILE), `${gone.stdout}\n`);
  const node = await startNode(options);
  await node.close();
});
