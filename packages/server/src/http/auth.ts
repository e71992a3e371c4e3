import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** The token of an `Authorization: Bearer <token>` header, or undefined when there is none or it is malformed. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer (\S{1,256})$/.exec(request.headers.authorization ?? '')?.[1];
}

/** undefined: no Authorization header; true/false: whether it carries the admin token (compared in constant time). */
export function adminAuthorization(request: FastifyRequest, adminToken: string): boolean | undefined {
  if (request.headers.authorization === undefined) return undefined;
  const token = bearerToken(request);
  if (token === undefined) return false;
  const given = Buffer.from(token);
  const expected = Buffer.from(adminToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
