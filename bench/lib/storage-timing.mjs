// Where the sequencer's time goes: wraps a LedgerStorage instance's commit() and
// findTransactionIds() with timers (the ledger calls both once per batch, on its only writer).

export function instrumentStorage(storage) {
  let stats;
  const reset = () => {
    stats = { commits: 0, transactions: 0, commit_ms: 0, lookups: 0, lookup_ms: 0, started: performance.now() };
  };
  reset();
  const commit = storage.commit.bind(storage);
  const findTransactionIds = storage.findTransactionIds.bind(storage);
  storage.commit = async (batch) => {
    const t0 = performance.now();
    try {
      return await commit(batch);
    } finally {
      stats.commits++;
      stats.transactions += batch.transactions.length;
      stats.commit_ms += performance.now() - t0;
    }
  };
  storage.findTransactionIds = async (ids) => {
    const t0 = performance.now();
    try {
      return await findTransactionIds(ids);
    } finally {
      stats.lookups++;
      stats.lookup_ms += performance.now() - t0;
    }
  };
  return {
    reset,
    /** Per-batch figures since the last reset; shares are of wall-clock time. */
    report() {
      const wall = performance.now() - stats.started;
      const per = (total, n) => (n > 0 ? Math.round((total / n) * 10) / 10 : null);
      return {
        batches: stats.commits,
        transactions_per_batch: per(stats.transactions, stats.commits),
        commit_ms_avg: per(stats.commit_ms, stats.commits),
        commit_share: Math.round((stats.commit_ms / wall) * 100) / 100,
        id_lookup_ms_avg: per(stats.lookup_ms, stats.lookups),
        id_lookup_share: Math.round((stats.lookup_ms / wall) * 100) / 100,
      };
    },
  };
}
