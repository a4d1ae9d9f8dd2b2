import { z } from 'zod';
import { registerSecret } from '../../telemetry/secrets.js';

/** contrib extension/basicauthextension keys: `htpasswd` for receivers, `client_auth` for exporters. */
export const basicAuthConfigSchema = z
  .strictObject({
    htpasswd: z
      .strictObject({
        /** An htpasswd file (bcrypt `$2y$`, `{SHA}` or plain entries), read at start. */
        file: z.string().min(1).optional(),
        /** The same lines inline; combined with `file` when both are set. */
        inline: z.string().optional(),
      })
      .optional(),
    client_auth: z
      .strictObject({
        username: z.string().min(1),
        password: z.string().transform((p) => {
          registerSecret(p);
          return p;
        }),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.htpasswd && !c.client_auth) ctx.addIssue({ code: 'custom', message: 'set htpasswd (to check incoming requests) or client_auth (to send credentials)' });
    if (c.htpasswd && !c.htpasswd.file && c.htpasswd.inline === undefined) ctx.addIssue({ code: 'custom', path: ['htpasswd'], message: 'set file or inline' });
  });

export type BasicAuthConfig = z.output<typeof basicAuthConfigSchema>;
