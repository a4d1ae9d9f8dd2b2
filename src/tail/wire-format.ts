import type { TailEvent } from './subscriber.js';

/**
 * The two ways a tail goes over HTTP (README, "Live tail and status page"):
 * - Server-Sent Events (default): `event: record|dropped|end|ready`, `data:` one JSON object.
 * - JSON lines (`format=jsonl`, for curl and jq): a record is its JSON object alone on a line;
 *   the other events are objects with an `event` key (`{"event":"end","code":...}`).
 */
export type TailFormat = 'sse' | 'jsonl';

export const TAIL_CONTENT_TYPES: Record<TailFormat, string> = {
  sse: 'text/event-stream; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

export interface TailReady {
  pipeline: string;
  processor: string | null;
  where: string | null;
  limit: number;
}

export function formatReady(format: TailFormat, ready: TailReady): string {
  return format === 'sse' ? sse('ready', ready) : `${JSON.stringify({ event: 'ready', ...ready })}\n`;
}

export function formatEvent(format: TailFormat, ev: TailEvent): string {
  if (ev.type === 'record') return format === 'sse' ? sse('record', ev.record) : `${JSON.stringify(ev.record)}\n`;
  const { type, ...rest } = ev;
  return format === 'sse' ? sse(type, rest) : `${JSON.stringify({ event: type, ...rest })}\n`;
}

/** JSON never holds a raw newline, so one `data:` line carries the whole object. */
function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
