import { z } from 'zod';
import { registerSecret } from '../../telemetry/secrets.js';

const headerRule = z
  .strictObject({
    key: z.string().min(1),
    value: z.string().optional(),
    from_context: z.string().optional(),
    from_attribute: z.string().optional(),
    default_value: z.string().optional(),
    action: z.enum(['insert', 'update', 'upsert', 'delete']).default('upsert'),
  })
  .superRefine((r, ctx) => {
    // from_attribute reads the server authenticator's attributes (oidc claims), which no
    // authenticator of ours produces: refuse it rather than send without the header.
    if (r.from_attribute !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'from_attribute is not supported (no server authenticator here sets attributes); use from_context or value' });
    }
    if (r.value !== undefined && r.from_context !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'set either value or from_context, not both' });
    }
    if (r.action !== 'delete' && r.value === undefined && r.from_context === undefined && r.default_value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'set value or from_context (with an optional default_value)' });
    }
  })
  .transform((r) => {
    // Header values usually carry tenants' keys: treat them as secrets, like exporter headers.
    registerSecret(r.value);
    registerSecret(r.default_value);
    return r;
  });

/** contrib extension/headerssetterextension keys. */
export const headersSetterConfigSchema = z.strictObject({
  headers: z.array(headerRule).min(1, 'at least one header rule'),
});

export type HeadersSetterConfig = z.output<typeof headersSetterConfigSchema>;
