import { z } from 'zod';
import { duration, httpUrl, tlsClient } from '../../config/types.js';
import { registerSecret } from '../../telemetry/secrets.js';

/** contrib's default token request timeout is none; a stuck token endpoint must not hang sends. */
export const DEFAULT_TOKEN_TIMEOUT_MS = 15_000;

/** contrib extension/oauth2clientauthextension keys (client credentials grant). */
export const oauth2ClientConfigSchema = z
  .strictObject({
    client_id: z.string().min(1).optional(),
    client_id_file: z.string().min(1).optional(),
    client_secret: z
      .string()
      .min(1)
      .transform((s) => {
        registerSecret(s);
        return s;
      })
      .optional(),
    client_secret_file: z.string().min(1).optional(),
    token_url: httpUrl(),
    scopes: z.array(z.string()).default([]),
    /** Extra form fields for the token request (e.g. `audience`). */
    endpoint_params: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
    tls: tlsClient(),
    timeout: duration().default(DEFAULT_TOKEN_TIMEOUT_MS),
    /** Refresh this long before the token expires (contrib's default: 5 minutes; at most half a token's lifetime is kept back). */
    expiry_buffer: duration().default(5 * 60_000),
  })
  .superRefine((c, ctx) => {
    if (!c.client_id && !c.client_id_file) ctx.addIssue({ code: 'custom', path: ['client_id'], message: 'set client_id or client_id_file' });
    if (!c.client_secret && !c.client_secret_file) ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'set client_secret or client_secret_file' });
  });

export type OAuth2ClientConfig = z.output<typeof oauth2ClientConfigSchema>;
