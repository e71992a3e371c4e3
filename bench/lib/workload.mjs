// The workload: account names, the seed documents, and transfer documents for each case.
import { chunk, log, rng } from './util.mjs';

export const ISSUER = 'acc_issuer';
export const CURRENCY = 'BENCH';
export const SCALE = 2;
/** Every holder is funded with this much, and trusts the issuer for up to TRUST_LIMIT. */
export const FUNDING = '1000000.00';
export const TRUST_LIMIT = '1000000000.00';

/** Custodial (node-managed) holder i. */
export const custodialId = (i) => `acc_h${String(i).padStart(5, '0')}`;

const transaction = (type, body) => ({ type, version: 1, body, signatures: [] });

/** A small amount in cents, 0.01 to 9.99, varying with i. */
function amount(i) {
  const cents = 1 + (i % 999);
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/**
 * From/to account numbers. uniform: any two distinct holders. hot: with probability hot_share
 * one side (payer or payee, at random) is one of the first hot_accounts holders, the other any
 * other holder; otherwise uniform.
 */
export function pairs(count, distribution, profile, seed, n = profile.accounts) {
  const random = rng(seed);
  const pick = (max) => Math.floor(random() * max);
  const from = new Int32Array(count);
  const to = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let a;
    let b;
    if (distribution === 'hot' && random() < profile.hot_share) {
      const hot = pick(profile.hot_accounts);
      let other = pick(n - 1);
      if (other >= hot) other++;
      [a, b] = random() < 0.5 ? [hot, other] : [other, hot];
    } else {
      a = pick(n);
      b = pick(n - 1);
      if (b >= a) b++;
    }
    from[i] = a;
    to[i] = b;
  }
  return { from, to };
}

/**
 * Transfer documents for one case: node-authorized ones between custodial accounts (unsigned),
 * or Ed25519-signed ones between self-custody accounts (signed by the payer, on the signer's
 * threads). `tag` keeps client ids unique on the ledger.
 */
export async function transferDocuments({ auth, distribution, count, tag, seed, profile, signer }) {
  const population = auth === 'node' ? profile.accounts : profile.self_custody_accounts;
  const { from, to } = pairs(count, distribution, profile, seed, population);
  const created_at = new Date().toISOString();
  const bodies = new Array(count);
  const names = auth === 'node' ? (i) => custodialId(i) : (i) => signer.publicKeys[i];
  for (let i = 0; i < count; i++) {
    bodies[i] = {
      id: `${tag}-${i}`,
      created_at,
      legs: [{ from: names(from[i]), to: names(to[i]), currency: CURRENCY, amount: amount(i) }],
    };
  }
  if (auth === 'node') return bodies.map((body) => transaction('ledger.transfer', body));
  return signer.sign(bodies.map((body, i) => ({ type: 'ledger.transfer', body, signer: from[i] })));
}

/**
 * Submits documents in batches with some in flight, in order of phases; throws on any rejection.
 * `submit(documents, nodeAuthorized)` resolves to per-document results.
 */
async function submitAll(submit, documents, nodeAuthorized, { batch = 1_000, concurrency = 8 } = {}) {
  const batches = chunk(documents, batch);
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const results = await submit(batches[next++], nodeAuthorized);
      const bad = results.find((r) => r.status !== 'accepted');
      if (bad) throw new Error(`seeding: document rejected: ${JSON.stringify(bad)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/**
 * Seeds a fresh ledger through the ledger itself (node-authorized, batched, untimed): the issuer,
 * the currency (scale 2), and per holder an account, a trust line and a funding transfer; for
 * `profile.accounts` custodial holders and, when a signer is given, one self-custody holder per key.
 */
export async function seed(submit, { profile, signer, tag = 'seed' }) {
  const now = () => new Date().toISOString();
  const started = performance.now();
  const one = (type, id, rest) => transaction(type, { id: `${tag}-${id}`, created_at: now(), ...rest });
  await submitAll(submit, [one('ledger.account.create', 'issuer', { account: ISSUER })], true);
  await submitAll(
    submit,
    [one('ledger.currency.issue', 'currency', { issuer: ISSUER, currency: CURRENCY, scale: SCALE })],
    true,
  );
  const range = (n) => Array.from({ length: n }, (_, i) => i);
  const custodialRange = range(profile.accounts);
  const selfRange = range(signer ? signer.publicKeys.length : 0);
  const signed = async (type, bodyOf) => {
    const created_at = now();
    return signer ? signer.sign(selfRange.map((i) => ({ type, body: { created_at, ...bodyOf(i) }, signer: i }))) : [];
  };
  const custodial = (type, bodyOf, indices = custodialRange) => {
    const created_at = now();
    return indices.map((i) => transaction(type, { created_at, ...bodyOf(i) }));
  };
  const self = (i) => signer.publicKeys[i];

  // Accounts, then trust lines, then funding: each phase depends on the one before.
  const phases = [
    ['accounts', 'ledger.account.create', (name, i, kind) => ({ id: `${tag}-a${kind}-${i}`, account: name })],
    [
      'trust lines',
      'ledger.trust.set',
      (name, i, kind) => ({ id: `${tag}-t${kind}-${i}`, holder: name, currency: CURRENCY, limit: TRUST_LIMIT }),
    ],
  ];
  for (const [what, type, bodyOf] of phases) {
    const documents = [
      ...custodial(type, (i) => bodyOf(custodialId(i), i, 'c')),
      ...(await signed(type, (i) => bodyOf(self(i), i, 's'))),
    ];
    await submitAll(submit, documents, true);
    log(`    seeded ${documents.length} ${what}`);
  }
  const funding = (name, i, kind) => ({
    id: `${tag}-f${kind}-${i}`,
    legs: [{ from: ISSUER, to: name, currency: CURRENCY, amount: FUNDING }],
  });
  const fund = [
    ...custodial('ledger.transfer', (i) => funding(custodialId(i), i, 'c')),
    ...custodial('ledger.transfer', (i) => funding(self(i), i, 's'), selfRange),
  ];
  await submitAll(submit, fund, true);
  log(`    funded ${fund.length} holders (${((performance.now() - started) / 1000).toFixed(1)} s seeding)`);
}
