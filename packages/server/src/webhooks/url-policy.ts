import { ADDRCONFIG } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { err, ok, type Result } from '@webwallet/core';

/** Longest webhook URL accepted, before and after normalisation. */
export const WEBHOOK_URL_LENGTH_MAX = 2048;

export interface UrlPolicyOptions {
  /** The operator's `webhook_allow_private`: lets webhooks reach private, loopback and link-local hosts. */
  readonly allow_private: boolean;
}

/** The part of `dns.promises.lookup(host, { all: true })` the policy needs; tests pass a fake one. */
export type LookupAll = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export interface ResolveOptions extends UrlPolicyOptions {
  readonly lookup?: LookupAll;
}

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Where a delivery connects: checked once, then handed to the socket instead of a second lookup. */
export interface DeliveryAddress extends ResolvedAddress {
  /**
   * Every address the host resolved to, all checked, `address` first: the connection may fall back
   * along them (Happy Eyeballs, RFC 8305) just as it would without the pinning.
   */
  readonly addresses: readonly ResolvedAddress[];
}

/**
 * Checks a webhook URL at registration and again before each delivery: an absolute http(s) URL,
 * no credentials (they would end up in logs and the dashboard), no fragment (never sent), at most
 * 2,048 characters; and unless `allow_private`, a host that is not a private, loopback, link-local
 * or otherwise non-public literal address or a name reserved for local use. Names that resolve to
 * such addresses are caught later by `resolveDeliveryAddress`.
 *
 * @example
 * checkWebhookUrl('https://shop.example/hooks', { allow_private: false }); // ok
 * checkWebhookUrl('http://169.254.169.254/latest', { allow_private: false }); // webhook_url_forbidden
 */
export function checkWebhookUrl(url: string, options: UrlPolicyOptions): Result<URL> {
  const shape = shapeProblem(url);
  if (shape !== undefined) return err('webhook_url_invalid', { reason: shape });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return err('webhook_url_invalid', { reason: 'not_absolute_url' });
  }
  const problem = parsedProblem(parsed);
  if (problem !== undefined) return err('webhook_url_invalid', { reason: problem });
  if (!options.allow_private) {
    const reason = forbiddenHostReason(parsed.hostname);
    if (reason !== undefined) return err('webhook_url_forbidden', { host: parsed.hostname, reason });
  }
  return ok(parsed);
}

function shapeProblem(url: string): string | undefined {
  if (url.length > WEBHOOK_URL_LENGTH_MAX) return 'too_long';
  // The WHATWG parser silently strips or drops these; refusing them keeps the stored URL the one that is used.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  if (/[\u0000-\u0020\u007f]/.test(url)) return 'whitespace_or_control_character';
  // An empty fragment ("…#") parses to hash "", so look at the text.
  if (url.includes('#')) return 'fragment';
  return undefined;
}

function parsedProblem(url: URL): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'scheme';
  if (url.username !== '' || url.password !== '') return 'credentials';
  if (url.hostname === '') return 'host_missing';
  // Punycode and percent-encoding can lengthen the URL.
  if (url.href.length > WEBHOOK_URL_LENGTH_MAX) return 'too_long';
  return undefined;
}

/**
 * Resolves the URL's host (all addresses, in resolver order) and picks the address to connect to.
 * Unless `allow_private`, refuses with `webhook_url_forbidden` if ANY address is non-public: an
 * attacker controlling the DNS could otherwise mix a public and a private answer. The caller must
 * connect to the returned address rather than resolving again, or a second, different answer
 * (DNS rebinding) would bypass this check.
 *
 * DNS failures reject the promise: they are transient, and the worker retries them like network errors.
 *
 * @example
 * const target = await resolveDeliveryAddress(new URL('https://shop.example/hooks'), { allow_private: false });
 * if (target.ok) target.value.address; // '93.184.216.34'
 */
export async function resolveDeliveryAddress(url: URL, options: ResolveOptions): Promise<Result<DeliveryAddress>> {
  const host = bareHostname(url.hostname);
  const literal = isIP(host);
  const answers = literal === 0 ? await (options.lookup ?? lookupAll)(host) : [{ address: host, family: literal }];
  const addresses = answers.map(({ address }): ResolvedAddress => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
  const first = addresses[0];
  if (first === undefined) throw new Error(`DNS returned no address for ${host}`);
  if (!options.allow_private) {
    for (const { address } of addresses) {
      const reason = forbiddenAddressReason(address);
      if (reason !== undefined) return err('webhook_url_forbidden', { host, address, reason });
    }
  }
  return ok({ ...first, addresses });
}

/** As `net.connect` itself looks names up: only families this machine has addresses for. */
function lookupAll(hostname: string): Promise<readonly { address: string; family: number }[]> {
  return dnsLookup(hostname, { all: true, verbatim: true, hints: ADDRCONFIG });
}

/** `URL.hostname` keeps the brackets of an IPv6 literal; sockets and `isIP` want the address alone. */
export function bareHostname(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Names that only ever mean this machine or the local network: `localhost` and its subdomains
 * (RFC 6761 §6.3), multicast DNS `.local` (RFC 6762), `.home.arpa` (RFC 8375) and `.internal`
 * (reserved for private use by ICANN in 2024).
 */
const LOCAL_NAME_SUFFIXES = ['localhost', 'local', 'home.arpa', 'internal'] as const;

/** Why a URL host (name or literal address) may not be a webhook target, or undefined if it may. */
export function forbiddenHostReason(hostname: string): string | undefined {
  const host = bareHostname(hostname);
  if (isIP(host) !== 0) return forbiddenAddressReason(host);
  const name = host.toLowerCase().replace(/\.+$/, ''); // "localhost." is the same name
  const local = LOCAL_NAME_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
  return local ? 'local_name' : undefined;
}

interface Range {
  readonly prefix: Uint8Array;
  readonly bits: number;
  readonly reason: string;
}

function range(cidr: string, reason: string): Range {
  const [address = '', bits = ''] = cidr.split('/');
  return { prefix: addressBytes(address), bits: Number(bits), reason };
}

/**
 * Special-purpose IPv4 blocks that are not globally reachable (IANA registry, RFC 6890 and updates),
 * plus multicast and the reserved 240/4 (which includes broadcast).
 */
const IPV4_RANGES: readonly Range[] = [
  range('0.0.0.0/8', 'unspecified'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'shared_address_space'), // carrier-grade NAT, RFC 6598
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link_local'), // includes cloud metadata services at 169.254.169.254
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved'),
  range('192.0.2.0/24', 'documentation'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'benchmarking'),
  range('198.51.100.0/24', 'documentation'),
  range('203.0.113.0/24', 'documentation'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'),
];

/** Special-purpose IPv6 blocks, checked after the IPv4-embedding ones below, most specific first. */
const IPV6_RANGES: readonly Range[] = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('::/96', 'reserved'), // deprecated IPv4-compatible addresses, RFC 4291 §2.5.5.1
  range('64:ff9b:1::/48', 'private'), // local-use NAT64, RFC 8215
  range('100::/64', 'reserved'), // discard-only, RFC 6666
  range('2001::/32', 'reserved'), // Teredo: the client's IPv4 address is obfuscated, so refuse it all
  range('2001:2::/48', 'benchmarking'),
  range('2001:db8::/32', 'documentation'),
  range('3fff::/20', 'documentation'), // RFC 9637
  range('fc00::/7', 'unique_local'),
  range('fe80::/10', 'link_local'),
  range('fec0::/10', 'site_local'), // deprecated, RFC 3879, but still routed locally by some stacks
  range('ff00::/8', 'multicast'),
];

/** Everything outside 2000::/3 is not (yet) global unicast, RFC 4291 §2.4. */
const GLOBAL_UNICAST = range('2000::/3', 'global_unicast');

/** IPv6 blocks whose addresses carry an IPv4 address that the traffic actually reaches. */
const IPV4_EMBEDDING: readonly { readonly range: Range; readonly offset: number }[] = [
  { range: range('::ffff:0:0/96', 'ipv4_mapped'), offset: 12 }, // RFC 4291 §2.5.5.2
  { range: range('64:ff9b::/96', 'nat64'), offset: 12 }, // RFC 6052
  { range: range('2002::/16', '6to4'), offset: 2 }, // RFC 3056
];

/**
 * Why an IP address may not be a webhook target (`'loopback'`, `'private'`, …), or undefined if
 * it is public. IPv6 addresses that embed an IPv4 address (mapped, NAT64, 6to4) are judged by it.
 *
 * @example
 * forbiddenAddressReason('::ffff:127.0.0.1'); // 'loopback'
 * forbiddenAddressReason('2606:4700::1111'); // undefined
 */
export function forbiddenAddressReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) throw new RangeError(`not an IP address: ${address}`);
  const bytes = addressBytes(address);
  if (family === 4) return matchRange(bytes, IPV4_RANGES);
  for (const embedding of IPV4_EMBEDDING) {
    if (inRange(bytes, embedding.range)) {
      return matchRange(bytes.subarray(embedding.offset, embedding.offset + 4), IPV4_RANGES);
    }
  }
  return matchRange(bytes, IPV6_RANGES) ?? (inRange(bytes, GLOBAL_UNICAST) ? undefined : 'reserved');
}

function matchRange(bytes: Uint8Array, ranges: readonly Range[]): string | undefined {
  return ranges.find((candidate) => inRange(bytes, candidate))?.reason;
}

function inRange(bytes: Uint8Array, candidate: Range): boolean {
  if (bytes.length !== candidate.prefix.length) return false;
  for (let bit = 0; bit < candidate.bits; bit += 1) {
    const mask = 0x80 >> (bit % 8);
    const index = Math.floor(bit / 8);
    if (((bytes[index] ?? 0) & mask) !== ((candidate.prefix[index] ?? 0) & mask)) return false;
  }
  return true;
}

/** The 4 or 16 bytes of an address that `isIP` accepted (an IPv6 zone such as `%eth0` is ignored). */
function addressBytes(address: string): Uint8Array {
  return isIP(address) === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
}

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.'), Number);
}

function ipv6Bytes(address: string): Uint8Array {
  const [withoutZone = ''] = address.split('%', 1);
  const [headText = '', tailText] = withoutZone.split('::');
  const head = ipv6Groups(headText);
  const tail = tailText === undefined ? [] : ipv6Groups(tailText);
  const groups = [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[2 * index] = group >> 8;
    bytes[2 * index + 1] = group & 0xff;
  });
  return bytes;
}

function ipv6Groups(text: string): number[] {
  if (text === '') return [];
  return text.split(':').flatMap((piece) => {
    if (!piece.includes('.')) return [Number.parseInt(piece, 16)];
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(piece);
    return [(a << 8) | b, (c << 8) | d]; // a trailing dotted quad fills the last two groups
  });
}
