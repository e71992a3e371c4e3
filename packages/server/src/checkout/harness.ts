import Fastify, { type FastifyInstance } from 'fastify';
import { SignedDocumentSchema } from '../documents/routes.js';
import { installErrorHandlers } from '../http/errors.js';
import { installOpenApi } from '../http/openapi.js';
import { ErrorResponse } from '../http/schemas.js';
import { installValidators } from '../http/validation.js';
import { type CheckoutRouteOptions, type CheckoutRoutes, checkoutRoutes } from './routes.js';
import type { CheckoutSource } from './source.js';

export interface CheckoutTestApp {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly routes: CheckoutRoutes;
  close(): Promise<void>;
}

/**
 * A Fastify app set up as the node's (JSON only, the node's validators and error shape, OpenAPI)
 * with only the checkout routes, listening on a free loopback port. `/thanks` stands in for a
 * shop's redirect_url.
 */
export async function startCheckoutApp(
  source: CheckoutSource,
  options: CheckoutRouteOptions = {},
): Promise<CheckoutTestApp> {
  const app = Fastify({ logger: false, routerOptions: { maxParamLength: 256 } });
  app.removeContentTypeParser('text/plain');
  const schemas = [ErrorResponse, SignedDocumentSchema];
  for (const schema of schemas) app.addSchema(schema);
  installValidators(app, schemas);
  installErrorHandlers(app, 1_048_576);
  await installOpenApi(app);
  const routes = checkoutRoutes(app, source, options);
  app.get('/thanks', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send('<!doctype html><title>Thanks</title><h1>Thanks</h1>'),
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, routes, close: () => app.close() };
}
