import { z } from 'zod';
import { parseDurationMillis } from '../duration.js';

/**
 * Building blocks every component schema uses, so units and messages are the same everywhere.
 * Durations are Go/Collector strings ("200ms", ".5s", "1m30s", "1h", src/duration.ts) and come out
 * as milliseconds. A bare integer is nanoseconds, as the Collector reads it (a YAML int decoded into
 * Go's time.Duration): `timeout: 5` is 5 ns, which is almost never meant, so the message of a
 * component that needs at least a millisecond says so.
 */

/** Milliseconds for a Go duration string, or undefined when it is not one. Negative durations are refused. */
export function parseDurationMs(text: string): number | undefined {
  const ms = parseDurationMillis(text);
  return typeof ms === 'number' && ms >= 0 ? ms : undefined;
}

/** A duration, as milliseconds. */
export const duration = () =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v / 1e6;
    const ms = typeof v === 'string' ? parseDurationMs(v) : undefined;
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like "5s", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A byte size: an integer, or a string like "10MiB" / "5MB". */
export const byteSize = () =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    if (typeof v === 'string') {
      const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
      const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
      if (m && unit !== undefined) return Math.floor(Number(m[1]) * unit);
    }
    ctx.addIssue({ code: 'custom', message: `expected a size in bytes like 4194304 or "4MiB", got ${JSON.stringify(v)}` });
    return z.NEVER;
  });

/** host:port for a listener, `defaultEndpoint` when absent; a value that is not one names `example`. */
export const hostPortEndpoint = (defaultEndpoint: string, example = defaultEndpoint) =>
  z
    .string()
    .default(defaultEndpoint)
    .transform((v, ctx) => {
      const parsed = parseHostPort(v);
      if (!parsed) {
        ctx.addIssue({ code: 'custom', message: `expected host:port like "${example}", got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return parsed;
    });

/** host:port for a listener on all interfaces by default. */
export const listenEndpoint = (defaultPort: number) => hostPortEndpoint(`0.0.0.0:${defaultPort}`);

export interface HostPort {
  host: string;
  port: number;
  /** A unix domain socket to listen on instead (`transport: unix`); host and port are then unused. */
  socketPath?: string;
}

/** How a listen address reads in logs and errors: `host:port`, `[v6]:port` or `unix:PATH`. */
export function describeEndpoint(e: HostPort, port = e.port): string {
  if (e.socketPath !== undefined) return `unix:${e.socketPath}`;
  return e.host.includes(':') ? `[${e.host}]:${port}` : `${e.host}:${port}`;
}

export function parseHostPort(v: string): HostPort | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(v.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** An absolute http(s) URL. */
export const httpUrl = () =>
  z.string().refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'expected an http:// or https:// URL');

/** An exporter's `auth: {authenticator: <extension id>}` (the Collector's configauth client side). */
export const clientAuth = () => z.strictObject({ authenticator: z.string().min(1) }).optional();

/** `headers: {name: value}` as the Collector takes them. */
export const headers = () => z.record(z.string(), z.string()).default({});

/** The Collector's `tls` client block (the subset we honour). */
export const tlsClient = () =>
  z
    .strictObject({
      insecure: z.boolean().default(false),
      insecure_skip_verify: z.boolean().default(false),
      ca_file: z.string().optional(),
      cert_file: z.string().optional(),
      key_file: z.string().optional(),
      /** Trust the system CAs as well as `ca_file` (with `ca_file` alone, only it is trusted). */
      include_system_ca_certs_pool: z.boolean().default(false),
      min_version: tlsVersion(),
      max_version: tlsVersion(),
      /** The name the server's certificate must carry (and the SNI sent), instead of the endpoint's host. */
      server_name_override: z.string().min(1).optional(),
    })
    .optional();

/** TLS versions as the Collector writes them (configtls `min_version`), and Node's names for them. */
export const TLS_VERSIONS = { '1.0': 'TLSv1', '1.1': 'TLSv1.1', '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' } as const;

/** `"1.2"`, or `1.2` unquoted (YAML reads a number; `1.0` would otherwise become "1"). */
const tlsVersion = () => z.preprocess((v) => (typeof v === 'number' ? v.toFixed(1) : v), z.enum(['1.0', '1.1', '1.2', '1.3'])).optional();

/**
 * The Collector's `tls` server block. `ca_file` (a server has no peer to verify with it) and
 * `reload_interval` (certificates are read once, at start) are accepted so Collector configs load.
 */
export const tlsServer = () =>
  z
    .strictObject({
      cert_file: z.string(),
      key_file: z.string(),
      client_ca_file: z.string().optional(),
      min_version: tlsVersion(),
      max_version: tlsVersion(),
      ca_file: z.string().optional(),
      reload_interval: duration().optional(),
    })
    .optional();
