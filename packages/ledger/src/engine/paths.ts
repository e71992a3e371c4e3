import { PATH_INTERMEDIARIES_MAX } from '../model/schemas.js';
import type { StateReader } from './state.js';

/** One hop of a multi-hop payment: `from` pays `to` in `currency`. */
export interface Hop {
  readonly from: string;
  readonly to: string;
  readonly currency: string;
}

/** Most (account, currency) states a path search visits before giving up. */
export const PATH_SEARCH_STATES_MAX = 10_000;

/** Whether `account` can hold `currency`: it has a trust line, or it is the issuer. */
function accepts(view: StateReader, account: string, currency: string): boolean {
  return view.currency(currency)?.issuer === account || view.line(account, currency) !== undefined;
}

interface Node {
  readonly account: string;
  readonly currency: string;
  readonly previous: Node | undefined;
}

function hopsOf(node: Node, to: string, currency: string): Hop[] {
  const chain: Node[] = [];
  for (let n: Node | undefined = node; n; n = n.previous) chain.unshift(n);
  const hops: Hop[] = [];
  for (let i = 0; i + 1 < chain.length; i++)
    hops.push({ from: chain[i]!.account, to: chain[i + 1]!.account, currency: chain[i]!.currency });
  hops.push({ from: node.account, to, currency });
  return hops;
}

/**
 * Breadth-first search for the shortest path (fewest hops, then lowest account and currency ids,
 * so the result is deterministic and replay finds the same one). Intermediaries must allow
 * rippling, accept the incoming currency and hold the outgoing one, of the same scale.
 */
export function findPath(
  view: StateReader,
  from: string,
  to: string,
  sendCurrency: string,
  deliverCurrency: string,
): Hop[] | undefined {
  const scale = view.currency(sendCurrency)?.scale;
  if (scale === undefined || view.currency(deliverCurrency)?.scale !== scale) return undefined;
  const ripplers = view.ripplingAccounts().filter((a) => a !== from && a !== to);
  const currencies = view.currencyCodes().filter((c) => view.currency(c)?.scale === scale);
  let frontier: Node[] = [{ account: from, currency: sendCurrency, previous: undefined }];
  const seen = new Set([`${from}\u0000${sendCurrency}`]);
  for (let depth = 0; depth <= PATH_INTERMEDIARIES_MAX && frontier.length > 0; depth++) {
    for (const node of frontier) {
      if (node.currency === deliverCurrency && accepts(view, to, deliverCurrency))
        return hopsOf(node, to, deliverCurrency);
    }
    if (depth === PATH_INTERMEDIARIES_MAX) break;
    const next: Node[] = [];
    for (const node of frontier) {
      for (const account of ripplers) {
        if (!accepts(view, account, node.currency) || onPath(node, account)) continue;
        for (const currency of currencies) {
          const key = `${account}\u0000${currency}`;
          if (seen.has(key) || !accepts(view, account, currency)) continue;
          seen.add(key);
          next.push({ account, currency, previous: node });
          if (seen.size > PATH_SEARCH_STATES_MAX) return undefined;
        }
      }
    }
    frontier = next;
  }
  return undefined;
}

function onPath(node: Node, account: string): boolean {
  for (let n: Node | undefined = node; n; n = n.previous) if (n.account === account) return true;
  return false;
}
