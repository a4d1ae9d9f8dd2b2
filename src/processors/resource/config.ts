import { z } from 'zod';
import { actionSchema, compileActions, type ActionConfig } from '../helper/actions-config.js';

/**
 * The Collector's resource processor lists its actions under `attributes`; docs/processors.md (and the
 * attributes processor) call the list `actions`. Both are accepted, one at a time.
 */
export const resourceConfigSchema = z
  .strictObject({
    attributes: z.array(actionSchema).optional(),
    actions: z.array(actionSchema).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.attributes && c.actions) {
      ctx.addIssue({ code: 'custom', message: 'set either attributes (the Collector key) or actions, not both' });
      return;
    }
    const list = c.attributes ?? c.actions;
    if (!list || list.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['attributes'], message: 'list at least one action' });
      return;
    }
    for (const message of compileActions(list, c.attributes ? 'attributes' : 'actions').errors) ctx.addIssue({ code: 'custom', message });
  })
  .transform((c) => ({ actions: (c.attributes ?? c.actions) as ActionConfig[] }));

export type ResourceConfig = z.output<typeof resourceConfigSchema>;
