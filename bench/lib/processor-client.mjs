// The processor benchmark's client side, in a worker thread of its own: the keep-alive HTTP load
// generator and the webhook receiver. They share one clock (this thread's performance.now()), so
// "pay request sent" and "webhook received" are comparable without any clock translation.
//
// The node runs on the main thread. On a 2-core machine this thread and the node's thread each get
// about one core; the client still competes with the node (and with SQLite's fsyncs) for CPU.
//
// Protocol: the parent posts { id, op, ...args }, the worker answers { id, result } or { id, error }.
import { Agent, createServer, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { percentile, round } from './util.mjs';

const base = new URL(workerData.url);

function latencySummary(values) {
  if (values.length === 0) return { p50_ms: null, p99_ms: null, max_ms: null, min_ms: null };
  let max = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  for (const v of values) {
    if (v > max) max = v;
    if (v < min) min = v;
  }
  return {
    p50_ms: round(percentile(values, 50), 2),
    p99_ms: round(percentile(values, 99), 2),
    max_ms: round(max, 2),
    min_ms: round(min, 2),
  };
}

// --- the HTTP client ---------------------------------------------------------------------------

/** One keep-alive agent per concurrency level: a socket per lane, reused for every request. */
const agents = new Map();
function agentFor(sockets) {
  let agent = agents.get(sockets);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
    agents.set(sockets, agent);
  }
  return agent;
}

/**
 * One request; resolves to { status, body? } (body text only when `read` is set, else it is
 * drained unread) or { status: 0, error } on a network error. Never rejects.
 */
function send({ method, path, headers, body, agent, read }) {
  return new Promise((resolve) => {
    const req = request({ host: base.hostname, port: base.port, path, method, headers, agent }, (res) => {
      if (!read) {
        res.on('data', () => undefined);
        res.on('end', () => resolve({ status: res.statusCode }));
      } else {
        const parts = [];
        res.on('data', (part) => parts.push(part));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString('utf8') }));
      }
      res.on('error', (error) => resolve({ status: 0, error: error.message }));
    });
    req.on('error', (error) => resolve({ status: 0, error: error.message }));
    req.end(body);
  });
}

function headersFor({ token, body, json = true }) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) {
    if (json) headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  return headers;
}

/**
 * Closed loop: `concurrency` lanes, each sending its next request as soon as the previous one is
 * answered, for `warmup_seconds` (not counted) and then `seconds`; or, with `count`, until that
 * many requests have been sent (all counted). `idempotency_prefix` adds a unique Idempotency-Key
 * to every request. A request counts as an error unless it is answered with `expect_status`.
 */
async function closedLoop({
  method = 'GET',
  path,
  token,
  body: bodyText,
  concurrency,
  seconds = Number.POSITIVE_INFINITY,
  warmup_seconds = 0,
  count = Number.POSITIVE_INFINITY,
  expect_status = 200,
  idempotency_prefix,
}) {
  const agent = agentFor(concurrency);
  const body = bodyText === undefined ? undefined : Buffer.from(bodyText);
  const fixedHeaders = headersFor({ token, body });
  const latencies = [];
  const statuses = {};
  let ok = 0;
  let errors = 0;
  let firstError;
  let sent = 0;
  const started = performance.now();
  const measureFrom = started + warmup_seconds * 1000;
  const deadline = measureFrom + seconds * 1000;
  const lane = async () => {
    while (sent < count && performance.now() < deadline) {
      const n = sent++;
      const headers = idempotency_prefix
        ? { ...fixedHeaders, 'idempotency-key': `${idempotency_prefix}-${n}` }
        : fixedHeaders;
      const t0 = performance.now();
      const answer = await send({ method, path, headers, body, agent, read: false });
      const t1 = performance.now();
      if (t0 < measureFrom) continue; // warm-up
      latencies.push(t1 - t0);
      const key = String(answer.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (answer.status === expect_status) ok++;
      else {
        errors++;
        firstError ??= answer.error ?? `HTTP ${answer.status}`;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const ended = performance.now();
  const windowSeconds = (ended - Math.min(measureFrom, ended)) / 1000;
  return {
    requests: latencies.length,
    ok,
    errors,
    ...(firstError ? { first_error: firstError } : {}),
    statuses,
    seconds: round(windowSeconds, 3),
    per_s: Math.round(ok / windowSeconds),
    started_ms: started,
    ended_ms: ended,
    ...latencySummary(latencies),
  };
}

/** Creates `count` invoices with `concurrency` in flight; resolves to their ids (untimed set-up). */
async function createInvoices({ token, body, count, concurrency }) {
  const agent = agentFor(concurrency);
  const bytes = Buffer.from(body);
  const headers = headersFor({ token, body: bytes });
  const ids = [];
  let next = 0;
  let errors = 0;
  let firstError;
  const lane = async () => {
    while (next < count) {
      next++;
      const answer = await send({ method: 'POST', path: '/v1/invoices', headers, body: bytes, agent, read: true });
      if (answer.status === 201) ids.push(JSON.parse(answer.body).id);
      else {
        errors++;
        firstError ??= answer.error ?? `HTTP ${answer.status}: ${answer.body?.slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { ids, errors, ...(firstError ? { first_error: firstError } : {}) };
}

/**
 * Open loop: pays `ids` through the sandbox at a steady `rate_per_s` (request i leaves at
 * start + i / rate, whether or not earlier ones have been answered, so a slow node cannot lower the
 * offered rate), and records per invoice when the request left and when its response arrived.
 */
async function payPaced({ token, ids, rate_per_s }) {
  const agent = agentFor(256);
  const body = Buffer.from(JSON.stringify({ kind: 'exact' }));
  const headers = headersFor({ token, body });
  const interval = 1000 / rate_per_s;
  const started = performance.now() + 20;
  const sentAt = new Map();
  const answeredAt = new Map();
  const statuses = {};
  let errors = 0;
  let firstError;
  let lateStarts = 0;
  const inFlight = [];
  for (let i = 0; i < ids.length; i++) {
    const due = started + i * interval;
    let now = performance.now();
    // No spinning: it would block this thread's receiver. Latency counts from the actual send time.
    if (now < due) {
      await new Promise((resolve) => setTimeout(resolve, due - now));
      now = performance.now();
    }
    if (now - due > interval) lateStarts++;
    const id = ids[i];
    sentAt.set(id, now);
    inFlight.push(
      send({ method: 'POST', path: `/v1/sandbox/invoices/${id}/pay`, headers, body, agent, read: false }).then(
        (answer) => {
          answeredAt.set(id, performance.now());
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          if (answer.status !== 200) {
            errors++;
            firstError ??= answer.error ?? `HTTP ${answer.status}`;
          }
        },
      ),
    );
  }
  const lastSent = performance.now();
  await Promise.all(inFlight);
  return {
    sentAt,
    answeredAt,
    statuses,
    errors,
    firstError,
    lateStarts,
    offered_per_s: round((ids.length - 1) / ((lastSent - started) / 1000), 1),
  };
}

// --- the webhook receiver ----------------------------------------------------------------------

const receiver = {
  /** event id -> deliveries seen */
  events: new Map(),
  duplicates: 0,
  deliveries: 0,
  /** type -> unique count */
  byType: new Map(),
  /** `${type} ${invoice id}` -> first arrival (performance.now()) */
  arrivals: new Map(),
  first_ms: null,
  last_ms: null,
  /** Arrival times of unique events, for the drain-rate figure. */
  times: [],
  bad: 0,
  reset() {
    this.events.clear();
    this.byType.clear();
    this.arrivals.clear();
    this.times = [];
    this.duplicates = 0;
    this.deliveries = 0;
    this.first_ms = null;
    this.last_ms = null;
    this.bad = 0;
  },
};

const hookServer = createServer((req, res) => {
  const parts = [];
  req.on('data', (part) => parts.push(part));
  req.on('end', () => {
    const at = performance.now();
    receiver.deliveries++;
    const eventId = req.headers['webwallet-event-id'];
    let event;
    try {
      event = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      receiver.bad++;
    }
    if (typeof eventId !== 'string' || !event || event.id !== eventId) receiver.bad++;
    else {
      const seen = receiver.events.get(eventId) ?? 0;
      receiver.events.set(eventId, seen + 1);
      if (seen > 0) receiver.duplicates++;
      else {
        receiver.byType.set(event.type, (receiver.byType.get(event.type) ?? 0) + 1);
        const invoiceId = event.data?.invoice?.id;
        if (invoiceId) {
          const key = `${event.type} ${invoiceId}`;
          if (!receiver.arrivals.has(key)) receiver.arrivals.set(key, at);
        }
        receiver.first_ms ??= at;
        receiver.last_ms = at;
        receiver.times.push(at);
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
});
// The node's webhook worker opens a fresh connection per delivery: keep the accept path cheap.
hookServer.keepAliveTimeout = 1_000;
await new Promise((resolve) => hookServer.listen(0, '127.0.0.1', resolve));

/** Resolves once `count` unique events of `type` arrived, or no new one came for `idle_ms`. */
async function waitForEvents({ type, count, idle_ms, timeout_ms }) {
  const started = performance.now();
  let lastCount = -1;
  let lastChange = started;
  for (;;) {
    const n = receiver.byType.get(type) ?? 0;
    const now = performance.now();
    if (n !== lastCount) {
      lastCount = n;
      lastChange = now;
    }
    if (n >= count) return { complete: true, count: n };
    if (now - lastChange > idle_ms || now - started > timeout_ms) return { complete: false, count: n };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function receiverStats({ from_ms } = {}) {
  const byType = Object.fromEntries(receiver.byType);
  const unique = receiver.events.size;
  const firstToLast = receiver.first_ms === null ? 0 : (receiver.last_ms - receiver.first_ms) / 1000;
  let afterFrom;
  if (from_ms !== undefined) {
    const later = receiver.times.filter((t) => t >= from_ms);
    afterFrom = {
      deliveries: later.length,
      seconds: later.length > 1 ? round((later.at(-1) - from_ms) / 1000, 3) : 0,
    };
  }
  return {
    unique,
    deliveries: receiver.deliveries,
    duplicates: receiver.duplicates,
    malformed: receiver.bad,
    by_type: byType,
    first_ms: receiver.first_ms,
    last_ms: receiver.last_ms,
    first_to_last_seconds: round(firstToLast, 3),
    ...(afterFrom ? { after: afterFrom } : {}),
  };
}

// --- the commands ----------------------------------------------------------------------------

const ops = {
  receiverUrl: () => `http://127.0.0.1:${hookServer.address().port}/hook`,
  resetReceiver: () => receiver.reset(),
  receiverStats,
  load: closedLoop,
  createInvoices,
  waitForEvents,

  /**
   * (2): creates `count` invoices (closed loop) while the receiver counts invoice.created
   * deliveries; waits for all of them (or until none came for idle_ms).
   */
  async deliveryRun({ token, body, count, concurrency, idle_ms, timeout_ms }) {
    receiver.reset();
    const created = await closedLoop({
      method: 'POST',
      path: '/v1/invoices',
      token,
      body,
      concurrency,
      count,
      expect_status: 201,
    });
    const createdEnd = performance.now();
    const wait = await waitForEvents({ type: 'invoice.created', count: created.ok, idle_ms, timeout_ms });
    const stats = receiverStats({ from_ms: createdEnd });
    return { created, created_end_ms: createdEnd, wait, receiver: stats };
  },

  /**
   * (3): pays `ids` at `rate_per_s`, then waits for their invoice.payment_received (and, when
   * `settled`, invoice.settled) webhooks. Latencies per invoice, from the pay request leaving and
   * from its response arriving.
   */
  async payRun({ token, ids, rate_per_s, settled, idle_ms, timeout_ms }) {
    receiver.reset();
    const paid = await payPaced({ token, ids, rate_per_s });
    const okIds = ids.filter((id) => paid.answeredAt.has(id));
    const types = ['invoice.payment_received', ...(settled ? ['invoice.settled'] : [])];
    const waits = {};
    for (const type of types) waits[type] = await waitForEvents({ type, count: okIds.length, idle_ms, timeout_ms });
    const result = {
      payments: ids.length,
      offered_per_s: paid.offered_per_s,
      late_starts: paid.lateStarts,
      pay_errors: paid.errors,
      ...(paid.firstError ? { first_pay_error: paid.firstError } : {}),
      pay_statuses: paid.statuses,
      pay_request: latencySummary(ids.map((id) => paid.answeredAt.get(id) - paid.sentAt.get(id))),
      duplicates: receiver.duplicates,
      malformed: receiver.bad,
    };
    for (const type of types) {
      const fromRequest = [];
      const fromResponse = [];
      let missing = 0;
      for (const id of okIds) {
        const at = receiver.arrivals.get(`${type} ${id}`);
        if (at === undefined) {
          missing++;
          continue;
        }
        fromRequest.push(at - paid.sentAt.get(id));
        fromResponse.push(at - paid.answeredAt.get(id));
      }
      result[type] = {
        received: fromRequest.length,
        missing,
        complete: waits[type].complete,
        from_pay_request: latencySummary(fromRequest),
        from_pay_response: latencySummary(fromResponse),
        before_pay_response: fromResponse.filter((v) => v < 0).length,
      };
    }
    return result;
  },

  async close() {
    for (const agent of agents.values()) agent.destroy();
    await new Promise((resolve) => hookServer.close(resolve));
    hookServer.closeAllConnections?.();
  },
};

parentPort.on('message', async ({ id, op, args }) => {
  try {
    const result = await ops[op](args ?? {});
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: error?.stack ?? String(error) });
  }
});
parentPort.postMessage({ ready: true });
