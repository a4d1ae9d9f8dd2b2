import type { KeyValue, Logs } from '../../pdata/model.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import { eachResourceOnce } from '../helper/each-resource.js';
import { passOn } from '../helper/pass-on.js';
import { putKv } from '../../ottl/paths.js';
import type { RedactionConfig } from './config.js';
import { Redactor, type Outcome } from './redactor.js';

/**
 * Applies the redaction rules to resource attributes, record attributes and record bodies, as
 * the Collector's redaction processor does for logs, and records what it did as attributes when
 * `summary` is `info` (counts) or `debug` (counts and key names).
 */
export class RedactionProcessor implements Component, LogsConsumer {
  private readonly redactor: Redactor;
  private readonly counts: boolean;
  private readonly names: boolean;
  /** Reused for every map: consume is synchronous up to `next`, and summarize copies what it keeps. */
  private readonly out: Outcome = emptyOutcome();

  constructor(
    private readonly settings: CreateSettings,
    config: RedactionConfig,
    private readonly next: LogsConsumer,
  ) {
    this.redactor = new Redactor(config);
    this.names = config.summary === 'debug';
    this.counts = this.names || config.summary === 'info';
  }

  async start(_host: Host): Promise<void> {}
  async shutdown(): Promise<void> {}

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    await passOn(this.settings, this.next, logs, signal, () => this.redact(logs));
  }

  private redact(logs: Logs): void {
    eachResourceOnce(logs, false, (resource) => this.redactAttributes(resource.attributes));
    for (const rl of logs.resourceLogs) {
      for (const sl of rl.scopeLogs) {
        for (const record of sl.logRecords) {
          this.redactAttributes(record.attributes);
          if (record.body) {
            const out = this.reset();
            record.body = this.redactor.redactBody(record.body, out);
            this.summarize(record.attributes, out, 'redaction.body');
          }
        }
      }
    }
  }

  private reset(): Outcome {
    const out = this.out;
    out.redacted.length = 0;
    out.masked.length = 0;
    out.ignored.length = 0;
    return out;
  }

  private redactAttributes(attributes: KeyValue[]): void {
    const out = this.reset();
    this.redactor.redactMap(attributes, out);
    this.summarize(attributes, out, 'redaction');
  }

  /** Zero counts are left out, as in the Collector; key lists are sorted and comma-joined. */
  private summarize(attributes: KeyValue[], out: Outcome, prefix: string): void {
    if (!this.counts || out.redacted.length + out.masked.length + out.ignored.length === 0) return;
    const put = (what: string, keys: string[], withNames: boolean) => {
      if (keys.length === 0) return;
      if (withNames && this.names) putKv(attributes, `${prefix}.${what}.keys`, { stringValue: [...keys].sort().join(',') });
      putKv(attributes, `${prefix}.${what}.count`, { intValue: BigInt(keys.length) });
    };
    put('redacted', out.redacted, true);
    put('masked', out.masked, true);
    put('ignored', out.ignored, false);
  }
}

function emptyOutcome(): Outcome {
  return { redacted: [], masked: [], ignored: [] };
}
