import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Logs, ResourceLogs } from '../../pdata/model.js';
import type { Logger } from '../../telemetry/logger.js';
import { HttpClient } from '../helper/http-client.js';
import { classifyHttpFailure } from '../helper/classify.js';
import { permanent, success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import { flattenRecords, packBySize, regroupRecords, sendInBatches, type BatchOutcome, type RecordRef } from '../helper/split.js';
import { sendWithToken, TokenCache, TokenError } from '../helper/token-cache.js';
import type { GoogleCloudConfig } from './config.js';
import { loadGoogleCredentials, type GoogleCredentials } from './credentials.js';
import { serializeEntry } from './entry-split.js';
import { logNameFor, monitoredResource, toLogEntry, type MonitoredResource } from './log-entry.js';

const gzip = promisify(gzipCb);

/**
 * Google answers "Request payload size exceeds the limit: 10485760 bytes" above 10 MiB; we pack
 * to 10 MB so the JSON framing and any rounding never reach the limit.
 */
export const MAX_REQUEST_BYTES = 10_000_000;
export const ENTRIES_WRITE_PATH = '/v2/entries:write';

export interface GoogleCloudSenderOptions {
  logger: Logger;
  /** Where GOOGLE_APPLICATION_CREDENTIALS and GCE_METADATA_HOST are read (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Names the exporter in errors. */
  id?: string;
}

/** One entry's JSON text, its size, and the record it came from (split parts share a record). */
interface SerializedEntry {
  json: string;
  bytes: number;
  ref: RecordRef;
}

/** A partialSuccess answer: these entry positions were refused, the others written. */
interface RefusedEntries {
  kind: 'refused_entries';
  indexes: number[];
  reason: string;
}

export class GoogleCloudSender implements LogsSender {
  private readonly url: string;
  private ready: Promise<{ creds: GoogleCredentials; tokens: TokenCache }> | undefined;
  private project: string | undefined;
  private readonly http: HttpClient;

  constructor(
    private readonly config: GoogleCloudConfig,
    private readonly options: GoogleCloudSenderOptions,
  ) {
    const base = config.log.use_insecure ? config.log.endpoint.replace(/^https:/, 'http:') : config.log.endpoint;
    this.url = base + ENTRIES_WRITE_PATH;
    this.project = config.project;
    this.http = new HttpClient(config, `exporters.${options.id ?? 'googlecloud'}`);
  }

  /** Reads the credentials once; a missing or malformed key file fails the gateway's start. */
  async start(): Promise<void> {
    await this.http.start();
    const { creds } = await this.init();
    this.project ??= creds.projectId;
    this.options.logger.info('googlecloud exporter ready', { credentials: creds.description, project: this.project ?? '(from metadata server)' });
  }

  async shutdown(): Promise<void> {
    await this.http.close();
  }

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    let refs: RecordRef[];
    let batches: SerializedEntry[][];
    let oversize: SerializedEntry[];
    let head: string;
    try {
      const { creds } = await this.init();
      const project = await this.resolveProject(creds);
      refs = flattenRecords(request.logs());
      head = requestHead(project, this.config.log.default_log_name);
      ({ batches, oversize } = packEntries(serializeAll(refs, project), head));
    } catch (err) {
      if (err instanceof TokenError) return err.result;
      throw err;
    }
    const refused = new Set<RecordRef>(oversize.map((e) => e.ref));
    let reason = oversize.length > 0 ? `log entry larger than the ${MAX_REQUEST_BYTES}-byte request limit` : '';
    const outcome = await sendInBatches(batches, async (batch) => {
      const r = await this.post(head, batch, signal);
      if (r.kind === 'refused_entries') {
        for (const i of r.indexes) if (batch[i]) refused.add(batch[i].ref);
        reason ||= r.reason;
        return success();
      }
      return r;
    });
    if (outcome.failure) return outcome.failure;
    if (outcome.tooLarge.length > 0) {
      for (const e of outcome.tooLarge) refused.add(e.ref);
      reason ||= outcome.tooLargeReason ?? 'too large';
    }
    if (refused.size === 0) return success();
    if (refused.size === refs.length) return permanent(`Cloud Logging refused every entry: ${reason}`);
    this.options.logger.warn('googlecloud: Cloud Logging refused some entries; dead-lettering them', { records: refused.size });
    return success(refused.size, `Cloud Logging refused ${refused.size} entries: ${reason}`, regroupRecords([...refused]));
  }

  private init() {
    this.ready ??= loadGoogleCredentials(this.config.credentials_file, this.options.env ?? process.env, this.http.fetch).then((creds) => ({
      creds,
      tokens: new TokenCache(() => creds.fetchToken()),
    }));
    // A failed start may be retried (the next send or start reads the file again).
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  private async resolveProject(creds: GoogleCredentials): Promise<string> {
    this.project ??= creds.projectId ?? (await creds.discoverProject?.());
    if (!this.project) throw new TokenError({ kind: 'permanent', reason: 'googlecloud: no project: set `project` or use a key file with project_id' });
    return this.project;
  }

  /** One write; on 401 the token is replaced and the same body sent once more. */
  private async post(head: string, batch: SerializedEntry[], signal: AbortSignal): Promise<BatchOutcome | RefusedEntries> {
    const json = head + batch.map((e) => e.json).join(',') + REQUEST_TAIL;
    const payload = this.config.log.compression === 'gzip' ? await gzip(json) : json;
    const res = await sendWithToken(async () => (await this.init()).tokens, signal, 'Cloud Logging', (token) => this.fetchOnce(payload, token, signal));
    if ('kind' in res) return res;
    if (res.ok) {
      await res.body?.cancel();
      return success();
    }
    const error = parseGoogleError(await res.text().catch(() => ''));
    // partialSuccess: the other entries were written; the refused ones are named by index.
    if (error.entryIndexes.length > 0) {
      return { kind: 'refused_entries', indexes: error.entryIndexes, reason: error.message };
    }
    if (res.status === 400 && /payload size exceeds/i.test(error.message)) return { kind: 'too_large', reason: error.message };
    return classifyHttpFailure(res.status, res.headers, error.message, 'vendor');
  }

  private fetchOnce(payload: string | Buffer, token: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'user-agent': this.config.user_agent,
    };
    if (typeof payload !== 'string') headers['content-encoding'] = 'gzip';
    return this.http.fetch(this.url, { method: 'POST', headers, body: payload, signal });
  }
}

const REQUEST_TAIL = ']}';

/** Everything before the entries: the defaults every entry inherits. */
function requestHead(project: string, defaultLogName: string): string {
  const logName = JSON.stringify(logNameFor(project, defaultLogName));
  return `{"logName":${logName},"resource":{"type":"global","labels":{"project_id":${JSON.stringify(project)}}},"partialSuccess":true,"entries":[`;
}

function serializeAll(refs: RecordRef[], project: string): SerializedEntry[] {
  const out: SerializedEntry[] = [];
  const resources = new Map<ResourceLogs, MonitoredResource>();
  refs.forEach((ref, position) => {
    let resource = resources.get(ref.resourceLogs);
    if (!resource) resources.set(ref.resourceLogs, (resource = monitoredResource(ref.resourceLogs.resource)));
    for (const json of serializeEntry(toLogEntry(ref.record, resource, project), position)) out.push({ json, bytes: Buffer.byteLength(json), ref });
  });
  return out;
}

/** Pack entries into `entries:write` bodies of at most `maxBytes`, in order. */
export function packEntries(entries: SerializedEntry[], head: string, maxBytes = MAX_REQUEST_BYTES) {
  return packBySize(entries, (e) => e.bytes, { maxBytes, baseBytes: Buffer.byteLength(head) + REQUEST_TAIL.length, separatorBytes: 1 });
}

/** Build the request bodies for `logs` (used by tests and tools to see what would be sent). */
export function packBodies(logs: Logs, project: string, defaultLogName: string, maxBytes = MAX_REQUEST_BYTES): Array<{ json: string; entries: number }> {
  const head = requestHead(project, defaultLogName);
  return packEntries(serializeAll(flattenRecords(logs), project), head, maxBytes).batches.map((b) => ({ json: head + b.map((e) => e.json).join(',') + REQUEST_TAIL, entries: b.length }));
}

/** Google's `{"error":{"code","message","status","details":[…]}}`, read defensively. */
function parseGoogleError(text: string): { message: string; entryIndexes: number[] } {
  try {
    const err = (JSON.parse(text) as { error?: { message?: unknown; status?: unknown; details?: unknown } }).error;
    let message = [err?.status, err?.message].filter((x) => typeof x === 'string').join(': ').slice(0, 300);
    const entryIndexes: number[] = [];
    if (Array.isArray(err?.details)) {
      for (const d of err.details as Array<{ logEntryErrors?: Record<string, unknown> }>) {
        if (d && typeof d.logEntryErrors === 'object' && d.logEntryErrors) {
          for (const [k, v] of Object.entries(d.logEntryErrors)) {
            if (!/^\d+$/.test(k)) continue;
            entryIndexes.push(Number(k));
            const entryMessage = (v as { message?: unknown })?.message;
            if (entryIndexes.length === 1 && typeof entryMessage === 'string') message = `${message} (first: ${entryMessage.slice(0, 200)})`;
          }
        }
      }
    }
    return { message, entryIndexes };
  } catch {
    return { message: text.slice(0, 200), entryIndexes: [] };
  }
}
