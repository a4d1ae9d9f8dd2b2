import type { LogsConsumer } from '../pipeline/component.js';
import {
  DEFAULT_TAIL_BUFFER_RECORDS,
  DEFAULT_TAIL_RATE_PER_SECOND,
  TailSubscriber,
  type SubscriberLimits,
} from './subscriber.js';
import { tapped, TapPoint } from './tap-point.js';
import type { TailMetrics } from './tail-metrics.js';
import { compileWhere } from './where.js';

/** A tail request the hub cannot serve: the API answers with `status`. */
export class TailRequestError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
    /** 1-based column of a bad `where`. */
    readonly column?: number,
  ) {
    super(message);
    this.name = 'TailRequestError';
  }
}

export interface TailRequest {
  /** Pipeline id; defaults to `logs`, or to the only pipeline there is. */
  pipeline?: string;
  /** Tap the output of this processor of the pipeline instead of the pipeline's head. */
  processor?: string;
  /** OTTL condition in the log context. */
  where?: string;
  /** End after this many records (0: no limit). */
  limit?: number;
}

/**
 * Every tap point of a running gateway and their subscribers (docs/architecture.md §3: records as
 * they leave the receivers, or after a chosen processor). The pipeline service asks the hub to
 * wrap its consumers while it builds the graph; the admin API subscribes.
 */
export class TailHub {
  private readonly points = new Map<string, TapPoint>();
  private readonly pipelines: string[] = [];
  private closed = false;

  constructor(
    private readonly limits: SubscriberLimits = { ratePerSecond: DEFAULT_TAIL_RATE_PER_SECOND, bufferRecords: DEFAULT_TAIL_BUFFER_RECORDS },
    private metrics?: TailMetrics,
  ) {}

  /** Metrics are registered once the gateway's telemetry exists. */
  setMetrics(metrics: TailMetrics): void {
    this.metrics = metrics;
  }

  /** Wraps a pipeline's head (processor undefined) or a processor's output with a tap. */
  tap(pipeline: string, processor: string | undefined, next: LogsConsumer): LogsConsumer {
    if (!this.pipelines.includes(pipeline)) this.pipelines.push(pipeline);
    const point = new TapPoint(pipeline, processor);
    this.points.set(key(pipeline, processor), point);
    return tapped(point, next);
  }

  /** Pipelines that can be tailed, in config order. */
  get pipelineIds(): readonly string[] {
    return this.pipelines;
  }

  /** Validates the request and attaches a subscriber; throws `TailRequestError` (400 / 404). */
  subscribe(req: TailRequest): TailSubscriber {
    const pipeline = this.pipelineOf(req.pipeline);
    if (!this.pipelines.includes(pipeline)) {
      throw new TailRequestError(404, `pipeline "${pipeline}" is not configured (pipelines: ${this.pipelines.join(', ')})`);
    }
    const point = this.points.get(key(pipeline, req.processor || undefined));
    if (point === undefined) {
      throw new TailRequestError(404, `processor "${req.processor}" is not in pipeline "${pipeline}"`);
    }
    const limit = req.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new TailRequestError(400, `limit: expected a whole number >= 0, got ${req.limit}`);
    let where;
    if (req.where !== undefined && req.where.trim() !== '') {
      try {
        where = compileWhere(req.where);
      } catch (err) {
        throw new TailRequestError(400, (err as Error).message, (err as { column?: number }).column);
      }
    }
    if (this.closed) throw new TailRequestError(404, 'the gateway is shutting down');
    const labels = { pipeline };
    const sub = new TailSubscriber({
      ...this.limits,
      pipeline,
      processor: point.processor,
      where,
      limit,
      onDetach: (s) => {
        if (point.subscribers.delete(s)) this.metrics?.subscribers.dec(labels);
        if (s.dropped > 0) this.metrics?.dropped.inc(labels, s.dropped);
      },
      onCutOff: () => this.metrics?.cutOff.inc({ ...labels, reason: 'slow_subscriber' }),
    });
    point.subscribers.add(sub);
    this.metrics?.subscribers.inc(labels);
    return sub;
  }

  /** Ends every tail (gateway shutdown); new subscriptions are refused. */
  shutdown(): void {
    this.closed = true;
    for (const p of this.points.values()) for (const s of [...p.subscribers]) s.end('shutdown', 'the gateway is shutting down');
  }

  private pipelineOf(requested: string | undefined): string {
    if (requested === undefined || requested === '') {
      if (this.pipelines.includes('logs') || this.pipelines.length !== 1) return 'logs';
      return this.pipelines[0]!;
    }
    const signal = requested.split('/')[0];
    if (signal !== 'logs') {
      throw new TailRequestError(400, `pipeline "${requested}": the live tail shows logs pipelines only ("logs" or "logs/<name>")`);
    }
    return requested;
  }
}

function key(pipeline: string, processor: string | undefined): string {
  return processor === undefined ? pipeline : `${pipeline}\u0000${processor}`;
}
