// One naive SQLite client (see baseline.mjs): its own connection, one transaction per transfer.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, from, to, started, measureFrom, end } = workerData;
const db = new Database(path);
db.pragma('busy_timeout = 30000');
db.pragma('synchronous = FULL'); // per connection
const holder = (i) => `h${String(i).padStart(5, '0')}`;
const begin = db.prepare('BEGIN IMMEDIATE');
const commit = db.prepare('COMMIT');
const rollback = db.prepare('ROLLBACK');
const balance = db.prepare('SELECT balance FROM balances WHERE account = ?').pluck();
const debit = db.prepare('UPDATE balances SET balance = balance - ? WHERE account = ?');
const credit = db.prepare('UPDATE balances SET balance = balance + ? WHERE account = ?');
const record = db.prepare('INSERT INTO transfers (from_account, to_account, amount, created_at) VALUES (?, ?, ?, ?)');

while (Date.now() < started) await new Promise((resolve) => setTimeout(resolve, 5));
const latencies = [];
let retries = 0;
for (let i = 0; Date.now() < end; i = (i + 1) % from.length) {
  const t0 = performance.now();
  const begun = Date.now();
  const [a, b] = [holder(from[i]), holder(to[i])];
  const amount = 1 + (i % 999);
  try {
    begin.run();
    try {
      const payer = balance.get(a);
      balance.get(b);
      if (payer < amount) throw new Error('insufficient funds');
      debit.run(amount, a);
      credit.run(amount, b);
      record.run(a, b, amount, begun);
      commit.run();
    } catch (error) {
      if (db.inTransaction) rollback.run();
      throw error;
    }
    if (begun >= measureFrom) latencies.push(performance.now() - t0);
  } catch (error) {
    if (error.code === 'SQLITE_BUSY') retries++;
    else throw error;
  }
}
db.close();
parentPort.postMessage({ latencies, retries });
