import { ERROR_CODES } from '@webwallet/core';
import { type TObject, type TObjectOptions, type TProperties, Type } from 'typebox';

/**
 * An object schema that rejects unknown fields. Every request schema uses it: a typo in a field
 * name must be an error, not a silently ignored option.
 */
export function StrictObject<P extends TProperties>(properties: P, options: TObjectOptions = {}): TObject<P> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** The one error shape of every node response: {"error":{"code","message","details"}}. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ enum: ERROR_CODES, description: 'Stable machine-readable code; see docs/errors.md.' }),
        message: Type.String({ description: 'What went wrong and how to fix it.' }),
        details: Type.Object({}, { additionalProperties: true, description: 'Code-specific facts.' }),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'ErrorResponse', additionalProperties: false, description: 'Every error the node returns has this shape.' },
);

const errorRef = Type.Unsafe<unknown>({ $ref: 'ErrorResponse#' });

/** Response entries for the error statuses a route can produce. */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const status of statuses) out[status] = errorRef;
  return out;
}

/** Errors any JSON-body route can return: bad JSON or schema, oversize body, wrong content type. */
export const BODY_ERRORS = [400, 413, 415, 500];
