import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodePrefixed, generateKeyPair } from '@webwallet/core';
import { transaction } from './documents.js';
import type { Ledger, SubmitResult } from './ledger.js';
import { ENGINES, type EngineInstance, newNodeKey, openLedger, requireEngine } from './test-support.js';

/** Long enough that the old quarter-interval timer (up to 100 ms late) is told apart from noise. */
const INTERVAL_MS = 400;

type Accepted = Extract<SubmitResult, { status: 'accepted' }>;

/** A new account: the smallest transaction a fresh key can sign on its own. */
async function submitOne(ledger: Ledger): Promise<Accepted> {
  const keys = await generateKeyPair();
  const account = encodePrefixed('pub', keys.publicKey);
  const [result] = await ledger.submit([await transaction('ledger.account.create', { account }, [keys])]);
  assert.equal(result?.status, 'accepted', JSON.stringify(result));
  return result as Accepted;
}

/**
 * Resolves when a commit event reports a block covering `seq`. The sequencer's timer does not
 * keep the process alive (a node's server does), so the time limit here also does.
 */
function sealedCovering(ledger: Ledger, seq: number, timeout_ms = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ledger.sealedSize > seq) return resolve();
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no block covered seq ${seq} within ${timeout_ms} ms`));
    }, timeout_ms);
    const stop = ledger.onCommit((event) => {
      if (event.sealed_size <= seq) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

for (const engine of ENGINES) {
  describe(`sequencer block timing on ${engine.name}`, () => {
    let instance: EngineInstance | undefined;
    let ledger: Ledger;

    before(async () => {
      if (engine.unavailable) return;
      instance = await engine.create();
      // The real clock: this is about when the timer fires.
      ledger = await openLedger(instance.storage, await newNodeKey(), {
        block_interval_ms: INTERVAL_MS,
        block_transactions_max: 1_000_000,
      });
    });

    after(async () => {
      await ledger?.close();
      await instance?.cleanup();
    });

    test('a lone transaction is sealed at its commit time + block_interval_ms, within a few ms', async (t) => {
      if (!requireEngine(t, engine)) return;
      const lateness: number[] = [];
      for (let i = 0; i < 5; i++) {
        const result = await submitOne(ledger);
        await sealedCovering(ledger, result.seq);
        const block = (await ledger.latestBlock())!;
        assert.ok(block.block.body.tree_size > result.seq);
        // The block's timestamp is when the sealing batch started; accepted_at, when this one's did.
        const age = Date.parse(block.block.body.timestamp) - Date.parse(result.accepted_at);
        assert.ok(age >= INTERVAL_MS, `sealed ${INTERVAL_MS - age} ms early`);
        lateness.push(age - INTERVAL_MS);
      }
      // The old timer ticked every interval / 4: a median lateness of about 50 ms here.
      assert.ok(median(lateness) <= 15, `sealed late by ${lateness.join(', ')} ms`);
    });

    test('the oldest unsealed transaction sets the deadline; later ones share its block', async (t) => {
      if (!requireEngine(t, engine)) return;
      const first = await submitOne(ledger);
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS / 2));
      const second = await submitOne(ledger);
      await sealedCovering(ledger, first.seq);
      const block = (await ledger.latestBlock())!;
      assert.equal(block.block.body.tree_size, second.seq + 1, 'one block covers both');
      const sealedAt = Date.parse(block.block.body.timestamp);
      assert.ok(sealedAt - Date.parse(first.accepted_at) >= INTERVAL_MS);
      // Had the second restarted the clock, its block would be a whole interval younger than it.
      assert.ok(sealedAt - Date.parse(second.accepted_at) < INTERVAL_MS, 'the first one set the deadline');
      // Nothing is left unsealed, so no empty block follows.
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS + 50));
      assert.equal((await ledger.latestBlock())!.height, block.height);
    });
  });
}
