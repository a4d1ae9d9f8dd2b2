import { z } from '@hono/zod-openapi';

/**
 * Shapes shared by the admin API's routes. The OpenAPI document (`/api/v1/openapi.json`,
 * docs/admin-api.md) is generated from these, so what is documented is what is validated.
 */

export const API_PREFIX = '/api/v1';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(['bad_request', 'unauthorized', 'not_found', 'conflict', 'length_required', 'payload_too_large', 'unavailable']),
      message: z.string(),
    }),
  })
  .openapi('Error');

export type ErrorCode = z.infer<typeof ErrorBody>['error']['code'];

const errorResponse = (description: string) => ({ content: { 'application/json': { schema: ErrorBody } }, description });

/** Answers every protected route may give besides its own. */
export const commonErrors = {
  400: errorResponse('Bad input: a parameter or the body does not match the schema.'),
  401: errorResponse('Missing or wrong credentials (auth.authenticator).'),
};
export const notFound = { 404: errorResponse('No pipeline or exporter with that id.') };
export const conflict = { 409: errorResponse('The exporter has no persistent queue (sending_queue.storage), so it keeps no dead letters.') };

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });

/** Component ids hold a `/` (`otlphttp/backend`): clients send it encoded, `otlphttp%2Fbackend`. */
export const IdParam = z.object({
  id: z.string().min(1).openapi({ param: { name: 'id', in: 'path' }, example: 'otlphttp/backend', description: 'Component id as in the config; encode "/" as %2F.' }),
});

export const ComponentState = z.enum(['created', 'starting', 'running', 'failed', 'stopping', 'stopped']);

export const Component = z.object({
  id: z.string(),
  kind: z.enum(['receiver', 'processor', 'exporter', 'extension']),
  state: ComponentState,
});

export const Counts = {
  accepted: z.number().openapi({ description: 'Log records accepted (exporter: durably queued).' }),
  refused: z.number().openapi({ description: 'Log records refused (exporter: refused at enqueue).' }),
  sent: z.number().openapi({ description: 'Log records the backend acknowledged.' }),
  failed: z.number().openapi({ description: 'Log records whose send attempt failed (retried or dead-lettered).' }),
};

/** Dead-letter selection: explicit ids, or every entry. */
export const DeadLetterSelectionBody = z
  .union([z.strictObject({ ids: z.array(z.number().int().positive()).min(1) }), z.strictObject({ all: z.literal(true) })])
  .openapi('DeadLetterSelection', { description: '{"ids":[1,2]} or {"all":true}' });

export const MovedCounts = z.object({ requests: z.number(), records: z.number() });
