export { type AuditOptions, type AuditReport, auditLedger } from './audit.js';
export { MerkleFrontier, STORED_LEVEL_MIN, subtreeHash } from './chain/merkle-log.js';
export { newTransactionId, transaction } from './documents.js';
export { assertInvariants, findInvariantViolations } from './engine/invariants.js';
export { SPENT_SLICES_PER_WINDOW } from './engine/policy.js';
export type {
  Account,
  Currency,
  Hold,
  HoldLeg,
  Line,
  SmallPaymentLimit,
  SmallSpent,
  SpendingPolicy as AccountSpendingPolicy,
} from './engine/state.js';
export {
  type AccountView,
  type BalanceView,
  type BlockView,
  type CurrencyView,
  LEDGER_DEFAULTS,
  Ledger,
  type LedgerOptions,
  type SmallPaymentView,
  type SubmitOptions,
  type SubmitResult,
  type TransactionView,
} from './ledger.js';
export * from './model/schemas.js';
export type { CommitEvent, CommitListener } from './sequencer.js';
export { SqliteStorage } from './storage/sqlite.js';
export type { LedgerStorage, StoredBlock, StoredTransaction } from './storage/storage.js';
export { TIMESTAMP_SKEW_MS_MAX } from './verify/prepare.js';
