import { z } from 'zod';
import { httpUrl } from '../../config/types.js';
import { httpClientShape } from '../helper/http-client.js';
import { exporterHelperShape, type ExporterHelperConfig } from '../helper/config.js';

/** `exporters.azure_logs_ingestion`: Azure Monitor Logs Ingestion API through a data collection rule. */

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const API_VERSION = '2023-01-01';
/** A token request plus a 1 MB upload; Azure's own SDK allows longer, but the queue retries anyway. */
export const DEFAULT_TIMEOUT_MS = 30_000;

const baseUrl = () => httpUrl().transform((v) => v.replace(/\/+$/, ''));

export const azureLogsIngestionSchema = z.strictObject({
  /** Data collection endpoint (or the DCR's own logs ingestion endpoint): scheme, host, port. */
  endpoint: baseUrl(),
  dcr_immutable_id: z.string().min(1),
  stream_name: z.string().min(1),
  tenant_id: z.string().min(1),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  authority_host: baseUrl().default(DEFAULT_AUTHORITY_HOST),
  compression: z.enum(['gzip', 'none']).default('gzip'),
  ...httpClientShape(),
  ...exporterHelperShape(DEFAULT_TIMEOUT_MS),
});

export type AzureLogsIngestionConfig = z.output<typeof azureLogsIngestionSchema> & ExporterHelperConfig;

export function ingestionUrl(config: Pick<AzureLogsIngestionConfig, 'endpoint' | 'dcr_immutable_id' | 'stream_name'>): string {
  return `${config.endpoint}/dataCollectionRules/${encodeURIComponent(config.dcr_immutable_id)}/streams/${encodeURIComponent(config.stream_name)}?api-version=${API_VERSION}`;
}
