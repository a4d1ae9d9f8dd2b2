import { appendFileSync, renameSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorageClient } from '../../../src/extensions/storage.js';
import { RetryableError } from '../../../src/errors.js';
import { bodies, removeTempDirs, Sink, startFilelog, storageHost, tempDir, until } from './harness.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  removeTempDirs();
});

async function start(raw: Record<string, unknown>, sink: Sink, host?: Parameters<typeof startFilelog>[2]) {
  const h = await startFilelog(raw, sink, host);
  stops.push(() => h.receiver.shutdown());
  return h;
}

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`).join('');

describe('filelog receiver', () => {
  it('reads a file from the beginning with start_at beginning and puts log.file.name (and path when asked) on each record', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.log'), 'first\nsecond\n');
    const sink = new Sink();
    await start({ include: [join(dir, '*.log')], start_at: 'beginning', include_file_path: true }, sink);
    await until(() => sink.records().length === 2, 'two records');
    expect(bodies(sink)).toEqual(['first', 'second']);
    expect(sink.records()[0]!.attributes).toEqual({ 'log.file.name': 'app.log', 'log.file.path': join(dir, 'app.log') });
  });

  it('with start_at end skips what a file held at start and reads what is appended, and honours exclude', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.log'), 'old\n');
    writeFileSync(join(dir, 'skip.log'), 'x\n');
    const sink = new Sink();
    const { receiver } = await start({ include: [join(dir, '*.log')], exclude: [join(dir, 'skip*')] }, sink);
    // "At start" is the first poll: append only after it (a fixed sleep lost that race on a loaded machine).
    await until(() => !(receiver as unknown as { firstPoll: boolean }).firstPoll, 'the first poll');
    appendFileSync(join(dir, 'app.log'), 'new\n');
    appendFileSync(join(dir, 'skip.log'), 'y\n');
    await until(() => sink.records().length === 1, 'the appended line');
    await new Promise((r) => setTimeout(r, 100));
    expect(bodies(sink)).toEqual(['new']);
  });

  it('joins lines into one entry with multiline.line_start_pattern, and sends the last one after force_flush_period', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.log'), '2024-01-01 boom\n  at a()\n  at b()\n2024-01-02 ok\n');
    const sink = new Sink();
    await start({ include: [join(dir, 'app.log')], start_at: 'beginning', multiline: { line_start_pattern: '^\\d{4}-' } }, sink);
    await until(() => sink.records().length === 2, 'two entries');
    expect(bodies(sink)).toEqual(['2024-01-01 boom\n  at a()\n  at b()', '2024-01-02 ok']);
  });

  it('ends entries at multiline.line_end_pattern', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.log'), 'a\nb;\nc;\n');
    const sink = new Sink();
    await start({ include: [join(dir, 'app.log')], start_at: 'beginning', multiline: { line_end_pattern: ';$' } }, sink);
    await until(() => sink.records().length === 2, 'two entries');
    expect(bodies(sink)).toEqual(['a\nb;', 'c;']);
  });

  it('cuts an entry longer than max_log_size into pieces, losing nothing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.log'), `${'x'.repeat(25)}\nshort\n`);
    const sink = new Sink();
    await start({ include: [join(dir, 'app.log')], start_at: 'beginning', max_log_size: 10 }, sink);
    await until(() => sink.records().length === 4, 'four pieces');
    expect(bodies(sink)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5), 'short']);
  });

  it('decodes utf-16le files', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.log'), Buffer.from('héllo\nwörld\n', 'utf16le'));
    const sink = new Sink();
    await start({ include: [join(dir, 'app.log')], start_at: 'beginning', encoding: 'utf-16le' }, sink);
    await until(() => sink.records().length === 2, 'two lines');
    expect(bodies(sink)).toEqual(['héllo', 'wörld']);
  });

  it('resumes after a restart from the stored offset: nothing lost, nothing repeated', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(0, 50));
    const host = storageHost(new MemoryStorageClient());
    const first = new Sink();
    const a = await startFilelog({ include: [file], start_at: 'beginning', storage: 'file_storage' }, first, host);
    await until(() => first.records().length === 50, 'first 50');
    await a.receiver.shutdown();
    appendFileSync(file, lines(50, 80));
    const second = new Sink();
    await start({ include: [file], start_at: 'beginning', storage: 'file_storage' }, second, host);
    await until(() => second.records().length === 30, 'the 30 appended');
    await new Promise((r) => setTimeout(r, 100));
    expect(bodies(second)).toEqual(lines(50, 80).trimEnd().split('\n'));
  });

  it('hands a file of short lines on in batches of at most 1000 entries, storing after each the offset of its last line', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    // ~30 KB: one read chunk, so the batches are cut inside it.
    writeFileSync(file, lines(0, 2500));
    const stored: number[] = [];
    const client = new MemoryStorageClient();
    const set = client.set.bind(client);
    client.set = async (key, value) => {
      stored.push((JSON.parse(value) as { files: { offset: number }[] }).files[0]!.offset);
      await set(key, value);
    };
    const sink = new Sink();
    await start({ include: [file], start_at: 'beginning', storage: 'file_storage' }, sink, storageHost(client));
    await until(() => sink.records().length === 2500, 'all 2500 lines');
    expect(sink.accepted.map((l) => l.resourceLogs[0]!.scopeLogs[0]!.logRecords.length)).toEqual([1000, 1000, 500]);
    // Each stored offset is where the first line of the next batch starts: a restart there repeats nothing.
    expect(stored.slice(0, 3)).toEqual([lines(0, 1000).length, lines(0, 2000).length, lines(0, 2500).length]);
  });

  it('reads a batch the pipeline refused again at the next poll, and moves on only once it is accepted', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.log'), 'one\ntwo\n');
    const sink = new Sink();
    sink.refuseNext(new RetryableError('queue full'));
    await start({ include: [join(dir, 'app.log')], start_at: 'beginning' }, sink);
    await until(() => sink.records().length === 2, 'the batch after the refusal');
    await new Promise((r) => setTimeout(r, 100));
    expect(bodies(sink)).toEqual(['one', 'two']);
  });

  it('follows rename rotation: the renamed file is read to its end, then the new file from its start', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(0, 10));
    const sink = new Sink();
    await start({ include: [file], start_at: 'beginning' }, sink);
    await until(() => sink.records().length === 10, 'first 10');
    appendFileSync(file, lines(10, 15));
    renameSync(file, `${file}.1`);
    writeFileSync(file, lines(15, 20));
    await until(() => sink.records().length === 20, 'all 20');
    await new Promise((r) => setTimeout(r, 100));
    expect(bodies(sink)).toEqual(lines(0, 20).trimEnd().split('\n'));
  });

  it('follows copytruncate rotation with a glob that also matches the copy: every line once', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(0, 10));
    const sink = new Sink();
    await start({ include: [`${file}*`], start_at: 'beginning' }, sink);
    await until(() => sink.records().length === 10, 'first 10');
    appendFileSync(file, lines(10, 15));
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, lines(15, 20));
    await until(() => sink.records().length === 20, 'all 20');
    await new Promise((r) => setTimeout(r, 150));
    expect([...bodies(sink)].sort()).toEqual(lines(0, 20).trimEnd().split('\n').sort());
  });
});
