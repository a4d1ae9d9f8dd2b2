import { GatewayError } from '../../errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { defaultCredentialsProvider, resolveRegion } from '../aws/credential-chain.js';
import type { CredentialsProvider } from '../aws/credentials.js';
import { permanent, success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import { flattenRecords, regroupRecords, sendInBatches, type BatchOutcome } from '../helper/split.js';
import { HttpClient } from '../helper/http-client.js';
import { planBatches } from './batches.js';
import { CloudWatchLogsClient } from './client.js';
import { regionOfEndpoint, serviceUrl, type CloudWatchLogsConfig } from './config.js';
import { toEvent, type CwEvent, type StreamKey } from './events.js';
import { classifyAwsError, createStream, type RetentionPending } from './stream-setup.js';

export interface CloudWatchLogsSenderOptions {
  logger: Logger;
  /** Environment the credential chain and region read; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** For tests: credentials from somewhere else than the default chain. */
  credentials?: CredentialsProvider;
  /** Counts records whose message was cut to 256 KiB. */
  onTruncated?: (records: number) => void;
  now?: () => number;
  /** Names the exporter in errors. */
  id?: string;
}

const USER_AGENT = 'make-otel-gateway awscloudwatchlogs';

/**
 * Sends one queued request as PutLogEvents calls (batches.ts says how they are cut). A missing
 * group or stream is created and the call made again. A batch refused with
 * InvalidParameterException is halved and both halves resent, down to the single event CloudWatch
 * refuses: that event is handed back for the dead-letter store alone, as are events outside
 * CloudWatch's time window and those it lists in `rejectedLogEventsInfo`; everything else is
 * delivered. Throttling, service unavailability, 5xx and network errors retry the request (the
 * batches already delivered are sent again: at-least-once).
 */
export class CloudWatchLogsSender implements LogsSender {
  private client: CloudWatchLogsClient | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => number;
  private readonly key: StreamKey;
  private readonly retentionPending: RetentionPending = new Set();
  private readonly http: HttpClient;

  constructor(
    private readonly config: CloudWatchLogsConfig,
    private readonly options: CloudWatchLogsSenderOptions,
  ) {
    this.env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
    this.key = { group: config.log_group_name, stream: config.log_stream_name };
    this.http = new HttpClient(config, `exporters.${options.id ?? 'awscloudwatchlogs'}`);
  }

  async start(): Promise<void> {
    const region = this.config.region ?? regionOfEndpoint(this.config.endpoint) ?? (await resolveRegion(this.env));
    if (!region) {
      throw new GatewayError('COMPONENT_START_FAILED', 'awscloudwatchlogs: no AWS region: set `region`, AWS_REGION, or `region` in the AWS config file profile');
    }
    await this.http.start();
    // local_mode: no instance metadata to ask, as in the Collector's AWS components.
    const env = this.config.local_mode ? { ...this.env, AWS_EC2_METADATA_DISABLED: 'true' } : this.env;
    const credentials = this.options.credentials ?? defaultCredentialsProvider({ env, region, roleArn: this.config.role_arn, externalId: this.config.external_id, fetch: this.http.fetch });
    this.client = new CloudWatchLogsClient(serviceUrl(this.config.endpoint, region, this.env), region, credentials, USER_AGENT, this.http.fetch);
  }

  async shutdown(): Promise<void> {
    await this.http.close();
  }

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    if (!this.client) await this.start();
    const refs = flattenRecords(request.logs());
    if (refs.length === 0) return success();
    const nowMs = this.now();
    const events = refs.map((ref) => toEvent(ref, { rawLog: this.config.raw_log, key: this.key, nowMs }));
    const truncated = events.filter((e) => e.truncated).length;
    if (truncated > 0) {
      this.options.onTruncated?.(truncated);
      this.options.logger.warn('awscloudwatchlogs: log records above 256 KiB were cut to fit (marked "[Truncated...]")', { records: truncated });
    }
    const plan = planBatches(events, nowMs);
    const refused = [...plan.refused];
    for (const { key, batches } of plan.streams) {
      const outcome = await sendInBatches(batches, (batch) => this.put(key, batch, refused, signal));
      if (outcome.failure) return outcome.failure;
      for (const event of outcome.tooLarge) refused.push({ event, reason: outcome.tooLargeReason ?? 'InvalidParameterException' });
    }
    if (refused.length === 0) return success();
    const reasons = [...new Set(refused.map((r) => r.reason))].slice(0, 3).join('; ');
    const message = `${refused.length} log record(s) refused by CloudWatch Logs: ${reasons}`;
    if (refused.length === refs.length) return permanent(message);
    return success(refused.length, message, regroupRecords(refused.map((r) => r.event.ref)));
  }

  /**
   * One PutLogEvents. InvalidParameterException answers `too_large` so sendInBatches halves the
   * batch: CloudWatch refuses a request as a whole for one bad event, and halving finds it in
   * log2(n) more calls instead of resending the good events for ever.
   */
  private async put(key: StreamKey, batch: CwEvent[], refused: { event: CwEvent; reason: string }[], signal: AbortSignal): Promise<BatchOutcome> {
    const payload = { logGroupName: key.group, logStreamName: key.stream, logEvents: batch.map((e) => ({ timestamp: e.timestamp, message: e.message })) };
    let outcome = await this.client!.call('PutLogEvents', payload, signal);
    if (outcome.kind === 'aws_error' && outcome.type === 'ResourceNotFoundException') {
      const setup = await createStream(this.client!, key, { tags: this.config.tags, retentionDays: this.config.log_retention }, this.retentionPending, signal);
      if (setup) return setup;
      this.options.logger.info('awscloudwatchlogs: created log stream', { log_group: key.group, log_stream: key.stream });
      outcome = await this.client!.call('PutLogEvents', payload, signal);
    }
    if (outcome.kind === 'failed') return outcome.result;
    if (outcome.kind === 'aws_error') {
      if (outcome.type === 'InvalidParameterException') return { kind: 'too_large', reason: `PutLogEvents: InvalidParameterException: ${outcome.message}` };
      // Only returned by the old sequence-token protocol: the batch is stored already.
      if (outcome.type === 'DataAlreadyAcceptedException') return success();
      return classifyAwsError(outcome, 'PutLogEvents');
    }
    const rejectedNow = rejectedEvents(batch, outcome.body.rejectedLogEventsInfo);
    refused.push(...rejectedNow);
    return success(rejectedNow.length);
  }
}

interface RejectedInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

/**
 * The events a 200 answer says were not stored. Indexes are into the sorted batch: too old and
 * expired are a prefix up to and including the end index, too new a suffix from the start index
 * (PutLogEvents' RejectedLogEventsInfo).
 */
export function rejectedEvents(batch: readonly CwEvent[], info: unknown): { event: CwEvent; reason: string }[] {
  if (!info || typeof info !== 'object') return [];
  const i = info as RejectedInfo;
  const out: { event: CwEvent; reason: string }[] = [];
  batch.forEach((event, index) => {
    if (typeof i.tooOldLogEventEndIndex === 'number' && index <= i.tooOldLogEventEndIndex) out.push({ event, reason: 'rejected by CloudWatch as too old' });
    else if (typeof i.expiredLogEventEndIndex === 'number' && index <= i.expiredLogEventEndIndex) out.push({ event, reason: "rejected by CloudWatch as older than the log group's retention" });
    else if (typeof i.tooNewLogEventStartIndex === 'number' && index >= i.tooNewLogEventStartIndex) out.push({ event, reason: 'rejected by CloudWatch as too far in the future' });
  });
  return out;
}
