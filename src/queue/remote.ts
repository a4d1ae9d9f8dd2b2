import { readFileSync } from 'node:fs';
import type { GatewayConfig } from '../config/validate.js';
import type { AdminConfig } from '../extensions/admin/config.js';
import type { BearerTokenAuthConfig } from '../extensions/bearertokenauth/config.js';
import type { Action } from './cli.js';

/**
 * The `queue` command against a RUNNING gateway: when a live gateway holds the queue directory's
 * lock (owner-lock.ts) and its config has the `admin` extension, the command goes through the
 * admin API (src/extensions/admin/), so a replay is sent at once instead of at the next start.
 * Credentials: the env var MAKE_OTEL_GATEWAY_ADMIN_TOKEN, else the token of the bearertokenauth
 * extension that `admin.auth.authenticator` names (inline or its `filename`).
 */

export const ADMIN_TOKEN_ENV = 'MAKE_OTEL_GATEWAY_ADMIN_TOKEN';
/** Each API call gives up after this long: the command must not hang on a wedged gateway. */
const REQUEST_TIMEOUT_MS = 30_000;
const LIST_PAGE = 500;

export interface AdminEndpoint {
  /** `http://127.0.0.1:55679` */
  baseUrl: string;
  headers: Record<string, string>;
}

const ANY_HOST = new Set(['0.0.0.0', '', '::']);

/** The admin API of a config (listed in service.extensions), with the credentials to call it. */
export function adminEndpointOf(config: GatewayConfig, env: NodeJS.ProcessEnv = process.env): AdminEndpoint | undefined {
  const admin = [...config.extensions.values()].find((e) => e.type === 'admin' && config.service.extensions.includes(e.id));
  if (!admin) return undefined;
  const c = admin.config as AdminConfig;
  const host = ANY_HOST.has(c.endpoint.host) ? '127.0.0.1' : c.endpoint.host;
  const baseUrl = `${c.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${c.endpoint.port}`;
  const auth = c.auth ? config.extensions.get(c.auth.authenticator) : undefined;
  const bearer = auth?.type === 'bearertokenauth' ? (auth.config as BearerTokenAuthConfig) : undefined;
  const token = env[ADMIN_TOKEN_ENV] || (bearer ? configuredToken(bearer) : undefined);
  if (!token) return { baseUrl, headers: {} };
  const header = bearer?.header ?? 'Authorization';
  const scheme = bearer ? bearer.scheme : 'Bearer';
  return { baseUrl, headers: { [header]: scheme ? `${scheme} ${token}` : token } };
}

function configuredToken(c: BearerTokenAuthConfig): string | undefined {
  if (c.filename) {
    try {
      return readFileSync(c.filename, 'utf8').split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0);
    } catch {
      return undefined;
    }
  }
  return c.token ?? c.tokens?.[0];
}

class ApiError extends Error {}

async function call(endpoint: AdminEndpoint, method: string, path: string, body?: unknown): Promise<any> {
  let res: Response;
  try {
    res = await fetch(`${endpoint.baseUrl}/api/v1${path}`, {
      method,
      headers: { ...endpoint.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new ApiError(`cannot reach the running gateway's admin API at ${endpoint.baseUrl}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (res.status !== 200) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      // not our JSON error body: show the text
    }
    const hint = res.status === 401 ? ` (set ${ADMIN_TOKEN_ENV}, or configure the token in the bearertokenauth extension the admin extension names)` : '';
    throw new ApiError(`admin API answered ${res.status} for ${method} ${path}: ${message}${hint}`);
  }
  return JSON.parse(text);
}

const iso = (s: string) => s;

/** Runs one action for each exporter through the admin API. 0 on success, 1 when a call failed. */
export async function runRemoteQueueCommand(action: Action, exporterIds: string[], endpoint: AdminEndpoint, pid: number, out: (line: string) => void): Promise<number> {
  let status = 0;
  for (const id of exporterIds) {
    const base = `/exporters/${encodeURIComponent(id)}`;
    try {
      switch (action) {
        case 'stats': {
          const q = await call(endpoint, 'GET', `${base}/queue`);
          out(`exporter=${id} queue_size=${q.queue.size} queue_capacity=${q.queue.capacity} dead_letter_requests=${q.queue.deadLetters} sent_records=${q.sent} failed_records=${q.failed} source="running gateway (pid ${pid})"`);
          break;
        }
        case 'list': {
          let cursor: number | null = null;
          let n = 0;
          do {
            const page: any = await call(endpoint, 'GET', `${base}/dead-letters?limit=${LIST_PAGE}${cursor === null ? '' : `&cursor=${cursor}`}`);
            for (const d of page.deadLetters) {
              out(`id=${d.id} exporter=${id} records=${d.records} bytes=${d.bytes} attempts=${d.attempts} enqueued_at=${iso(d.enqueuedAt)} failed_at=${iso(d.time)} reason=${JSON.stringify(d.reason)}`);
              n++;
            }
            cursor = page.nextCursor;
          } while (cursor !== null);
          out(`exporter=${id} dead_letter_requests=${n}`);
          break;
        }
        case 'replay': {
          const r = await call(endpoint, 'POST', `${base}/dead-letters/replay`, { all: true });
          out(`exporter=${id} replayed_requests=${r.replayed.requests} replayed_records=${r.replayed.records} note="requeued on the running gateway (pid ${pid}); sending now"`);
          break;
        }
        case 'purge': {
          const r = await call(endpoint, 'DELETE', `${base}/dead-letters?all=true`);
          out(`exporter=${id} purged_requests=${r.deleted.requests} purged_records=${r.deleted.records}`);
          break;
        }
      }
    } catch (err) {
      out(`error: ${(err as Error).message}`);
      status = 1;
    }
  }
  return status;
}
