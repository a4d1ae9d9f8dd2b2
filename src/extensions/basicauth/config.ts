import { z } from 'zod';
import { registerSecret } from '../../telemetry/secrets.js';

/**
 * contrib extension/basicauthextension keys, client side: `client_auth.username` and `.password`
 * become `Authorization: Basic …` on an exporter's requests (`auth.authenticator`). The server side
 * (`htpasswd`) is not offered: receivers authenticate with bearertokenauth.
 */
export const basicAuthConfigSchema = z
  .strictObject({
    client_auth: z
      .strictObject({
        username: z.string().min(1),
        password: z.string().transform((v) => {
          registerSecret(v);
          return v;
        }),
      })
      .optional(),
    htpasswd: z.unknown().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.htpasswd !== undefined) ctx.addIssue({ code: 'custom', path: ['htpasswd'], message: 'server-side basic auth (htpasswd) is not supported; use bearertokenauth on receivers' });
    if (!c.client_auth) ctx.addIssue({ code: 'custom', path: ['client_auth'], message: 'expected client_auth: {username, password}' });
  });

export type BasicAuthConfig = z.output<typeof basicAuthConfigSchema>;
