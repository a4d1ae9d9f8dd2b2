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
    // contrib's rules: one source is required; token and tokens exclude each other; a filename,
    // when given, wins over both (the file is read at start and re-read on change there).
    const inline = c.token !== undefined || (c.tokens !== undefined && c.tokens.length > 0);
    if (!inline && c.filename === undefined) ctx.addIssue({ code: 'custom', message: 'set one of token, tokens or filename' });
    if (c.token !== undefined && c.tokens !== undefined && c.tokens.length > 0) ctx.addIssue({ code: 'custom', message: 'set either token or tokens, not both' });
  });

export type BearerTokenAuthConfig = z.output<typeof bearerTokenAuthConfigSchema>;
