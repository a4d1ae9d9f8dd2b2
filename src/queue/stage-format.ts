import { crc32 } from 'node:zlib';

/**
 * One record of the stage log (stage-log.ts), little-endian:
 *   0  magic u32          'MGSR'
 *   4  generation u32     which use of the segment file wrote it (files are reused, not zeroed)
 *   8  payload length u32
 *   12 payload crc32 u32  the same checksum the queue table keeps
 *   16 items u32
 *   20 exporter id length u16, then 2 reserved bytes
 *   24 enqueued at f64    epoch ms
 *   32 header crc32 u32   over bytes 0..32 and the exporter id
 *   36 reserved u32
 *   40 exporter id (utf-8), then the payload (ExportLogsServiceRequest protobuf bytes)
 */
export const RECORD_MAGIC = 0x5253474d;
export const HEADER_BYTES = 40;

export interface StageRecord {
  exporterId: string;
  items: number;
  checksum: number;
  enqueuedAt: number;
  payload: Buffer;
}

/** The header and exporter id of a record; the payload is written after it as is (no copy). */
export function encodeHeader(generation: number, record: StageRecord): Buffer {
  const id = idBytes(record.exporterId);
  const header = Buffer.alloc(HEADER_BYTES + id.length);
  header.writeUInt32LE(RECORD_MAGIC, 0);
  header.writeUInt32LE(generation >>> 0, 4);
  header.writeUInt32LE(record.payload.byteLength, 8);
  header.writeUInt32LE(record.checksum >>> 0, 12);
  header.writeUInt32LE(record.items >>> 0, 16);
  header.writeUInt16LE(id.length, 20);
  header.writeDoubleLE(record.enqueuedAt, 24);
  id.copy(header, HEADER_BYTES);
  header.writeUInt32LE(headerChecksum(header, id.length), 32);
  return header;
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
  return crc32(buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + idLength), crc32(buf.subarray(at, at + 32)));
}

export interface ScannedSegment {
  generation: number;
  records: StageRecord[];
  /** Records whose header was sound but whose payload failed its checksum. */
  corrupt: { exporterId: string; items: number; checksum: number; enqueuedAt: number; payload: Buffer }[];
}

/** The generation of the first record when its header is sound (the bytes of at least that header), else 0. */
export function scanSegmentHead(buf: Buffer): number {
  if (buf.length < HEADER_BYTES || buf.readUInt32LE(0) !== RECORD_MAGIC) return 0;
  const idLength = buf.readUInt16LE(20);
  if (HEADER_BYTES + idLength > buf.length || buf.readUInt32LE(32) !== headerChecksum(buf, idLength)) return 0;
  return buf.readUInt32LE(4);
}

/**
 * The records of one segment file's current use: from offset 0 while headers are sound and carry
 * the first record's generation. What follows (zeros, a torn write, an older use's records) ends
 * the scan: none of it was acknowledged as part of this use.
 */
export function scanSegment(buf: Buffer): ScannedSegment {
  const out: ScannedSegment = { generation: 0, records: [], corrupt: [] };
  let at = 0;
  while (at + HEADER_BYTES <= buf.length) {
    if (buf.readUInt32LE(at) !== RECORD_MAGIC) break;
    const generation = buf.readUInt32LE(at + 4);
    const length = buf.readUInt32LE(at + 8);
    const idLength = buf.readUInt16LE(at + 20);
    if (at + HEADER_BYTES + idLength > buf.length) break;
    if (buf.readUInt32LE(at + 32) !== headerChecksum(buf, idLength, at)) break;
    if (out.generation === 0) out.generation = generation;
    else if (generation !== out.generation) break;
    const start = at + HEADER_BYTES + idLength;
    if (start + length > buf.length) break;
    const record = {
      exporterId: buf.toString('utf8', at + HEADER_BYTES, start),
      items: buf.readUInt32LE(at + 16),
      checksum: buf.readUInt32LE(at + 12),
      enqueuedAt: buf.readDoubleLE(at + 24),
      payload: Buffer.from(buf.subarray(start, start + length)),
    };
    if (crc32(record.payload) === record.checksum) out.records.push(record);
    else out.corrupt.push(record);
    at = start + length;
  }
  return out;
}
