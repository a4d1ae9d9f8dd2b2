import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../src/pdata/model.js';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { freePort } from '../helpers/ports.js';
import { CLI, GatewayProcess, postLogs, writeGatewayConfig } from './delivery-harness.js';

/**
 * The 20 MiB file system: the built gateway's queue on a tmpfs of that size, the backend down,
 * clients pushing until the disk is full (503s), then space freed: the gateway takes requests
 * again, delivers every acknowledged record once the backend is up, drains its queue gauge to 0
 * and never needs a restart; duplicates stay within the delivery bound (3 × num_consumers ×
 * request size). Then a restart on a disk full to the last byte starts and delivers.
 *
 * Needs to mount a tmpfs (CI runs as root); elsewhere it is skipped, saying so.
 */

function tryMount(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'gateway-20mib-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

const mount = tryMount();
if (!mount) console.warn('full-disk.test.ts: skipped, this process may not mount a 20 MiB tmpfs (needs root on Linux)');

const REQUEST_RECORDS = 10;
const BOUND = 3 * 2 * REQUEST_RECORDS;
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
});

function request(client: number, n: number): { logs: Logs; ids: string[] } {
  const ids = Array.from({ length: REQUEST_RECORDS }, (_, i) => `c${client}-r${n}-${i}`);
  const filler = 'x'.repeat(400);
  return {
    ids,
    logs: {
      resourceLogs: [
        {
          schemaUrl: '',
          resource: { attributes: [], droppedAttributesCount: 0 },
          scopeLogs: [{ schemaUrl: '', logRecords: ids.map((id) => newLogRecord({ body: { stringValue: `${id} ${filler}` } })) }],
        },
      ],
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metric(port: number, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('exporter="otlphttp"'));
    return line ? Number(line.split(' ').at(-1)) : undefined;
  } catch {
    return undefined;
  }
}

/** Fill the file system to the last byte with `path`. */
function fill(path: string): void {
  const chunk = Buffer.alloc(64 * 1024, 1);
  let data = Buffer.alloc(0);
  for (;;) {
    try {
      data = Buffer.concat([data, chunk]);
      writeFileSync(path, data);
    } catch {
      return;
    }
  }
}

describe.skipIf(!mount)('a 20 MiB file system', () => {
  it('fills, recovers once space is freed without a restart, delivers every acknowledged record, and restarts on a full disk', async () => {
    // Last to run: everything else is stopped by then.
    cleanup.push(() => {
      execFileSync('umount', ['-l', mount!]);
      rmSync(mount!, { recursive: true, force: true });
    });
    const backend = await OtlpHttpBackend.start();
    cleanup.push(() => backend.close());
    await backend.goDown('unavailable');
    const storage = join(mount!, 'queue');
    mkdirSync(storage, { recursive: true });
    const filler = join(mount!, 'filler');
    writeFileSync(filler, Buffer.alloc(6 * 1024 * 1024, 1));
    const metricsPort = await freePort();
    const setup = await writeGatewayConfig(backend.url, { queue_size: 100_000, metricsPort });
    cleanup.push(() => setup.cleanup());
    // The queue on the small file system.
    writeFileSync(setup.configPath, readFileSync(setup.configPath, 'utf8').replace(`directory: ${setup.storageDir}`, `directory: ${storage}`));
    let gw = await GatewayProcess.start(setup);
    cleanup.push(() => gw.stop());

    const acked: string[] = [];
    const statuses = new Map<number, number>();
    let stop = false;
    const clients = Array.from({ length: 4 }, async (_, client) => {
      for (let n = 0; !stop; ) {
        const { logs, ids } = request(client, n);
        try {
          const res = await postLogs(setup.receiverPort, logs);
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200) {
            acked.push(...ids);
            n++;
          }
        } catch {
          // restarting: send it again
        }
        await new Promise((r) => setTimeout(r, pauseMs(statuses)));
      }
    });
    cleanup.push(async () => {
      stop = true;
      await Promise.all(clients);
    });

    await until(() => (statuses.get(503) ?? 0) + (statuses.get(429) ?? 0) >= 20, 'the disk to fill (503s)');
    const ackedWhenFull = acked.length;
    unlinkSync(filler);
    await until(() => acked.length >= ackedWhenFull + 500, 'requests taken again after space was freed (no restart)');
    stop = true;
    await Promise.all(clients);
    expect(gw.child.exitCode).toBeNull();

    await backend.comeUp();
    const unique = () => new Set(backend.records().map((r) => (r.body?.stringValue as string).split(' ')[0]));
    await until(() => unique().size >= new Set(acked).size, 'every acknowledged record at the backend', 180_000);
    const seen = unique();
    expect(acked.filter((id) => !seen.has(id))).toEqual([]);
    expect(backend.records().length - seen.size).toBeLessThanOrEqual(BOUND);
    await until(async () => (await metric(metricsPort, 'otelcol_exporter_queue_size')) === 0, 'the queue gauge back to 0', 60_000);

    // A restart on a disk full to the last byte: the lock is rewritten in place, the spare freed.
    await backend.goDown('unavailable');
    const more = request(9, 0);
    expect((await postLogs(setup.receiverPort, more.logs)).status).toBe(200);
    fill(join(mount!, 'filler2'));
    await gw.kill('SIGKILL');
    gw = await GatewayProcess.start(setup);
    await backend.comeUp();
    await until(() => more.ids.every((id) => unique().has(id)), 'the request acknowledged before the restart delivered', 60_000);
    await gw.stop();
  }, 600_000);
});

/** Back off a little once the gateway refused (a client honouring 503/Retry-After would). */
function pauseMs(statuses: Map<number, number>): number {
  return (statuses.get(503) ?? 0) > 0 ? 50 : 10;
}
