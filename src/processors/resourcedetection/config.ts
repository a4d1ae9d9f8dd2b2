import { z } from 'zod';
import { duration } from '../../config/types.js';

/**
 * `resourcedetection` keys, the contrib processor's (processor/resourcedetectionprocessor), with
 * the `env` and `system` detectors. Other detectors (ec2, gcp, docker, k8s...) are refused by name.
 */
export const SUPPORTED_DETECTORS = ['env', 'system'] as const;
/** Contrib's default: how long all detectors together may take at start. */
export const DEFAULT_TIMEOUT_MS = 2_000;

const attributeToggle = z.strictObject({ enabled: z.boolean() });

export const resourceDetectionSchema = z.strictObject({
  detectors: z.array(
    z.string().refine((d) => (SUPPORTED_DETECTORS as readonly string[]).includes(d), {
      error: (issue) => `detector ${JSON.stringify(issue.input)} is not supported: expected env or system (see docs/log-inputs.md)`,
    }),
  ).default(['env']),
  /** true (contrib's default): detected values replace attributes the data already has. */
  override: z.boolean().default(true),
  timeout: duration().default(DEFAULT_TIMEOUT_MS),
  system: z
    .strictObject({
      hostname_sources: z.array(z.enum(['dns', 'os', 'cname', 'lookup'])).default(['dns', 'os']),
      resource_attributes: z.record(z.string(), attributeToggle).default({}),
    })
    .prefault({}),
});

export type ResourceDetectionConfig = z.output<typeof resourceDetectionSchema>;
