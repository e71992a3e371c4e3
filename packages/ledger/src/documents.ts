import { createDocument, type KeyPair, type SignedDocument } from '@webwallet/core';
import type {
  AccountCreate,
  AccountUpdate,
  CurrencyIssue,
  HolderSet,
  Payment,
  Transfer,
  TransferPost,
  TransferVoid,
  TrustSet,
} from './model/schemas.js';
import { TRANSACTION_VERSION } from './model/schemas.js';

type Fill<B> = Omit<B, 'id' | 'created_at'> & { id?: string; created_at?: string };

interface Bodies {
  'ledger.account.create': AccountCreate;
  'ledger.account.update': AccountUpdate;
  'ledger.currency.issue': CurrencyIssue;
  'ledger.trust.set': TrustSet;
  'ledger.holder.set': HolderSet;
  'ledger.transfer': Transfer;
  'ledger.transfer.post': TransferPost;
  'ledger.transfer.void': TransferVoid;
  'ledger.payment': Payment;
}

/** A fresh client id: 128 random bits, base64url. */
export function newTransactionId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64url');
}

/**
 * Builds and signs a transaction document, filling in a random id and the current time.
 *
 * @example
 * const doc = await transaction('ledger.transfer', { legs: [{ from: alice, to: bob, currency: 'EUR', amount: '5.00' }] }, [aliceKeys]);
 */
export async function transaction<T extends keyof Bodies>(
  type: T,
  body: Fill<Bodies[T]>,
  signers: readonly KeyPair[] = [],
): Promise<SignedDocument<Bodies[T]>> {
  const full = {
    ...body,
    id: body.id ?? newTransactionId(),
    created_at: body.created_at ?? new Date().toISOString(),
  } as Bodies[T];
  return createDocument(type, TRANSACTION_VERSION, full, signers);
}
