// Small helpers shared by the benchmark modules: progress output, a seeded PRNG, statistics.
import { readFileSync } from 'node:fs';

/** Human progress goes to stderr so stdout can carry one JSON object with --json. */
const start = performance.now();
export function log(...parts) {
  const t = ((performance.now() - start) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${t}s] ${parts.join(' ')}\n`);
}

/** mulberry32: a tiny seeded PRNG, so a run's workload is reproducible. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Nearest-rank percentile of an unsorted array of numbers (0 < p <= 100). */
export function percentile(values, p) {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function chunk(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const round = (value, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Formats 12345.6 as "12,346". */
export const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** A random lower-case suffix for schema and file names. */
export const suffix = () => `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

/**
 * CPU time of all cores so far, from /proc/stat (Linux; undefined elsewhere): total, idle, and
 * steal, the time the hypervisor gave other guests, which lowers every rate on a virtual machine.
 */
export function cpuTicks() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), idle: fields[3] ?? 0, steal: fields[7] ?? 0 };
  } catch {
    return undefined;
  }
}
