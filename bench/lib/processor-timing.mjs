// Where the node's thread goes during a processor case: the processor database's group commits
// (SqliteDb runs every write transaction of the processor through them, on the node's thread,
// synchronously with better-sqlite3: BEGIN, one savepoint per transaction, COMMIT with an fsync),
// the sandbox ledger's commits, and the event-loop utilisation of the node's thread.
import { performance } from 'node:perf_hooks';
import { instrumentStorage } from './storage-timing.mjs';

/**
 * Wraps `processor.options.db` (an SqliteDb: `commitBatch(batch)` and its writer connection's
 * `exec`) and the sandbox ledger's storage with timers. Reaches into fields TypeScript calls
 * private; they are plain properties at run time. Returns undefined pieces for other engines.
 */
export function instrumentNode(node) {
  const db = node.processor.options.db;
  let stats;
  const reset = () => {
    stats = {
      batches: 0,
      transactions: 0,
      batch_ms: 0,
      commit_ms: 0,
      commit_ms_max: 0,
      commits_over_50_ms: 0,
      started: performance.now(),
      elu: performance.eventLoopUtilization(),
    };
  };
  reset();
  const sqlite = db.engine === 'sqlite' && typeof db.commitBatch === 'function' && db.writer?.db;
  if (sqlite) {
    const commitBatch = db.commitBatch.bind(db);
    db.commitBatch = async (batch) => {
      const t0 = performance.now();
      try {
        return await commitBatch(batch);
      } finally {
        stats.batches++;
        stats.transactions += batch.length;
        stats.batch_ms += performance.now() - t0;
      }
    };
    const writer = db.writer.db;
    const exec = writer.exec.bind(writer);
    writer.exec = (sql) => {
      if (sql !== 'COMMIT') return exec(sql);
      const t0 = performance.now();
      try {
        return exec(sql);
      } finally {
        const ms = performance.now() - t0;
        stats.commit_ms += ms;
        if (ms > stats.commit_ms_max) stats.commit_ms_max = ms;
        if (ms > 50) stats.commits_over_50_ms++;
      }
    };
  }
  const ledgerTiming = instrumentStorage(node.sandboxLedger.storage);
  const per = (total, n) => (n > 0 ? Math.round((total / n) * 100) / 100 : null);
  const share = (part, whole) => Math.round((part / whole) * 100) / 100;
  return {
    reset() {
      reset();
      ledgerTiming.reset();
    },
    /** Figures since the last reset; shares are of wall-clock time. */
    report() {
      const wall = performance.now() - stats.started;
      const elu = performance.eventLoopUtilization(stats.elu);
      return {
        node_thread_utilization: Math.round(elu.utilization * 100) / 100,
        processor_db: sqlite
          ? {
              group_commits: stats.batches,
              group_commits_per_s: Math.round(stats.batches / (wall / 1000)),
              transactions_per_commit: per(stats.transactions, stats.batches),
              batch_ms_avg: per(stats.batch_ms, stats.batches),
              commit_ms_avg: per(stats.commit_ms, stats.batches),
              commit_ms_max: Math.round(stats.commit_ms_max * 100) / 100,
              // Stalls: while one of these runs, no request, webhook or payment moves.
              commits_over_50_ms: stats.commits_over_50_ms,
              // COMMIT (the fsync) blocks the node's thread: nothing else runs meanwhile.
              commit_share: share(stats.commit_ms, wall),
              batch_share: share(stats.batch_ms, wall),
            }
          : null,
        sandbox_ledger: ledgerTiming.report(),
      };
    },
  };
}
