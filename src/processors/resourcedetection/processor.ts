import type { Logs } from '../../pdata/model.js';
import type { Component, CreateSettings, LogsConsumer } from '../../pipeline/component.js';
import { eachResourceOnce } from '../helper/each-resource.js';
import type { ResourceDetectionConfig } from './config.js';
import { detectEnv, detectSystem, type Detected } from './detectors.js';

/**
 * `resourcedetection`: detects once at start (bounded by `timeout`; a detector that fails or is too
 * slow adds nothing and says so), then puts the attributes on every resource: over existing ones
 * with `override: true`, only where missing otherwise. Earlier detectors in the list win.
 */
export class ResourceDetectionProcessor implements Component, LogsConsumer {
  private detected: Detected = {};

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: ResourceDetectionConfig,
    private readonly next: LogsConsumer,
  ) {}

  async start(): Promise<void> {
    const results: Detected[] = [];
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.config.timeout)));
    for (const d of this.config.detectors) {
      const run = (async () => (d === 'env' ? detectEnv() : detectSystem(this.config.system)))();
      const r = await Promise.race([run, timedOut]).catch((err: unknown) => {
        this.settings.logger.warn('resourcedetection: detector failed; its attributes are not added', { detector: d, error: (err as Error).message });
        return {};
      });
      if (r === 'timeout') {
        this.settings.logger.warn('resourcedetection: detection timed out; later detectors are skipped', { detector: d, timeout_ms: this.config.timeout });
        break;
      }
      results.push(r);
    }
    clearTimeout(timer);
    // Earlier detectors take precedence, as in contrib.
    this.detected = Object.assign({}, ...results.reverse());
    this.settings.logger.info('resourcedetection: detected resource attributes', { keys: Object.keys(this.detected).join(',') });
  }

  async shutdown(): Promise<void> {}

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    eachResourceOnce(logs, true, ({ attributes: attrs }) => {
      for (const [key, value] of Object.entries(this.detected)) {
        const i = attrs.findIndex((kv) => kv.key === key);
        if (i === -1) attrs.push({ key, value: { stringValue: value } });
        else if (this.config.override) attrs[i] = { key, value: { stringValue: value } };
      }
    });
    await this.next.consume(logs, signal);
  }
}
