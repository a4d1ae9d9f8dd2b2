import { readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUE_DB_FILE, QueueDatabase } from '../../src/queue/database.js';
import { SqliteQueue } from '../../src/queue/sqlite-queue.js';
import { HEADER_BYTES } from '../../src/queue/stage-format.js';
import { leftoverSegments, STAGE_DIR, StageLog } from '../../src/queue/stage-log.js';
import type { Logger } from '../../src/telemetry/logger.js';
import { enqueueUntilKilled } from './fixtures/enqueue-until-killed-parent.js';

/**
 * The corruption suite: a crashed run's stage log or database damaged behind the gateway's back
 * (flipped header bytes, random flips, truncation, zeroed headers, a deleted segment, a garbage
 * file). No acknowledged record is lost silently: each is delivered, or counted
 * (gateway_queue_corrupt_records_total via onCorrupt), logged with file and offset, and described
 * by a dead-letter entry.
 */

const EXPORTER = 'otlphttp/torn';
/** What one record of the enqueueing child takes in a segment (2048-byte payloads). */
const RECORD_BYTES = HEADER_BYTES + EXPORTER.length + 2048;

const dirs: string[] = [];
const queues: SqliteQueue[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'queue-corruption-'));
  dirs.push(dir);
  return dir;
}

function capturingLogger(lines: { msg: string; attrs: Record<string, unknown> }[]): Logger {
  const push = (msg: string, attrs: Record<string, unknown> = {}) => lines.push({ msg, attrs });
  const logger: Logger = { debug: push, info: push, warn: push, error: push, child: () => logger };
  return logger;
}

/** Open after the damage, deliver everything, and return what a user would see. */
async function reopen(dir: string) {
  const lines: { msg: string; attrs: Record<string, unknown> }[] = [];
  let corrupt = 0;
  const q = SqliteQueue.open({ directory: dir, fsync: true, exporterId: EXPORTER, sizer: 'requests', capacity: 10_000_000, overflow: 'refuse', logger: capturingLogger(lines), onCorrupt: () => corrupt++ });
  queues.push(q);
  const delivered = new Set<number>();
  while (q.size() > 0) {
    const r = (await q.take())!;
    delivered.add(new DataView(r.bytes.buffer, r.bytes.byteOffset).getUint32(0));
    await q.ack(r.id);
  }
  const db = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
  const deadLetters = db.prepare('SELECT reason FROM dead_letter').pluck().all() as string[];
  db.close();
  return { delivered, corrupt, lines, deadLetters };
}

function assertAccounted(acknowledged: Set<number>, seen: Awaited<ReturnType<typeof reopen>>) {
  const lost = [...acknowledged].filter((n) => !seen.delivered.has(n));
  // Every acknowledged record not delivered is counted (a count may over-estimate, never under).
  expect(seen.corrupt).toBeGreaterThanOrEqual(lost.length);
  if (lost.length > 0) {
    expect(seen.deadLetters.length).toBeGreaterThan(0);
    expect(seen.lines.some((l) => /QUEUE_CORRUPT_RECORD/.test(l.msg))).toBe(true);
  }
  return lost;
}

/**
 * The live (not released) records of a segment before the damage, by offset. The child's queue
 * moves requests older than 2 s into the table (released in the stage): on a slow machine the
 * oldest are there already, and damage to them loses nothing.
 */
function liveRecords(dir: string, path: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const segment of leftoverSegments(dir)) {
    if (segment.path !== path) continue;
    for (const r of segment.records) out.set(r.offset, r.payload.readUInt32BE(0));
  }
  return out;
}

function segments(dir: string): string[] {
  return readdirSync(join(dir, STAGE_DIR))
    .filter((f) => f.endsWith('.seg'))
    .sort((a, b) => parseInt(a) - parseInt(b))
    .map((f) => join(dir, STAGE_DIR, f));
}

describe('stage log corruption after a crash', () => {
  it('a flipped header byte costs that record alone, reported with file and offset', async () => {
    const dir = tempDir();
    const acknowledged = await enqueueUntilKilled(dir, 600);
    const path = StageLog.path(dir, 1);
    const bytes = readFileSync(path);
    const at = 100 * RECORD_BYTES;
    const live = liveRecords(dir, path);
    bytes[at + 9] ^= 0x40; // the payload length of record 100
    writeFileSync(path, bytes);
    const seen = await reopen(dir);
    const lost = assertAccounted(acknowledged, seen);
    expect(lost).toEqual(live.has(at) ? [live.get(at)] : []);
    expect(seen.corrupt).toBe(1);
    const line = seen.lines.find((l) => /stage log damaged/.test(l.msg))!;
    expect(line.attrs).toMatchObject({ file: path, offset: at, requests: 1 });
    expect(seen.deadLetters).toEqual([`corrupt stage log: 1.seg bytes ${at}..${at + RECORD_BYTES} could not be verified; 1 request(s) lost`]);
  });

  it('zeroed headers (the first one included) cost those records alone', async () => {
    const dir = tempDir();
    const acknowledged = await enqueueUntilKilled(dir, 600);
    const path = StageLog.path(dir, 1);
    const bytes = readFileSync(path);
    const live = liveRecords(dir, path);
    for (const n of [0, 1, 50]) bytes.fill(0, n * RECORD_BYTES, n * RECORD_BYTES + HEADER_BYTES);
    writeFileSync(path, bytes);
    const seen = await reopen(dir);
    const lost = assertAccounted(acknowledged, seen);
    expect(lost.sort((a, b) => a - b)).toEqual([0, 1, 50].map((n) => live.get(n * RECORD_BYTES)).filter((n) => n !== undefined));
    expect(seen.corrupt).toBe(3);
    expect(seen.deadLetters).toHaveLength(2); // two ranges: records 0-1, record 50
  });

  it('random flips anywhere: every record is delivered or counted', async () => {
    const dir = tempDir();
    const acknowledged = await enqueueUntilKilled(dir, 1500);
    const path = StageLog.path(dir, 1);
    const bytes = readFileSync(path);
    const written = [...acknowledged].length * RECORD_BYTES;
    let state = 12345;
    for (let i = 0; i < 40; i++) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      bytes[state % Math.min(written, bytes.length)] ^= 1 << (state % 8);
    }
    writeFileSync(path, bytes);
    const seen = await reopen(dir);
    const lost = assertAccounted(acknowledged, seen);
    expect(lost.length).toBeGreaterThan(0);
  });

  it('a truncated segment: the cut-off records are counted from the sequence numbers', async () => {
    const dir = tempDir();
    // Past one segment (4 MiB holds about 1980 of these), so the next use tells where this one ended.
    const acknowledged = await enqueueUntilKilled(dir, 2600);
    const [first] = segments(dir);
    const cut = 1000 * RECORD_BYTES + 17;
    const live = [...liveRecords(dir, first!)].filter(([offset]) => offset + RECORD_BYTES > cut);
    truncateSync(first!, cut);
    const seen = await reopen(dir);
    const lost = assertAccounted(acknowledged, seen);
    expect(lost.sort((a, b) => a - b)).toEqual(live.map(([, n]) => n).sort((a, b) => a - b));
    // Counted from the sequence numbers: every record the cut took, released ones included.
    expect(seen.corrupt).toBeGreaterThan(900);
  });

  it('a deleted segment is detected and its records counted from the sequence numbers', async () => {
    const dir = tempDir();
    const acknowledged = await enqueueUntilKilled(dir, 4400);
    const files = segments(dir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const live = liveRecords(dir, files[1]!);
    unlinkSync(files[1]!);
    const seen = await reopen(dir);
    const lost = assertAccounted(acknowledged, seen);
    expect(lost.length).toBe(live.size);
    expect(seen.corrupt).toBeGreaterThan(1900);
    expect(seen.deadLetters.some((r) => r.includes('2.seg is missing'))).toBe(true);
  });

  it('a garbage segment file: the rest is delivered, and nothing crashes', async () => {
    const dir = tempDir();
    const acknowledged = await enqueueUntilKilled(dir, 2600);
    const [first] = segments(dir);
    const live = liveRecords(dir, first!);
    let state = 7;
    const garbage = Buffer.alloc(readFileSync(first!).length);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (state = (state * 1103515245 + 12345) % 2 ** 31) >>> 16;
    writeFileSync(first!, garbage);
    const seen = await reopen(dir);
    const lost = assertAccounted(acknowledged, seen);
    expect(lost.length).toBe(live.size);
    expect(seen.deadLetters.some((r) => r.includes('1.seg holds no readable record'))).toBe(true);
  });
});

describe('queue database corruption', () => {
  async function storedThenClosed(dir: string, n: number): Promise<void> {
    const q = SqliteQueue.open({ directory: dir, fsync: true, exporterId: EXPORTER, sizer: 'requests', capacity: 10_000_000, overflow: 'refuse' });
    for (let i = 0; i < n; i++) {
      const bytes = new Uint8Array(3000).fill(i % 251);
      new DataView(bytes.buffer).setUint32(0, i);
      await q.enqueue({ bytes, items: 1 });
    }
    await q.close();
  }

  it('a garbage database file is moved aside, named in the log, and the gateway starts', async () => {
    const dir = tempDir();
    await storedThenClosed(dir, 10);
    writeFileSync(join(dir, QUEUE_DB_FILE), Buffer.alloc(64 * 1024, 0x5a));
    const seen = await reopen(dir);
    expect(seen.delivered.size).toBe(0);
    const aside = readdirSync(dir).find((f) => f.startsWith(`${QUEUE_DB_FILE}.corrupt-`));
    expect(aside).toBeDefined();
    expect(seen.lines.some((l) => l.msg.includes(join(dir, QUEUE_DB_FILE)) && l.msg.includes(aside!))).toBe(true);
    expect(seen.corrupt).toBeGreaterThan(0);
    expect(seen.deadLetters.some((r) => r.includes(aside!))).toBe(true);
  });

  it('a database with damaged pages: the readable rows are salvaged and delivered, the rest reported', async () => {
    const dir = tempDir();
    await storedThenClosed(dir, 200);
    const path = join(dir, QUEUE_DB_FILE);
    const bytes = readFileSync(path);
    const pageSize = bytes.readUInt16BE(16);
    // Garbage over a few pages in the middle of the table: b-tree pages SQLite calls malformed.
    const from = Math.floor(bytes.length / pageSize / 2) * pageSize;
    for (let i = from; i < from + 4 * pageSize; i++) bytes[i] = (i * 31) & 0xff;
    // Page 1 too: its b-tree header (after the 100-byte file header), as a flipped sector would.
    bytes.fill(0xff, 100, 112);
    writeFileSync(path, bytes);
    const seen = await reopen(dir);
    expect(readdirSync(dir).some((f) => f.startsWith(`${QUEUE_DB_FILE}.corrupt-`))).toBe(true);
    expect(seen.lines.some((l) => l.msg.includes('damaged; moved aside'))).toBe(true);
    // Every row is delivered, or the damage is counted and described.
    if (seen.delivered.size < 200) {
      expect(seen.corrupt).toBeGreaterThan(0);
      expect(seen.deadLetters.length).toBeGreaterThan(0);
    }
  });

  it('names the damaged file in the error where it is not salvaged (the queue command)', async () => {
    const dir = tempDir();
    await storedThenClosed(dir, 1);
    writeFileSync(join(dir, QUEUE_DB_FILE), Buffer.alloc(8192, 0x11));
    expect(() => QueueDatabase.open(dir, { fsync: true, create: false })).toThrow(`cannot open queue database ${join(dir, QUEUE_DB_FILE)}: file is not a database`);
    // Left where it was: only the gateway, owner of the directory, moves it aside.
    expect(readdirSync(dir).some((f) => f.includes('.corrupt-'))).toBe(false);
  });
});
