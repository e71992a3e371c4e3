import { type ErrorCode, type ErrorDetails, WebWalletError } from '@webwallet/core';

/** Expected failures inside apply are thrown as Rejection and returned as values at the edge. */
export class Rejection extends Error {
  constructor(readonly error: WebWalletError) {
    super(error.message);
  }
}

export function reject(code: ErrorCode, details: ErrorDetails = {}): never {
  throw new Rejection(new WebWalletError(code, details));
}
