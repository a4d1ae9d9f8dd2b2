import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from '../../telemetry/logger.js';
import { redact } from '../../telemetry/secrets.js';
import { classifyNetworkError } from '../helper/classify.js';
import { permanent, retryable, success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import { resultOfItems } from '../helper/item-outcomes.js';
import { flattenRecords, packBySize, type RecordRef } from '../helper/split.js';
import { HttpClient } from '../helper/http-client.js';
import { awaitAcks } from './ack.js';
import { ackUrl, MAX_CONTENT_LENGTH_CEILING, type SplunkHecConfig } from './config.js';
import { isBlank, toHecEvent } from './event.js';
import { judgeReply } from './hec-reply.js';

const gzipAsync = promisify(gzip);
const MAX_RESPONSE_BYTES = 1024 * 1024;

interface Serialized {
  readonly ref: RecordRef;
  readonly json: string;
  readonly bytes: number;
}

export interface SplunkHecSenderOptions {
  config: SplunkHecConfig;
  logger: Logger;
  /** Names the exporter in errors. */
  id?: string;
}

/**
 * One queued request → HEC POSTs of at most `max_content_length_logs` bytes each, in order. An
 * event HEC refuses on its own (codes 6/7/12/13/15, `invalid-event-number`) or that exceeds
 * `max_event_size` is dead-lettered alone and the rest of its POST is sent again (HEC indexes
 * nothing of a refused POST). With `ack.enabled`, a POST counts only once `/services/collector/ack`
 * says its events are indexed; what is not acknowledged within `ack.timeout` is resent.
 */
export class SplunkHecSender implements LogsSender {
  private readonly url: URL;
  private readonly ackUrl: URL;
  private readonly channel: string;
  private readonly headers: Record<string, string>;
  private readonly http: HttpClient;
  private warnedNoAckId = false;

  constructor(private readonly options: SplunkHecSenderOptions) {
    const { config } = options;
    this.url = new URL(config.endpoint);
    this.ackUrl = ackUrl(config.endpoint);
    // The top-level ca_file/cert_file/key_file/insecure_skip_verify are the older spelling of `tls`.
    const { tls, ca_file, cert_file, key_file, insecure_skip_verify } = config;
    this.http = new HttpClient(
      {
        proxy_url: config.proxy_url,
        tls: {
          ...tls,
          insecure: tls?.insecure ?? false,
          include_system_ca_certs_pool: tls?.include_system_ca_certs_pool ?? false,
          insecure_skip_verify: tls?.insecure_skip_verify ?? insecure_skip_verify ?? false,
          ca_file: tls?.ca_file ?? ca_file,
          cert_file: tls?.cert_file ?? cert_file,
          key_file: tls?.key_file ?? key_file,
        },
      },
      `exporters.${options.id ?? 'splunk_hec'}`,
    );
    this.channel = config.ack.channel || randomUUID();
    this.headers = {
      ...config.headers,
      Authorization: `Splunk ${config.token}`,
      'Content-Type': 'application/json',
      __splunk_app_name: config.splunk_app_name,
      ...(config.splunk_app_version ? { __splunk_app_version: config.splunk_app_version } : {}),
      ...(config.ack.enabled ? { 'X-Splunk-Request-Channel': this.channel } : {}),
    };
  }

  /** Reads the TLS files now, so a wrong path fails the gateway's start rather than every send. */
  async start(): Promise<void> {
    await this.http.start();
  }

  async shutdown(): Promise<void> {
    await this.http.close();
  }

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    const { config } = this.options;
    // The Collector's switch to drop logs on purpose; they count as sent there too.
    if (!config.log_data_enabled) return success();
    const refs = flattenRecords(request.logs());
    if (refs.length === 0) return success();
    const events: Serialized[] = [];
    const rejected: { ref: RecordRef; reason: string }[] = [];
    for (const ref of refs) {
      const event = toHecEvent(ref, config);
      if (isBlank(event)) {
        rejected.push({ ref, reason: 'empty body: HEC refuses a blank event (code 13)' });
        continue;
      }
      const json = JSON.stringify(event);
      const bytes = Buffer.byteLength(json);
      if (bytes > config.max_event_size) rejected.push({ ref, reason: `event of ${bytes} bytes above max_event_size (${config.max_event_size})` });
      else events.push({ ref, json, bytes });
    }
    const maxBytes = config.max_content_length_logs || MAX_CONTENT_LENGTH_CEILING;
    const packed = packBySize(events, (e) => e.bytes, { maxBytes, separatorBytes: 1 });
    for (const e of packed.oversize) rejected.push({ ref: e.ref, reason: `event of ${e.bytes} bytes above max_content_length_logs (${maxBytes})` });

    const work = [...packed.batches].reverse();
    const awaiting: { ackId: number; batch: Serialized[] }[] = [];
    const retry: RecordRef[] = [];
    let retryReason = '';
    let retryAfterMs: number | undefined;
    while (work.length > 0) {
      const batch = work.pop()!;
      const verdict = await this.postEvents(batch, signal);
      if (verdict.kind === 'ok') {
        if (verdict.ackId !== undefined) awaiting.push({ ackId: verdict.ackId, batch });
        else if (config.ack.enabled) this.warnNoAckId();
        continue;
      }
      if (verdict.kind === 'too_large' || (verdict.kind === 'bad_event' && verdict.event === undefined)) {
        if (batch.length === 1) rejected.push({ ref: batch[0]!.ref, reason: this.scrub(verdict.reason) });
        else work.push(batch.slice(Math.ceil(batch.length / 2)), batch.slice(0, Math.ceil(batch.length / 2)));
        continue;
      }
      if (verdict.kind === 'bad_event') {
        const at = Math.min(verdict.event!, batch.length - 1);
        rejected.push({ ref: batch[at]!.ref, reason: this.scrub(verdict.reason) });
        const rest = [...batch.slice(0, at), ...batch.slice(at + 1)];
        if (rest.length > 0) work.push(rest);
        continue;
      }
      const notSent = [...batch, ...work.reverse().flat()].map((e) => e.ref);
      work.length = 0;
      if (verdict.kind === 'permanent') {
        if (awaiting.length === 0 && rejected.length + notSent.length === refs.length) return permanent(this.scrub(verdict.reason));
        // Part was accepted already: only what is left goes to the dead-letter store.
        const reason = this.scrub(verdict.reason);
        rejected.push(...notSent.map((ref) => ({ ref, reason })));
        break;
      }
      // Retry this POST and the ones not sent yet; the ones before it were accepted.
      retry.push(...notSent);
      retryReason = this.scrub(verdict.reason);
      retryAfterMs = verdict.retryAfterMs;
    }
    if (awaiting.length > 0) {
      const unacked = await awaitAcks(awaiting.map((a) => a.ackId), {
        url: this.ackUrl,
        client: this.http,
        headers: { Authorization: this.headers.Authorization!, 'X-Splunk-Request-Channel': this.channel, 'Content-Type': 'application/json' },
        pollIntervalMs: config.ack.poll_interval,
        timeoutMs: config.ack.timeout,
        requestTimeoutMs: config.timeout,
        signal,
      });
      if (signal.aborted) return retryable('stopped while waiting for HEC acknowledgments');
      const lost = awaiting.filter((a) => unacked.has(a.ackId));
      if (lost.length > 0) {
        retry.push(...lost.flatMap((a) => a.batch.map((e) => e.ref)));
        retryReason ||= `HEC did not acknowledge ${lost.length} request(s) within ack.timeout (${config.ack.timeout} ms)`;
        this.options.logger.warn('splunk_hec: events not acknowledged in time; resending them', { requests: lost.length });
      }
    }
    return this.finish(refs.length, retry, retryReason, rejected, retryAfterMs);
  }

  private finish(total: number, retry: RecordRef[], retryReason: string, rejected: { ref: RecordRef; reason: string }[], retryAfterMs?: number): SendResult {
    return resultOfItems({ total, retry, retryReason, rejected, retryAfterMs }, { exporter: 'splunk_hec', item: 'event', again: 'resend' }, this.options.logger);
  }

  private async postEvents(batch: Serialized[], signal: AbortSignal) {
    const { config } = this.options;
    const raw = Buffer.from(batch.map((e) => e.json).join('\n'), 'utf8');
    const body = config.disable_compression ? raw : await gzipAsync(raw);
    const headers = config.disable_compression ? this.headers : { ...this.headers, 'Content-Encoding': 'gzip' };
    try {
      const res = await this.http.post(this.url, { headers, body, signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeout)]), maxResponseBytes: MAX_RESPONSE_BYTES });
      return judgeReply(res.status, res.headers, res.body.toString('utf8'));
    } catch (err) {
      const result = classifyNetworkError(err);
      return { kind: 'retry' as const, reason: result.kind === 'success' ? 'network error' : result.reason };
    }
  }

  private warnNoAckId(): void {
    if (this.warnedNoAckId) return;
    this.warnedNoAckId = true;
    this.options.logger.warn('splunk_hec: ack.enabled but HEC returned no ackId (indexer acknowledgment is off for this token); events count as delivered when accepted');
  }

  /** Reasons end up in logs and the dead-letter store: the token must not. */
  private scrub(text: string): string {
    return redact(text).split(this.options.config.token).join('[REDACTED]');
  }
}
