import { describe, expect, it } from 'vitest';
import { FailureLog, failureLogIntervalMs, FAILURE_LOG_INTERVAL_MS, statusOf } from '../../../src/exporters/helper/failure-log.js';
import { createExporter } from '../../../src/exporters/helper/exporter.js';
import { retryable, success } from '../../../src/exporters/helper/sender.js';
import { eventually, fakeClock, helperConfig, hostWith, logsOf, ScriptedSender, settingsFor, RecordingLogger } from './fixtures.js';

describe('failure log', () => {
  it('logs the first failure, then at most one line per interval with the count, then one recovery line', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const logger = new RecordingLogger();
    const log = new FailureLog(logger, 60_000, () => now);
    log.failed('network error: ECONNREFUSED', 5_000);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'warn', attrs: { reason: 'network error: ECONNREFUSED', status: 'ECONNREFUSED', next_retry: '2026-01-01T00:00:05.000Z' } });
    // 179 more failures over three minutes, one a second.
    for (let i = 1; i < 180; i++) {
      now += 1_000;
      log.failed('HTTP 503: down', 1_000);
    }
    const repeats = logger.lines.slice(1);
    expect(repeats).toHaveLength(2);
    expect(repeats.map((l) => l.attrs.failed_attempts_since_last_line)).toEqual([60, 60]);
    expect(repeats[0]!.attrs.status).toBe('503');
    log.succeeded();
    expect(logger.lines).toHaveLength(4);
    expect(logger.lines[3]).toMatchObject({ level: 'info', msg: expect.stringContaining('recovered'), attrs: { failed_attempts: 180, failed_attempts_since_last_line: 59 } });
    log.succeeded();
    expect(logger.lines).toHaveLength(4);
  });

  it('reads the status from the reasons the classifiers write', () => {
    expect(statusOf('HTTP 429: slow down')).toBe('429');
    expect(statusOf('gRPC status 14: unavailable')).toBe('grpc 14');
    expect(statusOf('network error: ECONNRESET')).toBe('ECONNRESET');
    expect(statusOf('network error: connect ECONNREFUSED 127.0.0.1:4318')).toBe('ECONNREFUSED');
    expect(statusOf('network error: UND_ERR_SOCKET')).toBe('UND_ERR_SOCKET');
    expect(statusOf('request timed out')).toBe('timeout');
    expect(statusOf('something else')).toBe('none');
  });

  it('takes its interval from the test-only environment variable, else one minute', () => {
    expect(failureLogIntervalMs({})).toBe(FAILURE_LOG_INTERVAL_MS);
    expect(failureLogIntervalMs({ MAKE_OTEL_GATEWAY_FAILURE_LOG_INTERVAL_MS: '250' })).toBe(250);
    expect(failureLogIntervalMs({ MAKE_OTEL_GATEWAY_FAILURE_LOG_INTERVAL_MS: 'soon' })).toBe(FAILURE_LOG_INTERVAL_MS);
  });

  it('is what an exporter logs while its backend fails and when it recovers', async () => {
    const settings = settingsFor();
    const clock = fakeClock();
    const sender = new ScriptedSender([retryable('HTTP 503: try later'), retryable('HTTP 503: try later'), success()]);
    const exporter = createExporter(settings, helperConfig(), sender, { now: clock.now, sleep: clock.sleep, random: () => 0.5 });
    await exporter.start(hostWith());
    await exporter.consume(logsOf('a'));
    await eventually(() => sender.delivered.length === 1, 'delivery');
    await exporter.shutdown();
    const lines = settings.logger.lines.filter((l) => /sending/.test(l.msg));
    expect(lines.map((l) => l.level)).toEqual(['warn', 'info']);
    expect(lines[0]!.attrs).toMatchObject({ exporter: 'otlphttp/test', status: '503', reason: 'HTTP 503: try later' });
    expect(lines[1]!.attrs).toMatchObject({ failed_attempts: 2 });
  });
});
