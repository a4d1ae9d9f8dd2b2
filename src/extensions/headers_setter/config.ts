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
    // Request metadata does not travel through the durable queue yet, so a header taken from the
    // incoming request could not be set reliably: refuse it rather than send without it.
    if (r.from_context !== undefined || r.from_attribute !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'from_context and from_attribute are not supported yet (see docs/compatibility.md); use value' });
    }
    if (r.action !== 'delete' && r.value === undefined && r.default_value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'set value (or default_value)' });
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
