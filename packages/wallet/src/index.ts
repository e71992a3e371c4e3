/**
 * @webwallet/wallet: the wallet core, isomorphic (browsers and Node; the CLI and the PWA use it).
 * Keys are made and kept on the device; balances come from the ledger, which is authoritative;
 * everything else (instruments, receipts, contacts, labels, settings) lives in the wallet
 * document, a CRDT that devices merge.
 */

export * from './document/index.js';
export * from './instruments/index.js';
export {
  BACKUP_CIPHER,
  BACKUP_TEXT_LENGTH_MAX,
  BACKUP_TYPE,
  BACKUP_VERSION,
  type BackupContents,
  type BackupOptions,
  createBackup,
  type OpenedBackup,
  openBackup,
} from './keys/backup.js';
export {
  deriveLockKey,
  KDF_DEFAULT,
  KDF_LIMITS,
  type KdfParams,
  kdfParamsProblem,
  LOCK_KEY_BYTES,
  LOCK_SALT_BYTES,
  LOCK_SALT_BYTES_MAX,
  open as openSealed,
  SEAL_NONCE_BYTES,
  SEAL_TAG_BYTES,
  seal,
} from './keys/lock.js';
export {
  ACCOUNT_INDEX_MAX,
  accountKeyPair,
  checkRecoveryPhrase,
  newRecoveryPhrase,
  RECOVERY_PHRASE_LENGTH_MAX,
  RECOVERY_WORD_COUNTS,
  RECOVERY_WORDS_DEFAULT,
  SYNC_KEY_BYTES,
  syncKey,
  WALLET_ID_PATTERN,
  WALLET_SEED_BYTES,
  walletId,
  walletSeed,
} from './keys/recovery.js';
export * from './node/index.js';
export * from './pay/index.js';
export * from './shared/index.js';
export * from './sync/index.js';
