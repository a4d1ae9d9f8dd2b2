import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * bench/datadog-sink.mjs stands in for Datadog's logs intake in the decode benchmark, for our
 * exporter and for Fluent Bit's `datadog` output alike: it must refuse what the intake's documented
 * contract refuses, take what it takes (no field of an entry is required), and count every entry.
 */

const SCRIPT = resolve(import.meta.dirname, '../../bench/datadog-sink.mjs');
const KEY = 'sink-test-key';
let child: ChildProcessWithoutNullStreams | undefined;

async function startSink(...extra: string[]): Promise<{ url: string; count: () => Promise<number[]> }> {
  const proc = spawn(process.execPath, [SCRIPT, '0', KEY, ...extra]);
  child = proc;
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  const port = await new Promise<number>((res, rej) => {
    proc.once('exit', () => rej(new Error(`sink exited: ${out}`)));
    const poll = setInterval(() => {
      const m = /ready (\d+)\n/.exec(out);
      if (m) {
        clearInterval(poll);
        res(Number(m[1]));
      }
    }, 10);
  });
  const count = () =>
    new Promise<number[]>((res) => {
      const from = out.length;
      const poll = setInterval(() => {
        const m = /count (\d+) (\d+) (\d+) (\d+)\n/.exec(out.slice(from));
        if (m) {
          clearInterval(poll);
          res([Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])]);
        }
      }, 10);
      proc.stdin.write('count\n');
    });
  return { url: `http://127.0.0.1:${port}/api/v2/logs`, count };
}

const post = (url: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'DD-API-KEY': KEY, 'Content-Type': 'application/json', ...headers }, body });

afterEach(() => {
  child?.kill();
  child = undefined;
});

describe('bench/datadog-sink.mjs', () => {
  it('counts every entry of plain and gzipped arrays and of a single object, answering 202', async () => {
    const sink = await startSink();
    const fluentBitLike = JSON.stringify([{ timestamp: 1, message: 'a' }, { timestamp: 2, message: 'b', nested: { k: [1, { x: 2 }] } }]);
    expect((await post(sink.url, fluentBitLike)).status).toBe(202);
    expect((await post(sink.url, fluentBitLike)).status).toBe(202);
    expect((await post(sink.url, gzipSync(fluentBitLike), { 'Content-Encoding': 'gzip' })).status).toBe(202);
    expect((await post(sink.url, JSON.stringify({ message: '{"braces": [1]}' }))).status).toBe(202);
    expect(await sink.count()).toEqual([7, 4, 0, 0]);
  });

  it('refuses what the intake refuses, with its status codes and an errors body', async () => {
    const sink = await startSink();
    const ok = JSON.stringify([{ message: 'a' }]);
    expect((await post(sink.url, ok, { 'DD-API-KEY': 'wrong' })).status).toBe(403);
    expect((await post(sink.url.replace('/api/v2/logs', '/v1/input'), ok)).status).toBe(404);
    expect((await post(sink.url, ok, { 'Content-Type': 'text/plain' })).status).toBe(400);
    expect((await post(sink.url, ok, { 'Content-Encoding': 'br' })).status).toBe(415);
    const tooMany = await post(sink.url, JSON.stringify(Array.from({ length: 1001 }, () => ({ message: 'x' }))));
    expect(tooMany.status).toBe(413);
    expect(await tooMany.json()).toMatchObject({ errors: [{ status: '413' }] });
    expect((await post(sink.url, JSON.stringify([{ message: 'x'.repeat(5_000_001) }]))).status).toBe(413);
    expect((await post(sink.url, '[{"message": "a"}')).status).toBe(400);
    expect(await sink.count()).toEqual([0, 0, 7, 0]);
  });

  it('holds entries to the gateway mapping only with --check-mapping', async () => {
    const sink = await startSink('--check-mapping');
    expect((await post(sink.url, JSON.stringify([{ message: 'a' }]))).status).toBe(400);
    const mapped = JSON.stringify([{ message: 'a', ddsource: 'otel', 'otel.severity_number': '9' }]);
    expect((await post(sink.url, mapped)).status).toBe(202);
    expect(await sink.count()).toEqual([1, 1, 1, 0]);
  });

  it('takes arrays above 1000 entries only with --count-oversized, and counts those requests', async () => {
    const sink = await startSink('--count-oversized');
    const big = JSON.stringify(Array.from({ length: 1500 }, (_, i) => ({ timestamp: i, message: 'x' })));
    expect((await post(sink.url, big)).status).toBe(202);
    expect((await post(sink.url, JSON.stringify([{ message: 'y' }]))).status).toBe(202);
    expect((await post(sink.url, JSON.stringify([{ message: 'x'.repeat(5_000_001) }]))).status).toBe(413);
    expect(await sink.count()).toEqual([1501, 2, 1, 1]);
  });
});
