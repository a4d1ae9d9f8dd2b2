import { z } from 'zod';

export const DEFAULT_SCHEME = 'Bearer';
export const DEFAULT_HEADER = 'Authorization';

/** contrib extension/bearertokenauthextension keys. */
export const bearerTokenAuthConfigSchema = z
  .strictObject({
    scheme: z.string().default(DEFAULT_SCHEME),
    header: z.string().min(1).default(DEFAULT_HEADER),
    token: z.string().min(1).optional(),
    tokens: z.array(z.string().min(1)).optional(),
    /** A file holding the token (one per line when several). Read at start. */
    filename: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    const set = [c.token !== undefined, c.tokens !== undefined && c.tokens.length > 0, c.filename !== undefined].filter(Boolean).length;
    if (set === 0) ctx.addIssue({ code: 'custom', message: 'set one of token, tokens or filename' });
    if (set > 1) ctx.addIssue({ code: 'custom', message: 'set only one of token, tokens or filename' });
  });

export type BearerTokenAuthConfig = z.output<typeof bearerTokenAuthConfigSchema>;
