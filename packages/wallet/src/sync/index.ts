export * from './wallet-sync.js';
