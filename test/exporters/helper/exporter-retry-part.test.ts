import { afterEach, describe, expect, it } from 'vitest';
import { createExporter } from '../../../src/exporters/helper/exporter.js';
import { retryPart, success, type ExportRequest } from '../../../src/exporters/helper/sender.js';
import { bodiesOf, eventually, helperConfig, hostWith, logsOf, metric, ScriptedSender, settingsFor } from './fixtures.js';

/**
 * `retryPart`: a sender that delivered part of a request (per-item answers, e.g. Elasticsearch
 * `_bulk`) hands back just the records to retry, and those it can never deliver; the next attempt
 * carries only the former, the latter are dead-lettered once the request ends.
 */

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('retrying part of a request', () => {
  it('sends only the records to retry again, and dead-letters the refused ones when the rest is delivered', async () => {
    const first = (request: ExportRequest) => {
      expect(bodiesOf(request)).toEqual(['a', 'b', 'poison', 'c']);
      return retryPart('2 items throttled', logsOf('b', 'c'), { logs: logsOf('poison'), message: 'mapper_parsing_exception' });
    };
    const sender = new ScriptedSender([first], success());
    const settings = settingsFor();
    const exporter = createExporter(settings, helperConfig({ retry_on_failure: { initial_interval: 1, max_interval: 1 } }), sender);
    await exporter.start(hostWith());
    cleanup.push(() => exporter.shutdown());
    await exporter.consume(logsOf('a', 'b', 'poison', 'c'));
    const { telemetry } = settings;
    await eventually(async () => (await metric(telemetry.exporterSent, { exporter: 'otlphttp/test' })) === 4, 'the request acknowledged');
    expect(sender.calls.map((c) => c.bodies)).toEqual([['a', 'b', 'poison', 'c'], ['b', 'c']]);
    expect(await metric(telemetry.deadLettered, { exporter: 'otlphttp/test', reason: 'permanent' })).toBe(1);
    expect(await metric(telemetry.exporterRetries, { exporter: 'otlphttp/test' })).toBe(1);
  });
});
