import { SeverityNumber, newLogRecord, type KeyValue, type LogRecord } from '../../pdata/model.js';
import { attr } from '../../pdata/values.js';
import type { ScenarioAnomaly } from './detector.js';

export const ANOMALY_EVENT_NAME = 'make.anomaly';

const WHAT: Record<ScenarioAnomaly['kind'], string> = {
  error_rate_spike: 'error rate spike',
  duration_regression: 'duration regression',
  operations_spike: 'operations per run spike',
  stopped: 'stopped running on its usual schedule',
};

function fmt(a: ScenarioAnomaly, v: number): string {
  if (a.metric === 'error_rate') return `${(v * 100).toFixed(1)}%`;
  if (a.metric === 'duration_ms') return `${Math.round(v)} ms`;
  return String(Math.round(v * 10) / 10);
}

/** One anomaly → one log record: what deviated, the baseline, the observed value, the window. */
export function anomalyToLogRecord(a: ScenarioAnomaly, scenarioName: string | undefined, nowMs: number): LogRecord {
  const who = scenarioName ? `Scenario "${scenarioName}" (${a.scenarioId})` : `Scenario ${a.scenarioId}`;
  const body =
    a.kind === 'stopped'
      ? `${who} ${WHAT.stopped}: no run since ${new Date(a.windowStartMs).toISOString()}, ${a.baseline} expected hourly slots missed`
      : `${who}: ${WHAT[a.kind]}: ${a.metric} ${fmt(a, a.observed)} in ${new Date(a.windowStartMs).toISOString()}..${new Date(a.windowEndMs).toISOString()}, usual ${fmt(a, a.baseline)} (threshold ${fmt(a, a.threshold)}, ${a.runs} runs)`;
  const attributes: KeyValue[] = [
    attr('make.anomaly.kind', a.kind),
    attr('make.anomaly.metric', a.metric),
    { key: 'make.anomaly.observed', value: { doubleValue: a.observed } },
    { key: 'make.anomaly.baseline', value: { doubleValue: a.baseline } },
    { key: 'make.anomaly.threshold', value: { doubleValue: a.threshold } },
    attr('make.anomaly.window_start', new Date(a.windowStartMs).toISOString()),
    attr('make.anomaly.window_end', new Date(a.windowEndMs).toISOString()),
    attr('make.anomaly.runs', a.runs),
  ];
  const error = a.severity === 'ERROR';
  return newLogRecord({
    timeUnixNano: BigInt(Math.trunc(a.windowEndMs)) * 1_000_000n,
    observedTimeUnixNano: BigInt(Math.trunc(nowMs)) * 1_000_000n,
    severityNumber: error ? SeverityNumber.ERROR : SeverityNumber.WARN,
    severityText: error ? 'ERROR' : 'WARN',
    body: { stringValue: body },
    attributes,
    eventName: ANOMALY_EVENT_NAME,
  });
}
