import { crc32 } from 'node:zlib';

/**
 * One record of the stage log (stage-log.ts), little-endian. Format version 2:
 *   0  magic u32          'MGS2'
 *   4  generation u32     which use of the segment file wrote it (files are reused, not zeroed)
 *   8  payload length u32
 *   12 payload crc32 u32  the same checksum the queue table keeps
 *   16 items u32
 *   20 exporter id length u16, then 2 reserved bytes
 *   24 enqueued at f64    epoch ms
 *   32 sequence u32       the record's number in the stage (0, 1, 2, ... across segments; a
 *                         new run starts at 0): a gap after damage, a cut-off segment or a deleted
 *                         one tells how many records went with it
 *   36 header crc32 u32   over bytes 0..36 and the exporter id
 *   40 state u32          NOT covered by the crc, rewritten in place by a 4-byte write:
 *                         0 live, TAKEN (handed to a worker), SPILLED (copied to row `row id`),
 *                         RELEASED (acknowledged, dead-lettered, or durably in the table)
 *   44 row id u32         with SPILLED
 *   48 exporter id (utf-8), then the payload (ExportLogsServiceRequest protobuf bytes)
 *
 * Version 1 (magic 'MGSR', 40-byte header without index and state, crc at 32) had no per-record
 * state: a segment came back whole after a crash while any record in it was live, so requests
 * already acknowledged or moved to the table were delivered again. Migration: the scanner still
 * reads version 1 records (as live) from a stage a version-1 gateway left behind; new records are
 * always version 2.
 */
export const RECORD_MAGIC = 0x3253474d;
export const RECORD_MAGIC_V1 = 0x5253474d;
export const HEADER_BYTES = 48;
const HEADER_BYTES_V1 = 40;
const MAGIC_BYTES = Buffer.from([0x4d, 0x47, 0x53, 0x32]);
const MAGIC_BYTES_V1 = Buffer.from([0x4d, 0x47, 0x53, 0x52]);
/** Offset of the state word within a record. */
export const STATE_OFFSET = 40;

export const STATE_LIVE = 0;
export const STATE_TAKEN = 0x4e4b4154; // 'TAKN'
export const STATE_SPILLED = 0x4c495053; // 'SPIL'
export const STATE_RELEASED = 0x454e4f44; // 'DONE'

export interface StageRecord {
  exporterId: string;
  items: number;
  checksum: number;
  enqueuedAt: number;
  payload: Buffer;
}

/** A record found by the scanner, with where it lives and its state. */
export interface ScannedRecord extends StageRecord {
  offset: number;
  /** Handed to a worker before the crash: sending it again may duplicate. */
  taken: boolean;
  /** Copied to this row of the queue table (the copy may or may not have committed). */
  spilledTo?: number;
}

/** Bytes the scanner could not verify: a damaged header, a torn or truncated record. */
export interface LostRange {
  offset: number;
  bytes: number;
  /** Records the range held, when the record indices tell (else at least 1). */
  records: number;
  /** The exporter of the nearest sound record of the same use, when there is one. */
  exporterId?: string;
}

/** The header and exporter id of a record; the payload is written after it as is (no copy). */
export function encodeHeader(generation: number, sequence: number, record: StageRecord): Buffer {
  const header = Buffer.alloc(HEADER_BYTES + idBytes(record.exporterId).length);
  writeHeader(header, generation, sequence, record);
  return header;
}

/**
 * The whole record in one buffer (header, exporter id, payload copied after them): for small
 * records, whose bytes the stage log keeps to rewrite neighbouring state words in one write
 * (stage-marks.ts).
 */
export function encodeRecord(generation: number, sequence: number, record: StageRecord): Buffer {
  const idLength = idBytes(record.exporterId).length;
  const image = Buffer.allocUnsafe(HEADER_BYTES + idLength + record.payload.byteLength);
  writeHeader(image, generation, sequence, record);
  image.set(record.payload, HEADER_BYTES + idLength);
  return image;
}

/** Every header byte (reserved ones, the state word and the row id zero), then the exporter id. */
function writeHeader(header: Buffer, generation: number, sequence: number, record: StageRecord): void {
  const id = idBytes(record.exporterId);
  header.writeUInt32LE(RECORD_MAGIC, 0);
  header.writeUInt32LE(generation >>> 0, 4);
  header.writeUInt32LE(record.payload.byteLength, 8);
  header.writeUInt32LE(record.checksum >>> 0, 12);
  header.writeUInt32LE(record.items >>> 0, 16);
  header.writeUInt16LE(id.length, 20);
  header.writeUInt16LE(0, 22);
  header.writeDoubleLE(record.enqueuedAt, 24);
  header.writeUInt32LE(sequence >>> 0, 32);
  header.writeUInt32LE(STATE_LIVE, STATE_OFFSET);
  header.writeUInt32LE(0, STATE_OFFSET + 4);
  id.copy(header, HEADER_BYTES);
  header.writeUInt32LE(headerChecksum(header, id.length), 36);
}

export function recordBytes(exporterId: string, payloadBytes: number): number {
  return HEADER_BYTES + idBytes(exporterId).length + payloadBytes;
}

/** Exporter ids as UTF-8, encoded once per exporter rather than twice per request. */
const ids = new Map<string, Buffer>();
function idBytes(exporterId: string): Buffer {
  let bytes = ids.get(exporterId);
  if (!bytes) ids.set(exporterId, (bytes = Buffer.from(exporterId, 'utf8')));
  return bytes;
}

function headerChecksum(buf: Buffer, idLength: number, at = 0): number {
  return crc32(buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + idLength), crc32(buf.subarray(at, at + 36)));
}

function headerChecksumV1(buf: Buffer, idLength: number, at: number): number {
  return crc32(buf.subarray(at + HEADER_BYTES_V1, at + HEADER_BYTES_V1 + idLength), crc32(buf.subarray(at, at + 32)));
}

interface Header {
  version: 1 | 2;
  generation: number;
  index: number;
  /** Offset of the payload, and its length. */
  start: number;
  length: number;
}

/** The header at `at` when it is sound (magic and crc), else undefined. */
function readHeader(buf: Buffer, at: number): Header | undefined {
  if (at + HEADER_BYTES_V1 > buf.length) return undefined;
  const magic = buf.readUInt32LE(at);
  const idLength = buf.readUInt16LE(at + 20);
  if (magic === RECORD_MAGIC) {
    if (at + HEADER_BYTES + idLength > buf.length || buf.readUInt32LE(at + 36) !== headerChecksum(buf, idLength, at)) return undefined;
    return { version: 2, generation: buf.readUInt32LE(at + 4), index: buf.readUInt32LE(at + 32), start: at + HEADER_BYTES + idLength, length: buf.readUInt32LE(at + 8) };
  }
  if (magic === RECORD_MAGIC_V1) {
    if (at + HEADER_BYTES_V1 + idLength > buf.length || buf.readUInt32LE(at + 32) !== headerChecksumV1(buf, idLength, at)) return undefined;
    return { version: 1, generation: buf.readUInt32LE(at + 4), index: -1, start: at + HEADER_BYTES_V1 + idLength, length: buf.readUInt32LE(at + 8) };
  }
  return undefined;
}

export interface ScannedSegment {
  generation: number;
  /** Live records (not released), in order. */
  records: ScannedRecord[];
  /** Records whose header was sound but whose payload failed its checksum. */
  corrupt: ScannedRecord[];
  /** Byte ranges that could not be verified. */
  lost: LostRange[];
  /** Sequence numbers of the first and last sound record of this use (released ones included), -1 if none. */
  firstSequence: number;
  lastSequence: number;
  /** The file is shorter than a segment: its tail (the last entry of `lost`) was cut off. */
  truncated: boolean;
}

/** The generation of the first sound record in the buffer (searching past damage), else 0. */
export function scanSegmentHead(buf: Buffer): number {
  const at = nextHeader(buf, 0);
  return at === undefined ? 0 : readHeader(buf, at)!.generation;
}

/** Offset of the next sound header at or after `from` (of `generation`, when given). */
function nextHeader(buf: Buffer, from: number, generation?: number): number | undefined {
  for (const magic of [MAGIC_BYTES, MAGIC_BYTES_V1]) {
    for (let at = buf.indexOf(magic, from); at >= 0; at = buf.indexOf(magic, at + 1)) {
      const header = readHeader(buf, at);
      if (header && (generation === undefined || header.generation === generation)) return at;
    }
  }
  return undefined;
}

/**
 * The records of one segment file's current use. Its records start at offset 0 and carry the
 * newest generation in the file; after its last record come zeros or an older use's records, none
 * of them part of this use. A header that fails its checks in between (a flipped byte, zeroed
 * bytes) does not end the scan: it searches forward for the next sound header of the same
 * generation and reports the bytes it skipped as lost, with how many records they held. A file
 * shorter than `expectedBytes` (truncated) reports its cut-off tail the same way.
 */
export function scanSegment(buf: Buffer, expectedBytes = buf.length): ScannedSegment {
  const out: ScannedSegment = { generation: 0, records: [], corrupt: [], lost: [], firstSequence: -1, lastSequence: -1, truncated: false };
  let at = 0;
  let nextIndex = -1;
  let lastExporter: string | undefined;
  while (at < buf.length) {
    let header = readHeader(buf, at);
    if (header && out.generation !== 0 && header.generation !== out.generation) break;
    if (!header || header.start + header.length > buf.length) {
      const next = nextHeader(buf, at + 1, out.generation || undefined);
      if (next === undefined) {
        // The end of this use, unless the file was cut short inside it.
        if (buf.length < expectedBytes && (header || !isZero(buf, at))) {
          out.lost.push({ offset: at, bytes: buf.length - at, records: 1, exporterId: lastExporter });
          out.truncated = true;
        }
        break;
      }
      header = readHeader(buf, next)!;
      if (out.generation === 0) out.generation = header.generation;
      // A run's first use starts at sequence 0: damage at its head is counted exactly too.
      if (nextIndex < 0 && at === 0 && header.generation === 1) nextIndex = 0;
      const records = header.index >= 0 && nextIndex >= 0 ? Math.max(1, header.index - nextIndex) : 1;
      out.lost.push({ offset: at, bytes: next - at, records, exporterId: lastExporter ?? exporterAt(buf, next, header) });
      at = next;
    }
    if (out.generation === 0) out.generation = header.generation;
    if (header.start + header.length > buf.length) break;
    if (out.firstSequence < 0) out.firstSequence = header.index;
    out.lastSequence = header.index;
    const record = decode(buf, at, header);
    lastExporter = record.exporterId;
    nextIndex = header.index + 1;
    const state = header.version === 2 ? buf.readUInt32LE(at + STATE_OFFSET) : STATE_LIVE;
    at = header.start + header.length;
    if (state === STATE_RELEASED) continue;
    record.taken = state === STATE_TAKEN;
    if (state === STATE_SPILLED) record.spilledTo = buf.readUInt32LE(record.offset + 44);
    if (crc32(record.payload) === record.checksum) out.records.push(record);
    else out.corrupt.push(record);
  }
  return out;
}

function exporterAt(buf: Buffer, at: number, header: Header): string {
  return buf.toString('utf8', at + (header.version === 2 ? HEADER_BYTES : HEADER_BYTES_V1), header.start);
}

function decode(buf: Buffer, at: number, header: Header): ScannedRecord {
  return {
    exporterId: exporterAt(buf, at, header),
    items: buf.readUInt32LE(at + 16),
    checksum: buf.readUInt32LE(at + 12),
    enqueuedAt: buf.readDoubleLE(at + 24),
    payload: Buffer.from(buf.subarray(header.start, header.start + header.length)),
    offset: at,
    taken: false,
  };
}

function isZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
