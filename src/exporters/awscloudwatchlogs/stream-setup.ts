import type { SendResult } from '../helper/sender.js';
import type { CallOutcome, CloudWatchLogsClient } from './client.js';
import type { StreamKey } from './events.js';

/**
 * Creates what PutLogEvents found missing, as the Collector contrib exporter does: the stream,
 * and when the group is missing too, the group (with `tags`), its retention policy
 * (`log_retention`, only for a group created here), then the stream. "Already exists" counts as
 * done: another gateway replica may have created it a moment earlier.
 */

export interface StreamSetupOptions {
  tags?: Record<string, string>;
  /** Days, 0 = never expire (no PutRetentionPolicy call). */
  retentionDays: number;
}

type Failure = Extract<SendResult, { kind: 'retryable' | 'permanent' }>;

/** AWS error types worth retrying later. */
export const RETRYABLE_TYPES = new Set(['ThrottlingException', 'ServiceUnavailableException', 'OperationAbortedException', 'InternalFailure', 'ServiceUnavailable', 'RequestTimeout', 'RequestTimeoutException']);

/** An AWS error as a SendResult: the retryable types, 429 and 5xx retry; everything else is permanent. */
export function classifyAwsError(o: Extract<CallOutcome, { kind: 'aws_error' }>, operation: string): Failure {
  const reason = `${operation}: ${o.type} (HTTP ${o.status})${o.message ? `: ${o.message}` : ''}`;
  if (RETRYABLE_TYPES.has(o.type) || o.status === 429 || o.status >= 500) return { kind: 'retryable', reason, retryAfterMs: o.retryAfterMs };
  return { kind: 'permanent', reason };
}

function failureOf(o: CallOutcome, operation: string): Failure | undefined {
  if (o.kind === 'ok') return undefined;
  if (o.kind === 'failed') return o.result;
  if (o.type === 'ResourceAlreadyExistsException') return undefined;
  return classifyAwsError(o, operation);
}

/**
 * Groups this exporter created whose retention policy is not set yet: a PutRetentionPolicy that
 * failed is tried again before the next CreateLogStream, instead of being lost because the group
 * now exists.
 */
export type RetentionPending = Set<string>;

/** Resolves undefined when the stream exists now, else how the attempt failed. */
export async function createStream(client: CloudWatchLogsClient, key: StreamKey, options: StreamSetupOptions, pending: RetentionPending, signal: AbortSignal): Promise<Failure | undefined> {
  const stream = { logGroupName: key.group, logStreamName: key.stream };
  if (!pending.has(key.group)) {
    const first = await client.call('CreateLogStream', stream, signal);
    if (!(first.kind === 'aws_error' && first.type === 'ResourceNotFoundException')) return failureOf(first, 'CreateLogStream');
    const group: Record<string, unknown> = { logGroupName: key.group };
    if (options.tags && Object.keys(options.tags).length > 0) group.tags = options.tags;
    const created = await client.call('CreateLogGroup', group, signal);
    const groupFailure = failureOf(created, 'CreateLogGroup');
    if (groupFailure) return groupFailure;
    if (created.kind === 'ok' && options.retentionDays > 0) pending.add(key.group);
  }
  if (pending.has(key.group)) {
    const retention = await client.call('PutRetentionPolicy', { logGroupName: key.group, retentionInDays: options.retentionDays }, signal);
    const retentionFailure = failureOf(retention, 'PutRetentionPolicy');
    if (retentionFailure) return retentionFailure;
    pending.delete(key.group);
  }
  return failureOf(await client.call('CreateLogStream', stream, signal), 'CreateLogStream');
}
