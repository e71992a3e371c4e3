/**
 * @webwallet/wallet: the wallet core, isomorphic (browsers and Node; the CLI and the PWA use it).
 * Keys are made and kept on the device; balances come from the ledger, which is authoritative;
 * everything else (instruments, receipts, contacts, labels, settings) lives in the wallet
 * document, a CRDT that devices merge.
 */
export {};
