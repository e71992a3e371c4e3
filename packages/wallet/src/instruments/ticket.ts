import { decodePayerToken, type PayerTokenClaims, type Result } from '@webwallet/core';
import type { Ticket } from './types.js';

/**
 * What a ticket's payer token claims: which payment, by whom, to whom, for which origin, until
 * when. Decoding checks the token's shape only; a door verifies the signature and the payment
 * with core's verifyPayerToken. Fails with `token_malformed` for a damaged token.
 *
 * @example
 * const claims = await ticketClaims(ticket);
 * if (claims.ok) console.log(claims.value.amount, claims.value.currency, claims.value.expires_at);
 */
export async function ticketClaims(ticket: Pick<Ticket, 'token'>): Promise<Result<PayerTokenClaims>> {
  const decoded = await decodePayerToken(ticket.token);
  if (!decoded.ok) return decoded;
  return { ok: true, value: decoded.value.token.body };
}
