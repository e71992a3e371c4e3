/**
 * @webwallet/core: the isomorphic WebWallet protocol. Runs unchanged in Node and in browsers.
 *
 * @example
 * import { generateKeyPair, createDocument, verifyDocument } from '@webwallet/core';
 * const alice = await generateKeyPair();
 * const doc = await createDocument('example.note', 1, { text: 'hello' }, [alice]);
 * (await verifyDocument(doc)).ok; // true
 */
export * from './amount.js';
export * from './canonical-json.js';
export * from './crypto.js';
export * from './document.js';
export * from './encoding.js';
export * from './errors.js';
export { errorsMarkdown } from './errors-doc.js';
export * from './merkle.js';
export * from './payer-token.js';
export * from './receipt.js';
export * from './relay-request.js';
