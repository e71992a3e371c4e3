/**
 * @webwallet/merchant/tokens: sell anything for a ledger payment with no payment server. Verify
 * payer tokens (from @webwallet/core), gate fetch-style routes, and record first presentations in
 * a redemption registry (in memory, SQLite or PostgreSQL, on the driver you already use).
 * The Fastify plugin is at @webwallet/merchant/fastify.
 */
export {
  createPayerToken,
  decodePayerToken,
  encodePayerToken,
  type PayerToken,
  type PayerTokenClaims,
  type PaymentExpectation,
  redemptionKey,
  type TrustedNode,
  type VerifiedPayerToken,
  type VerifyPayerTokenOptions,
  verifyPayerToken,
} from '@webwallet/core';
export {
  AUTHORIZATION_SCHEME,
  checkPayerToken,
  type GateDecision,
  type PaidHandler,
  type PayerTokenGateOptions,
  type PayerTokenRedemption,
  paymentRequired,
  presentedToken,
  TOKEN_QUERY_PARAMETER,
  withPayerToken,
} from './gate.js';
export {
  type PostgresQueryable,
  PostgresRedemptionRegistry,
  type PostgresRedemptionRegistryOptions,
} from './postgres.js';
export {
  MemoryRedemptionRegistry,
  REDEMPTION_KEY_LENGTH_MAX,
  type Redemption,
  type RedemptionRegistry,
} from './registry.js';
export {
  SQLITE_BUSY_TIMEOUT_MS_DEFAULT,
  type SqliteDatabase,
  SqliteRedemptionRegistry,
  type SqliteRedemptionRegistryOptions,
  type SqliteStatement,
} from './sqlite.js';
