import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filelogReceiverSchema } from '../../../src/receivers/filelog/config.js';
import { SeverityNumber } from '../../../src/pdata/model.js';
import { removeTempDirs, Sink, startFilelog, tempDir, until } from './harness.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  removeTempDirs();
});

async function read(content: string, raw: Record<string, unknown>, expected: number, name = 'app.log') {
  const dir = tempDir();
  const path = join(dir, name);
  writeFileSync(path, content);
  const sink = new Sink();
  const h = await startFilelog({ include: [path], start_at: 'beginning', ...raw }, sink);
  stops.push(() => h.receiver.shutdown());
  await until(() => sink.records().length === expected, `${expected} records`);
  return { records: sink.records(), logger: h.logger, path };
}

describe('filelog operators', () => {
  it('json_parser puts the object in attributes and takes timestamp and severity from it', async () => {
    const { records } = await read('{"msg":"hi","level":"warn","ts":"2024-03-04T05:06:07.250Z","n":3}\n', {
      operators: [{ type: 'json_parser', timestamp: { parse_from: 'attributes.ts', layout: '%Y-%m-%dT%H:%M:%S.%LZ', location: 'UTC' }, severity: { parse_from: 'attributes.level' } }],
    }, 1);
    const r = records[0]!;
    expect(r.attributes).toMatchObject({ msg: 'hi', level: 'warn', n: 3n, 'log.file.name': 'app.log' });
    expect(r.record.timeUnixNano).toBe(BigInt(Date.UTC(2024, 2, 4, 5, 6, 7, 250)) * 1_000_000n);
    expect(r.record.severityNumber).toBe(SeverityNumber.WARN);
    expect(r.record.severityText).toBe('warn');
    expect(r.record.body?.stringValue).toBe('{"msg":"hi","level":"warn","ts":"2024-03-04T05:06:07.250Z","n":3}');
  });

  it('json_parser with on_error send keeps a line that is not JSON and logs why; drop_quiet drops it', async () => {
    const sent = await read('not json\n{"a":1}\n', { operators: [{ type: 'json_parser' }] }, 2);
    expect(sent.records.map((r) => r.record.body?.stringValue)).toEqual(['not json', '{"a":1}']);
    expect(sent.logger.lines.some((l) => l.level === 'warn' && l.msg.includes('operator failed'))).toBe(true);
    const dropped = await read('not json\n{"a":1}\n', { operators: [{ type: 'json_parser', on_error: 'drop_quiet' }] }, 1);
    expect(dropped.records[0]!.attributes.a).toBe(1n);
  });

  it('json_parser sends a line nested deeper than OTLP allows (64) unparsed, so it cannot take its batch to the dead-letter store', async () => {
    const deep = `{"v": ${'['.repeat(70)}1${']'.repeat(70)}}`;
    const atLimit = `{"v": ${'['.repeat(63)}1${']'.repeat(63)}}`;
    const sent = await read(`${deep}\n${atLimit}\n`, { operators: [{ type: 'json_parser' }] }, 2);
    expect(sent.records.map((r) => r.record.body?.stringValue)).toEqual([deep, atLimit]);
    expect(sent.records[0]!.attributes.v).toBeUndefined();
    expect(sent.records[1]!.attributes.v).toBeDefined();
    expect(sent.logger.lines.some((l) => l.level === 'warn' && String(l.attrs.error).includes('nests deeper than 64'))).toBe(true);
  });

  it('regex_parser takes Go named groups (?P<name>) and parses a gotime timestamp into parse_to', async () => {
    const { records } = await read('2024-01-02 03:04:05 ERROR disk full\n', {
      operators: [{ type: 'regex_parser', regex: '^(?P<time>\\S+ \\S+) (?P<sev>\\w+) (?P<msg>.*)$', parse_to: 'attributes.parsed', timestamp: { parse_from: 'attributes.parsed.time', layout_type: 'gotime', layout: '2006-01-02 15:04:05', location: 'UTC' }, severity: { parse_from: 'attributes.parsed.sev' } }],
    }, 1);
    const r = records[0]!;
    expect(r.attributes.parsed).toEqual({ time: '2024-01-02 03:04:05', sev: 'ERROR', msg: 'disk full' });
    expect(r.record.timeUnixNano).toBe(BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n);
    expect(r.record.severityNumber).toBe(SeverityNumber.ERROR);
  });

  it('container reads docker json-file lines: body, log.iostream, time', async () => {
    const { records } = await read('{"log":"hello\\n","stream":"stderr","time":"2024-05-06T07:08:09.123456789Z"}\n', { operators: [{ type: 'container' }] }, 1);
    expect(records[0]!.record.body?.stringValue).toBe('hello');
    expect(records[0]!.attributes['log.iostream']).toBe('stderr');
    expect(records[0]!.record.timeUnixNano).toBe(BigInt(Date.UTC(2024, 4, 6, 7, 8, 9)) * 1_000_000n + 123456789n);
  });

  it('container joins CRI partial lines and takes Kubernetes metadata from the pod log path', async () => {
    const dir = tempDir();
    const podDir = join(dir, 'var/log/pods/shop_web-7d9_0f1e2d3c-uid/nginx');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(podDir, { recursive: true });
    const path = join(podDir, '2.log');
    writeFileSync(path, '2024-05-06T07:08:09.5Z stdout P part one \n2024-05-06T07:08:09.6Z stdout F and two\n2024-05-06T07:08:10Z stderr F single\n');
    const sink = new Sink();
    const h = await startFilelog({ include: [path], start_at: 'beginning', include_file_path: true, operators: [{ type: 'container', format: 'containerd' }], preserve_trailing_whitespaces: true }, sink);
    stops.push(() => h.receiver.shutdown());
    await until(() => sink.records().length === 2, 'two records');
    const [a, b] = sink.records();
    expect(a!.record.body?.stringValue).toBe('part one and two');
    expect(b!.attributes['log.iostream']).toBe('stderr');
    expect(a!.resource).toEqual({ 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'web-7d9', 'k8s.pod.uid': '0f1e2d3c-uid', 'k8s.container.name': 'nginx', 'k8s.container.restart_count': '2' });
  });

  it('refuses an operator type it does not have, and operator routing (output), with messages naming them', () => {
    const bad = filelogReceiverSchema.safeParse({ include: ['/x'], operators: [{ type: 'move', from: 'body', to: 'attributes.x' }] });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('unsupported operator type: expected json_parser, regex_parser, container, time_parser or severity_parser');
    const routed = filelogReceiverSchema.safeParse({ include: ['/x'], operators: [{ type: 'json_parser', output: 'next' }] });
    expect(JSON.stringify(routed.error?.issues)).toContain('routing between operators (output) is not supported');
    const noMultiline = filelogReceiverSchema.safeParse({ include: ['/x'], multiline: { line_start_pattern: '(' } });
    expect(JSON.stringify(noMultiline.error?.issues)).toContain('not a valid regular expression');
  });
});
