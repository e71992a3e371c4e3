import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { checkPayerToken, type PayerTokenGateOptions, type PayerTokenRedemption, releaseQuietly } from './gate.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the payer-token plugin on routes it gates: the payment that unlocked the request. */
    payerToken?: PayerTokenRedemption;
  }
}

function requestUrl(request: FastifyRequest): URL {
  // Only the path and query matter to the gate; the origin is a placeholder, never trusted.
  return new URL(request.url, 'http://localhost');
}

async function gate(
  options: PayerTokenGateOptions,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const decision = await checkPayerToken(options, request.headers.authorization, requestUrl(request));
  if (!decision.ok) return reply.code(decision.status).headers(decision.headers).send(decision.body);
  request.payerToken = decision.value;
  return undefined;
}

/**
 * Gates every route registered in the same encapsulation context behind a payer token (402 /
 * 403 / 409, as `withPayerToken`). A route that fails (5xx) releases the redemption.
 *
 * @example
 * app.register(async (paid) => {
 *   await paid.register(payerTokenPlugin, { payee, amount: '5.00', currency: 'EUR', audience, trusted_nodes, registry });
 *   paid.get('/download', async (request) => sendFile(request.payerToken));
 * });
 */
export const payerTokenPlugin: FastifyPluginAsync<PayerTokenGateOptions> = async (instance, options) => {
  instance.addHook('preHandler', (request, reply) => gate(options, request, reply));
  instance.addHook('onResponse', async (request, reply) => {
    const paid = request.payerToken;
    if (paid && reply.statusCode >= 500) await releaseQuietly(options, paid.redemption.key);
  });
};

// Like fastify-plugin: the hooks apply to the context that registers the plugin, not to a child.
(payerTokenPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
(payerTokenPlugin as unknown as Record<symbol, string>)[Symbol.for('fastify.display-name')] = 'webwallet-payer-token';
