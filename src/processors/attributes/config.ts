import { z } from 'zod';
import { actionSchema, compileActions } from '../helper/actions-config.js';
import { matchPropertiesSchema } from './match-config.js';

export const attributesConfigSchema = z
  .strictObject({
    actions: z.array(actionSchema).min(1, 'list at least one action'),
    include: matchPropertiesSchema.optional(),
    exclude: matchPropertiesSchema.optional(),
  })
  .superRefine((c, ctx) => {
    for (const message of compileActions(c.actions).errors) ctx.addIssue({ code: 'custom', message });
  });

export type AttributesConfig = z.output<typeof attributesConfigSchema>;
