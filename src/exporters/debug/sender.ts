import type { CreateSettings } from '../../pipeline/component.js';
import { success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import type { DebugConfig } from './config.js';
import { formatSignal } from './signal-format.js';
import { formatBasic, formatDetailed, formatNormal } from './format.js';

export interface TextSink {
  write(text: string): unknown;
}

/** The sampler's window: the Collector's logger samples per second. */
const SAMPLING_WINDOW_MS = 1_000;

/**
 * Writes each request to stderr (or an injected sink) at the configured verbosity. Sampling
 * follows the Collector: in each second the first `sampling_initial` requests are written, then
 * every `sampling_thereafter`-th. A skipped request still succeeds: debug output is not delivery.
 */
export class DebugSender implements LogsSender {
  private windowStart = 0;
  private seenInWindow = 0;

  constructor(
    private readonly settings: Pick<CreateSettings, 'id'>,
    private readonly config: DebugConfig,
    private readonly out: TextSink = process.stderr,
    private readonly now: () => number = Date.now,
  ) {}

  async send(request: ExportRequest, _signal: AbortSignal): Promise<SendResult> {
    if (!this.sampled()) return success();
    if (request.signal) {
      this.out.write(formatSignal(this.settings.id, request.signal, request.bytes(), request.records, this.config.verbosity));
      return success();
    }
    const logs = request.logs();
    let text = formatBasic(this.settings.id, logs);
    if (this.config.verbosity === 'normal') text += formatNormal(logs);
    else if (this.config.verbosity === 'detailed') text += formatDetailed(logs);
    this.out.write(text);
    return success();
  }

  private sampled(): boolean {
    const t = this.now();
    if (t - this.windowStart >= SAMPLING_WINDOW_MS) {
      this.windowStart = t;
      this.seenInWindow = 0;
    }
    const n = ++this.seenInWindow;
    if (n <= this.config.sampling_initial) return true;
    return (n - this.config.sampling_initial) % this.config.sampling_thereafter === 0;
  }
}
