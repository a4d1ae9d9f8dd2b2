import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { Counter } from 'prom-client';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * `max_connections`: how many connections one listener holds open at once. Without a cap, a
 * flood of half-sent requests (slowloris) uses up the process's file descriptors and then every
 * client, on every listener, waits for `read_header_timeout` while nothing is logged. Over the cap
 * a connection is closed at once (node's `server.maxConnections`) and counted, so the damage stays
 * on that one listener and is visible.
 */

/** The cap when `max_connections` is not set, unless the fd limit calls for less (below). */
export const DEFAULT_MAX_CONNECTIONS = 4096;
/** One listener may use at most this share of the fd limit by default: files, the queue database and outgoing connections need the rest. */
const DEFAULT_FD_SHARE = 0.5;
/** A floor so a tiny fd limit still leaves a usable server. */
const MIN_DEFAULT_MAX_CONNECTIONS = 16;
/** Warn when a listener holds this share of its cap (or the process this share of its fds). */
const NEAR_LIMIT_SHARE = 0.9;
/** At most one warning of each kind per listener this often, so a flood does not flood the log too. */
const WARN_INTERVAL_MS = 60_000;
const NEAR_CHECK_INTERVAL_MS = 1_000;

export const REFUSED_CONNECTIONS_METRIC = 'gateway_server_refused_connections_total';

/** The soft RLIMIT_NOFILE, from /proc (Linux); undefined where it cannot be read. */
export function fdSoftLimit(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | undefined {
  try {
    const line = read('/proc/self/limits').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    const n = Number(soft);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The default cap: 4096, or half the fd limit when that is lower. */
export function defaultMaxConnections(fdLimit: number | undefined = fdSoftLimit()): number {
  if (fdLimit === undefined) return DEFAULT_MAX_CONNECTIONS;
  return Math.max(MIN_DEFAULT_MAX_CONNECTIONS, Math.min(DEFAULT_MAX_CONNECTIONS, Math.floor(fdLimit * DEFAULT_FD_SHARE)));
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** The counter of refused connections, registered once per telemetry registry. */
function refusedCounter(telemetry: Telemetry): Counter<'server'> {
  const existing = telemetry.registry.getSingleMetric(REFUSED_CONNECTIONS_METRIC);
  if (existing) return existing as Counter<'server'>;
  return new Counter({
    name: REFUSED_CONNECTIONS_METRIC,
    help: 'Connections closed at once because the listener already held max_connections.',
    labelNames: ['server'],
    registers: [telemetry.registry],
  });
}

export interface ConnectionCapOptions {
  /** The listener's name in logs and the `server` metric label (`health_check`, `otlp/http`, …). */
  name: string;
  maxConnections: number;
  telemetry: Telemetry;
  logger: Logger;
}

/** Applies `max_connections` to a listening (or about to listen) server, counting and logging refusals. */
export function capConnections(server: Server, o: ConnectionCapOptions): void {
  server.maxConnections = o.maxConnections;
  const refused = refusedCounter(o.telemetry);
  refused.inc({ server: o.name }, 0);
  const fdLimit = fdSoftLimit();
  if (fdLimit !== undefined && o.maxConnections >= fdLimit) {
    o.logger.warn('max_connections is not below the file descriptor limit: a connection flood can exhaust every descriptor', { server: o.name, max_connections: o.maxConnections, fd_limit: fdLimit });
  }
  let lastDropWarning = -Infinity;
  let lastNearWarning = -Infinity;
  server.on('drop', () => {
    refused.inc({ server: o.name });
    const now = Date.now();
    if (now - lastDropWarning < WARN_INTERVAL_MS) return;
    lastDropWarning = now;
    o.logger.warn('connection refused: the listener holds max_connections', { server: o.name, max_connections: o.maxConnections });
  });
  // Checked at most once a second: counting open fds reads /proc, too slow for every accept.
  let lastCheck = -Infinity;
  server.on('connection', () => {
    const now = Date.now();
    if (now - lastCheck < NEAR_CHECK_INTERVAL_MS || now - lastNearWarning < WARN_INTERVAL_MS) return;
    lastCheck = now;
    server.getConnections((err, count) => {
      if (err) return;
      const fds = openFds();
      const nearCap = count >= o.maxConnections * NEAR_LIMIT_SHARE;
      const nearFds = fdLimit !== undefined && fds !== undefined && fds >= fdLimit * NEAR_LIMIT_SHARE;
      if (!nearCap && !nearFds) return;
      lastNearWarning = Date.now();
      o.logger.warn(nearFds ? 'open file descriptors are near the process limit' : 'connections are near max_connections', {
        server: o.name,
        connections: count,
        max_connections: o.maxConnections,
        open_fds: fds,
        fd_limit: fdLimit,
      });
    });
  });
}
