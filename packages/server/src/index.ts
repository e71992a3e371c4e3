export { type AppOptions, buildApp, listeningUrl } from './app.js';
export { DEFAULT_CONFIG, LOG_LEVELS, type NodeConfig, resolveConfig } from './config.js';
export { ADMIN_TOKEN_FILE, loadOrCreateAdminToken, readAdminToken } from './identity/admin-token.js';
export {
  ensureDataDir,
  loadNodeKey,
  loadOrCreateNodeKey,
  NODE_KEY_FILE,
  type NodeKey,
  NodeSetupError,
} from './identity/node-key.js';
export { closeOnSignals, LEDGER_FILE, openStorage, type RunningNode, startNode } from './node.js';
export { SOFTWARE_VERSION } from './version.js';
