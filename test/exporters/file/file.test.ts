import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decompress as zstdDecompress } from 'fzstd';
import { fileExporterFactory, FileSender } from '../../../src/exporters/file/factory.js';
import { backupPath } from '../../../src/exporters/file/rotation.js';
import type { ExportRequest } from '../../../src/exporters/helper/sender.js';
import { logsFromJson } from '../../../src/pdata/json.js';
import type { Logs } from '../../../src/pdata/model.js';
import { countLogRecords, newLogRecord } from '../../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../../src/pdata/proto.js';
import { attr } from '../../../src/pdata/values.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'file-exporter-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function logsOf(body: string, padding = 0): Logs {
  return {
    resourceLogs: [
      {
        resource: { attributes: [attr('service.name', 'svc')], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ timeUnixNano: 1_700_000_000_000_000_001n, body: { stringValue: body + 'x'.repeat(padding) }, attributes: [attr('n', 9_007_199_254_740_993n)] })] }],
      },
    ],
  };
}

const request = (l: Logs): ExportRequest => ({ records: countLogRecords(l), logs: () => l, bytes: () => encodeLogs(l) });
const signal = () => new AbortController().signal;

async function started(raw: Record<string, unknown>, now?: () => number) {
  const sender = new FileSender(fileExporterFactory.schema.parse(raw), silentLogger, now);
  await sender.start();
  return sender;
}

/** Split length-prefixed framing: 4-byte big-endian length, then that many bytes. */
function unframe(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; ) {
    const len = buf.readUInt32BE(off);
    out.push(buf.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

describe('file exporter', () => {
  it('writes OTLP/JSON, one request per line, that decodes back', async () => {
    const file = path.join(dir, 'out.json');
    const sender = await started({ path: file });
    expect((await sender.send(request(logsOf('one')), signal())).kind).toBe('success');
    expect((await sender.send(request(logsOf('two')), signal())).kind).toBe('success');
    await sender.shutdown();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(logsFromJson(lines[1])).toEqual(logsOf('two'));
  });

  it('writes proto as 4-byte big-endian length-prefixed messages that decode back', async () => {
    const file = path.join(dir, 'out.pb');
    const sender = await started({ path: file, format: 'proto' });
    await sender.send(request(logsOf('a')), signal());
    await sender.send(request(logsOf('b')), signal());
    await sender.shutdown();
    const messages = unframe(readFileSync(file));
    expect(messages.map((m) => decodeLogs(m))).toEqual([logsOf('a'), logsOf('b')]);
  });

  it('truncates an existing file at start unless append is set', async () => {
    const file = path.join(dir, 'out.json');
    writeFileSync(file, 'old\n');
    await (await started({ path: file })).shutdown();
    expect(readFileSync(file, 'utf8')).toBe('');
    writeFileSync(file, 'old\n');
    const s = await started({ path: file, append: true });
    await s.send(request(logsOf('new')), signal());
    await s.shutdown();
    expect(readFileSync(file, 'utf8').startsWith('old\n')).toBe(true);
  });

  it('rotates by size into timestamped backups and prunes beyond max_backups', async () => {
    const file = path.join(dir, 'data.json');
    let now = Date.UTC(2024, 0, 1, 0, 0, 0, 0);
    const sender = await started({ path: file, rotation: { max_megabytes: 1, max_backups: 2 } }, () => (now += 1000));
    const big = 600 * 1024; // two entries do not fit in 1 MiB, so every entry after the first rotates
    for (const tag of ['r0', 'r1', 'r2', 'r3']) expect((await sender.send(request(logsOf(tag, big)), signal())).kind).toBe('success');
    await sender.shutdown();
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(3); // current + 2 backups; the oldest backup was pruned
    expect(names).toContain('data.json');
    for (const n of names.filter((x) => x !== 'data.json')) expect(n).toMatch(/^data-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}\.json$/);
    const bodyOf = (name: string) => logsFromJson(readFileSync(path.join(dir, name), 'utf8').trim()).resourceLogs[0].scopeLogs[0].logRecords[0].body?.stringValue?.slice(0, 2);
    expect(bodyOf('data.json')).toBe('r3');
    expect(names.filter((x) => x !== 'data.json').map(bodyOf).sort()).toEqual(['r1', 'r2']);
  });

  it('names backups like the Collector (lumberjack): timestamp before the extension, UTC by default', () => {
    expect(backupPath('/x/data.json', new Date(Date.UTC(2022, 8, 14, 5, 2, 14, 173)), false)).toBe('/x/data-2022-09-14T05-02-14.173.json');
    expect(backupPath('/x/data', new Date(Date.UTC(2022, 8, 14, 5, 2, 14, 173)), false)).toBe('/x/data-2022-09-14T05-02-14.173');
  });

  it('reports a write failure as retryable so the queue keeps the request', async () => {
    const sub = path.join(dir, 'gone');
    const sender = await started({ path: path.join(sub, 'x.json'), create_directory: true });
    await (sender as unknown as { file: { close(): Promise<void> } }).file.close(); // the descriptor goes bad under the sender
    const result = await sender.send(request(logsOf('x')), signal());
    expect(result.kind).toBe('retryable');
  });

  it('writes to /dev/null and succeeds: a device has nothing to sync', async () => {
    const sender = await started({ path: '/dev/null' });
    expect(await sender.send(request(logsOf('gone')), signal())).toMatchObject({ kind: 'success' });
    await sender.shutdown();
  });

  it('writes to a pipe (as to /dev/stdout under a process manager) and succeeds', async () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const read: Buffer[] = [];
    const reader = createReadStream(fifo);
    reader.on('data', (chunk) => read.push(chunk as Buffer));
    const closed = new Promise<void>((r) => reader.on('close', () => r()));
    const sender = await started({ path: fifo, append: true });
    expect(await sender.send(request(logsOf('through the pipe')), signal())).toMatchObject({ kind: 'success' });
    await sender.shutdown();
    await closed;
    expect(logsFromJson(Buffer.concat(read).toString('utf8').trimEnd())).toEqual(logsOf('through the pipe'));
  });

  it('fails to start with a clear error when the file cannot be opened', async () => {
    const sender = new FileSender(fileExporterFactory.schema.parse({ path: path.join(dir, 'missing', 'x.json') }), silentLogger);
    await expect(sender.start()).rejects.toMatchObject({ code: 'COMPONENT_START_FAILED' });
  });

  it('validates config like the Collector', () => {
    const issues = (c: unknown) => (fileExporterFactory.schema.safeParse(c).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(issues({})).toContain('path');
    expect(issues({ path: 'x', append: true, rotation: {} })).toContain('append and rotation');
    expect(issues({ path: 'x', format: 'xml' })).toContain('format');
    expect(fileExporterFactory.schema.parse({ path: 'x', rotation: {} }).rotation).toEqual({ max_megabytes: 100, max_days: 0, max_backups: 100, localtime: false });
    expect(fileExporterFactory.schema.parse({ path: 'x' }).rotation).toBeUndefined();
  });

  it('with compression zstd, writes each request as a length-prefixed zstd frame, in order (any Node version)', async () => {
    const file = path.join(dir, 'out.zst');
    const sender = await started({ path: file, format: 'proto', compression: 'zstd' });
    const sent = await Promise.all(['one', 'two', 'three'].map((b) => sender.send(request(logsOf(b, 5000)), signal())));
    expect(sent.map((r) => r.kind)).toEqual(['success', 'success', 'success']);
    await sender.shutdown();
    const frames = unframe(readFileSync(file));
    expect(frames.map((f) => decodeLogs(zstdDecompress(f)))).toEqual([logsOf('one', 5000), logsOf('two', 5000), logsOf('three', 5000)]);
    expect(frames[0]!.length).toBeLessThan(1000);
  });
});

describe('file exporter through the exporter helper', () => {
  it('has written and synced the record when consume resolves (sending_queue disabled)', async () => {
    const file = path.join(dir, 'e2e.json');
    const exporter = fileExporterFactory.create(
      { id: 'file', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
      fileExporterFactory.schema.parse({ path: file, sending_queue: { enabled: false } }),
    );
    await exporter.start({ getExtension: () => undefined });
    await exporter.consume(logsOf('through-helper'));
    expect(logsFromJson(readFileSync(file, 'utf8').trim())).toEqual(logsOf('through-helper'));
    await exporter.shutdown();
  });
});
