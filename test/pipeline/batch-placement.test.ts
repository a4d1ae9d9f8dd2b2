import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { planBatchPlacement } from '../../src/pipeline/batch-placement.js';
import { defaultRegistry } from '../../src/registry.js';

function plan(exporters: string, batch = '{ timeout: 30s, send_batch_size: 500, send_batch_max_size: 2000 }') {
  const text = `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
processors:
  batch: ${batch}
exporters:
${exporters}
extensions:
  file_storage:
    directory: /tmp/unused
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp, otlphttp/b]
`;
  return planBatchPlacement(validateConfig(parseConfigText(text, 'test.yaml'), defaultRegistry));
}

const persistent = (id: string, extra = '') => `  ${id}:
    endpoint: http://127.0.0.1:1
    sending_queue:
      storage: file_storage${extra}
`;
const inMemory = (id: string) => `  ${id}:
    endpoint: http://127.0.0.1:1
`;

describe('batch placement', () => {
  it('moves batching behind the queue when every exporter of the pipeline has a persistent queue, shaped by the processor', () => {
    const p = plan(persistent('otlphttp') + persistent('otlphttp/b'));
    expect([...p.behindQueue]).toEqual(['logs']);
    expect(p.exporterBatch.get('otlphttp')).toEqual({ flush_timeout: 30_000, sizer: 'items', min_size: 500, max_size: 2000 });
    expect(p.exporterBatch.get('otlphttp/b')).toEqual({ flush_timeout: 30_000, sizer: 'items', min_size: 500, max_size: 2000 });
    expect(p.warnings).toEqual([]);
  });

  it("keeps an exporter's own sending_queue.batch", () => {
    const own = `
      batch:
        flush_timeout: 1s
        min_size: 10`;
    const p = plan(persistent('otlphttp', own) + persistent('otlphttp/b'));
    expect(p.behindQueue.has('logs')).toBe(true);
    expect(p.exporterBatch.has('otlphttp')).toBe(false);
    expect(p.exporterBatch.get('otlphttp/b')?.min_size).toBe(500);
  });

  it('keeps the processor in front of in-memory queues and warns when its timeout is above 5 s', () => {
    const p = plan(persistent('otlphttp') + inMemory('otlphttp/b'));
    expect(p.behindQueue.size).toBe(0);
    expect(p.exporterBatch.size).toBe(0);
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toContain('service.pipelines.logs');
    expect(p.warnings[0]).toContain('otlphttp/b');
    expect(p.warnings[0]).toContain('30s');
  });

  it('does not warn about a timeout of 5 s or less', () => {
    expect(plan(inMemory('otlphttp') + inMemory('otlphttp/b'), '{ timeout: 5s }').warnings).toEqual([]);
  });

  it('treats send_batch_size 0 as "only the timeout sends"', () => {
    const p = plan(persistent('otlphttp') + persistent('otlphttp/b'), '{ timeout: 2s, send_batch_size: 0 }');
    expect(p.exporterBatch.get('otlphttp')).toMatchObject({ flush_timeout: 2_000, max_size: 0 });
    expect(p.exporterBatch.get('otlphttp')!.min_size).toBeGreaterThan(1e12);
  });
});
