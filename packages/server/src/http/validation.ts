import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

/** How many schema errors a response lists; the rest are counted, not listed. */
export const VALIDATION_ERRORS_MAX = 20;

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, ...options });
  // OpenAPI annotation keywords that JSON Schema validation ignores.
  ajv.addKeyword({ keyword: 'example' });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

/**
 * Two validators: bodies are validated strictly as sent (no type coercion, unknown fields
 * rejected, never silently removed), while query strings and path parameters arrive as text and
 * are coerced to the schema's types.
 */
export function installValidators(app: FastifyInstance, schemas: readonly object[]): void {
  const body = makeAjv({ coerceTypes: false, removeAdditional: false, useDefaults: true });
  const text = makeAjv({ coerceTypes: true, removeAdditional: false, useDefaults: true });
  for (const schema of schemas) {
    body.addSchema(schema);
    text.addSchema(schema);
  }
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? body : text;
    return ajv.compile(schema as FastifySchema & object);
  });
}
