// One core's raw Ed25519 verification rate: node:crypto verify over pre-made signatures, with
// public keys already parsed into KeyObjects (the best case). A second, shorter phase re-parses
// the public key (DER SPKI, as @webwallet/core does on a key-cache miss) before each verify.
import { createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { privateKeyFromSeed } from './keys.mjs';

const KEYS = 64;
const MESSAGES = 512;
const keys = Array.from({ length: KEYS }, () => {
  const privateKey = privateKeyFromSeed(randomBytes(32).toString('base64url'));
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, spki: publicKey.export({ format: 'der', type: 'spki' }) };
});
// Messages the size of a document signing payload (~110 bytes of canonical JSON).
const samples = Array.from({ length: MESSAGES }, (_, i) => {
  const key = keys[i % KEYS];
  const message = randomBytes(110);
  return { key, message, signature: sign(null, message, key.privateKey) };
});

function run(ms, parseKey) {
  const deadline = performance.now() + ms;
  let count = 0;
  let failed = 0;
  const started = performance.now();
  while (performance.now() < deadline) {
    for (let i = 0; i < 64; i++) {
      const s = samples[(count + i) % MESSAGES];
      const key = parseKey ? createPublicKey({ key: s.key.spki, format: 'der', type: 'spki' }) : s.key.publicKey;
      if (!verify(null, s.message, key, s.signature)) failed++;
    }
    count += 64;
  }
  return { count, failed, seconds: (performance.now() - started) / 1000 };
}

parentPort.postMessage({ ready: true });
parentPort.once('message', () => {
  const cached = run(workerData.ms, false);
  const parsed = run(Math.max(250, workerData.ms / 4), true);
  parentPort.postMessage({ cached, parsed });
});
