// A signing thread: makes Ed25519 keys and signs transaction documents before any timing starts.
import { sign } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { documentId, encodePrefixed, signingPayload } from '@webwallet/core';
import { privateKeyFromSeed, publicKeyText, seedOf } from './keys.mjs';

let keys = [];

parentPort.on('message', (message) => {
  switch (message.op) {
    case 'keys': {
      // Every thread imports every key; the first also reports the public keys.
      keys = Array.from({ length: message.count }, (_, i) => ({ privateKey: privateKeyFromSeed(seedOf(i)) }));
      for (const key of keys) key.pub = `pub_${publicKeyText(key.privateKey)}`;
      parentPort.postMessage({ job: message.job, publicKeys: message.report ? keys.map((k) => k.pub) : [] });
      break;
    }
    case 'sign': {
      const documents = message.items.map(({ type, body, signer }) => {
        const key = keys[signer];
        const payload = signingPayload(type, 1, documentId(body));
        const sig = encodePrefixed('sig', new Uint8Array(sign(null, payload, key.privateKey)));
        return { type, version: 1, body, signatures: [{ key: key.pub, sig }] };
      });
      parentPort.postMessage({ job: message.job, documents });
      break;
    }
    default:
      throw new Error(`sign-worker: unknown op ${message.op}`);
  }
});
