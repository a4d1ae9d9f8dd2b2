import { DEFAULT_RETRY_AFTER_MS, RetryableError } from '../../errors.js';
import type { Logs } from '../../pdata/model.js';
import { countLogRecords } from '../../pdata/model.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import { computeLimits, type Limits, type MemoryLimiterConfig } from './config.js';
import { forcedGc, readUsedMemoryBytes, totalMemoryBytes } from './memory.js';
import { memoryAdmission, type MemoryAdmission, type MemoryGate } from './admission.js';

export interface MemoryLimiterOptions {
  /** Bytes in use now (default: heap used + external; see memory.ts). */
  readMemory?: () => number;
  /** Memory the percentages refer to (default: cgroup limit or host memory). */
  totalMemory?: () => number;
  /** Forces a full collection; default: V8's `gc` (memory.ts), exposed without a node flag. */
  gc?: () => void;
  now?: () => number;
  /** Where receivers reserve memory before reading a body (default: the process's one). */
  admission?: MemoryAdmission;
}

/** Memory use read for admission at most this often: reading it costs a syscall per request otherwise. */
const ADMISSION_SAMPLE_MS = 20;

const MIB = 1024 * 1024;

/**
 * Refuses data while memory use is above the soft limit (limit − spike), so receivers push back
 * on clients instead of the process growing into an OOM kill. Usage is sampled every
 * `check_interval`; above a limit a full collection is forced first (at most every
 * `min_gc_interval_when_soft_limited` / `_hard_limited`), as the Collector does.
 *
 * Unlike the Collector, whose refusal surfaces as HTTP 500 (opentelemetry-collector #9636), the
 * refusal is a throttling RetryableError (MEMORY_LIMIT): HTTP 429 / gRPC RESOURCE_EXHAUSTED with
 * a retry delay, so well-behaved clients back off and resend.
 */
export class MemoryLimiterProcessor implements Component, LogsConsumer, MemoryGate {
  private readonly limits: Limits;
  private readonly readMemory: () => number;
  private readonly gc: (() => void) | undefined;
  private readonly now: () => number;
  private limited = false;
  private lastGcAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private readonly admission: MemoryAdmission;
  private detach: (() => void) | undefined;
  private sampledUsed = 0;
  private sampledAt = -Infinity;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: MemoryLimiterConfig,
    private readonly next: LogsConsumer,
    options: MemoryLimiterOptions = {},
  ) {
    this.limits = computeLimits(config, (options.totalMemory ?? totalMemoryBytes)());
    this.readMemory = options.readMemory ?? readUsedMemoryBytes;
    this.gc = options.gc ?? forcedGc();
    this.now = options.now ?? Date.now;
    this.admission = options.admission ?? memoryAdmission;
  }

  /** Bytes receivers may still reserve before reading bodies: the soft limit minus current use. */
  headroomBytes(): number {
    const now = this.now();
    if (now - this.sampledAt >= ADMISSION_SAMPLE_MS) {
      this.sampledUsed = this.readMemory();
      this.sampledAt = now;
    }
    return this.limits.softBytes - this.sampledUsed;
  }

  async start(_host: Host): Promise<void> {
    this.settings.logger.info('memory limiter started', {
      hard_limit_mib: Math.round(this.limits.hardBytes / MIB),
      soft_limit_mib: Math.round(this.limits.softBytes / MIB),
    });
    this.checkMemory();
    this.detach = this.admission.attach(this);
    this.timer = setInterval(() => this.checkMemory(), this.config.check_interval);
    // The sampling timer must not keep a stopping process alive.
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.detach?.();
    this.detach = undefined;
  }

  /** Whether data is being refused (as of the last check). */
  get isLimited(): boolean {
    return this.limited;
  }

  /** Sample memory and update the refusing state; runs every check_interval. */
  checkMemory(): void {
    let used = this.readMemory();
    this.sampledUsed = used;
    this.sampledAt = this.now();
    if (used > this.limits.hardBytes) used = this.collect(used, this.config.min_gc_interval_when_hard_limited);
    else if (used > this.limits.softBytes) used = this.collect(used, this.config.min_gc_interval_when_soft_limited);
    this.sampledUsed = used;
    const wasLimited = this.limited;
    this.limited = used > this.limits.softBytes;
    if (this.limited !== wasLimited) {
      const attrs = { used_mib: Math.round(used / MIB), soft_limit_mib: Math.round(this.limits.softBytes / MIB) };
      if (this.limited) this.settings.logger.warn('memory usage above the soft limit: refusing data', attrs);
      else this.settings.logger.info('memory usage below the soft limit: accepting data again', attrs);
    }
  }

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    const records = countLogRecords(logs);
    const id = { processor: this.settings.id };
    this.settings.telemetry.processorIncoming.inc(id, records);
    if (this.limited) {
      this.settings.telemetry.processorRefused.inc(id, records);
      throw new RetryableError('memory usage is above the memory_limiter soft limit; retry later', DEFAULT_RETRY_AFTER_MS, 'MEMORY_LIMIT');
    }
    this.settings.telemetry.processorOutgoing.inc(id, records);
    await this.next.consume(logs, signal);
  }

  /** Force a collection if allowed by the interval, and return usage measured afterwards. */
  private collect(used: number, minIntervalMs: number): number {
    if (!this.gc || this.now() - this.lastGcAt < minIntervalMs) return used;
    this.lastGcAt = this.now();
    this.gc();
    return this.readMemory();
  }
}
