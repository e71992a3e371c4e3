import {
  decodePrefixed,
  RELAY_AUTH_SCHEME,
  RELAY_CLOCK_SKEW_S_MAX,
  type RelayRequest,
  relayRequestMessage,
  verify,
  WebWalletError,
} from '@webwallet/core';

// The signed bytes are built by @webwallet/core (relay-request.ts), which wallets use to sign.
export {
  RELAY_AUTH_DOMAIN,
  RELAY_CLOCK_SKEW_S_MAX,
  type RelayRequest,
  relayAuthorization,
  relayRequestMessage,
} from '@webwallet/core';

/** Signed requests remembered to refuse replays; bounds the memory of the replay check. */
export const REPLAY_ENTRIES_MAX = 100_000;
/** What a client is told to wait when the replay memory is full (entries age out within the clock window). */
const REPLAY_FULL_RETRY_S = 60;
export const AUTH_SCHEME = RELAY_AUTH_SCHEME;

interface ParsedHeader {
  readonly key: string;
  readonly t: number;
  readonly sig: string;
  readonly nonce: string | undefined;
}

const HEADER = /^WebWallet-Device +(\S.{0,300})$/;
const T = /^[0-9]{1,12}$/;
const NONCE = /^[A-Za-z0-9_-]{1,64}$/;
const PARAMS = ['key', 't', 'n', 'sig'];

function invalid(reason: string): WebWalletError {
  return new WebWalletError('relay_auth_invalid', { reason });
}

/** Parses `WebWallet-Device key=…,t=…[,n=…],sig=…` (parameters in any order, each once). */
export function parseRelayAuthorization(header: string | undefined): ParsedHeader | WebWalletError {
  if (header === undefined) return invalid('no Authorization header');
  const match = HEADER.exec(header);
  if (!match) return invalid(`the Authorization scheme must be ${AUTH_SCHEME}`);
  const params = new Map<string, string>();
  for (const part of match[1]!.split(/ *, */)) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq);
    if (eq <= 0 || !PARAMS.includes(name) || params.has(name)) {
      return invalid('parameters must be key, t, sig and optionally n, each once, as name=value separated by commas');
    }
    params.set(name, part.slice(eq + 1));
  }
  const [key, t, sig] = [params.get('key'), params.get('t'), params.get('sig')];
  if (key === undefined || t === undefined || sig === undefined) return invalid('key, t and sig are all required');
  if (!T.test(t)) return invalid('t must be whole unix seconds');
  const nonce = params.get('n');
  if (nonce !== undefined && !NONCE.test(nonce)) return invalid('n must be 1 to 64 base64url characters');
  return { key, t: Number(t), sig, nonce };
}

/**
 * Refuses a signed request seen before while its t is still acceptable. In memory and bounded:
 * once a request's t is outside the clock window it is refused anyway, so the entry can go.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly entries_max = REPLAY_ENTRIES_MAX) {}

  /** 'claimed' the first time; 'replayed' after; 'full' when too many live entries (the caller answers 429). */
  claim(id: string, forget_at_ms: number, now_ms: number): 'claimed' | 'replayed' | 'full' {
    if (this.seen.has(id)) return 'replayed';
    if (this.seen.size >= this.entries_max) {
      for (const [entry, at_ms] of this.seen) if (at_ms <= now_ms) this.seen.delete(entry);
      if (this.seen.size >= this.entries_max) return 'full';
    }
    this.seen.set(id, forget_at_ms);
    return 'claimed';
  }

  /** Forgets a claim whose request was refused for lack of membership: replaying it is harmless. */
  release(id: string): void {
    this.seen.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }
}

export interface AuthenticatedDevice {
  /** The device's public key, "pub_…". */
  readonly device_key: string;
  /** The replay-cache entry of this request. */
  readonly claim: string;
}

/** Checks a request's device signature, clock and freshness; the device key on success. */
export async function authenticateDevice(
  header: string | undefined,
  request: Omit<RelayRequest, 't' | 'nonce'>,
  replays: ReplayCache,
  now_ms: number,
): Promise<AuthenticatedDevice | WebWalletError> {
  const parsed = parseRelayAuthorization(header);
  if (parsed instanceof WebWalletError) return parsed;
  const publicKey = decodePrefixed('pub', parsed.key);
  if (!publicKey.ok) return invalid('key is not a pub_… Ed25519 public key');
  const signature = decodePrefixed('sig', parsed.sig);
  if (!signature.ok) return invalid('sig is not a sig_… Ed25519 signature');
  const server_time_s = Math.floor(now_ms / 1000);
  if (Math.abs(server_time_s - parsed.t) > RELAY_CLOCK_SKEW_S_MAX) {
    return new WebWalletError('relay_clock_skew', {
      t: parsed.t,
      server_time_s,
      skew_s_max: RELAY_CLOCK_SKEW_S_MAX,
    });
  }
  const message = relayRequestMessage({ ...request, t: parsed.t, nonce: parsed.nonce });
  if (!(await verify(signature.value, message, publicKey.value))) {
    return invalid('the signature does not verify over this method, path, t and body');
  }
  const claim = `${parsed.key} ${parsed.sig}`;
  const outcome = replays.claim(claim, (parsed.t + RELAY_CLOCK_SKEW_S_MAX + 1) * 1000, now_ms);
  if (outcome === 'replayed') return new WebWalletError('relay_replayed', { t: parsed.t });
  if (outcome === 'full') return new WebWalletError('relay_busy', { retry_after_s: REPLAY_FULL_RETRY_S });
  return { device_key: parsed.key, claim };
}
