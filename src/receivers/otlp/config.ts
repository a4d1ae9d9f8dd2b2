import { z } from 'zod';
import { byteSize, duration, listenEndpoint, tlsServer, type HostPort } from '../../config/types.js';
import { maxConnections } from '../../net/config.js';
import { corsSchema } from '../../net/cors.js';

/**
 * The `otlp` receiver's config, with the Collector's key names (otlpreceiver/config.go). A protocol
 * is enabled only when its key is present; `grpc:` with no value (YAML null) means "enabled with
 * defaults", exactly as in the Collector.
 */

/** OTLP/gRPC's registered port. */
export const DEFAULT_GRPC_PORT = 4317;
/** OTLP/HTTP's registered port. */
export const DEFAULT_HTTP_PORT = 4318;
/** The Collector's gRPC default (configgrpc): 4 MiB, the grpc-go default receive limit. */
export const DEFAULT_MAX_RECV_MSG_SIZE_MIB = 4;
/** The Collector's confighttp default: 20 MiB, measured after decompression. */
export const DEFAULT_MAX_REQUEST_BODY_SIZE = 20 * 1024 * 1024;
/** The OTLP/HTTP spec's default logs path. */
export const DEFAULT_LOGS_URL_PATH = '/v1/logs';

/** RFC 9110 token: what node:http accepts as a header name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Collector keys that make sense for traces/metrics or tune Go's server internals. Accepting them
 * lets an existing Collector config run unchanged; they have no effect on this logs gateway.
 */
const IGNORED_KEYS = [
  'keepalive',
  'max_concurrent_streams',
  'read_buffer_size',
  'write_buffer_size',
  // confighttp keys without a Node counterpart: responses are small and written at once, and
  // gzip, deflate, zstd and identity bodies are always accepted.
  'write_timeout',
  'compression_algorithms',
] as const;

export const IGNORED_PROTOCOL_KEYS: readonly string[] = IGNORED_KEYS;

const ignored = Object.fromEntries(IGNORED_KEYS.map((k) => [k, z.unknown().optional()])) as Record<
  (typeof IGNORED_KEYS)[number],
  z.ZodOptional<z.ZodUnknown>
>;

const authSchema = z.strictObject({ authenticator: z.string().min(1) }).optional();

/**
 * confignet's `transport`: `tcp` (default; `tcp4`/`tcp6` listen the same way here, the host picks
 * the family) or `unix`, where `endpoint` is the socket's path. Applied after the object is
 * parsed, since what `endpoint` means depends on it.
 */
const transport = z.enum(['tcp', 'tcp4', 'tcp6', 'unix']).optional();

function withTransport<T extends { endpoint?: string; transport?: string }>(defaultPort: number) {
  const tcp = listenEndpoint(defaultPort);
  return (c: T, ctx: z.RefinementCtx) => {
    if (c.transport === 'unix') {
      if (!c.endpoint) {
        ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'transport unix needs endpoint: the socket path, e.g. /run/otel/otlp.sock' });
        return z.NEVER;
      }
      return { ...c, endpoint: { host: '', port: 0, socketPath: c.endpoint } as HostPort };
    }
    const parsed = tcp.safeParse(c.endpoint);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: issue.message });
      return z.NEVER;
    }
    return { ...c, endpoint: parsed.data };
  };
}

const grpcSchema = z.strictObject({
  endpoint: z.string().optional(),
  transport,
  // 0 means "the default", as in the Collector.
  max_recv_msg_size_mib: z
    .number()
    .nonnegative()
    .default(DEFAULT_MAX_RECV_MSG_SIZE_MIB)
    .transform((v) => v || DEFAULT_MAX_RECV_MSG_SIZE_MIB),
  tls: tlsServer(),
  auth: authSchema,
  max_connections: maxConnections(),
  /** Keep the request's metadata for `from_context` in processors and headers_setter (client-info.ts). */
  include_metadata: z.boolean().default(false),
  ...ignored,
}).transform(withTransport(DEFAULT_GRPC_PORT));

/** The OTLP/HTTP spec's default paths; the Collector prefixes a path given without its slash. */
const urlPath = (fallback: string) =>
  z
    .string()
    .min(1)
    .default(fallback)
    .transform((p) => (p.startsWith('/') ? p : `/${p}`));

const httpSchema = z.strictObject({
  endpoint: z.string().optional(),
  transport,
  // 0 means "the default", as in the Collector (confighttp).
  max_request_body_size: byteSize()
    .default(DEFAULT_MAX_REQUEST_BODY_SIZE)
    .transform((v) => v || DEFAULT_MAX_REQUEST_BODY_SIZE),
  // The Collector prefixes a path given without its leading slash; so do we.
  logs_url_path: z
    .string()
    .min(1)
    .default(DEFAULT_LOGS_URL_PATH)
    .transform((p) => (p.startsWith('/') ? p : `/${p}`)),
  traces_url_path: urlPath('/v1/traces'),
  metrics_url_path: urlPath('/v1/metrics'),
  tls: tlsServer(),
  auth: authSchema,
  // confighttp's server timeouts (Go's http.Server): 0 disables read_timeout, as in Go.
  read_timeout: duration().optional(),
  read_header_timeout: duration().optional(),
  idle_timeout: duration().optional(),
  response_headers: z.record(z.string().regex(HEADER_NAME, 'expected an HTTP header name'), z.string()).optional(),
  max_connections: maxConnections(),
  include_metadata: z.boolean().default(false),
  cors: corsSchema,
  ...ignored,
}).transform(withTransport(DEFAULT_HTTP_PORT));

/** `grpc:` / `http:` written with no value is YAML null: enabled, all defaults. */
const enabledWhenNull = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? {} : v), schema).optional();

export const otlpReceiverSchema = z.strictObject({
  protocols: z
    .strictObject({
      grpc: enabledWhenNull(grpcSchema),
      http: enabledWhenNull(httpSchema),
    })
    .refine((p) => p.grpc !== undefined || p.http !== undefined, {
      message: 'must specify at least one protocol (grpc or http) when using the otlp receiver',
    })
    // `otlp:` alone is a config the Collector rejects with the message above; say the same.
    .prefault({}),
});

export type OtlpReceiverConfig = z.output<typeof otlpReceiverSchema>;
export type OtlpGrpcConfig = NonNullable<OtlpReceiverConfig['protocols']['grpc']>;
export type OtlpHttpConfig = NonNullable<OtlpReceiverConfig['protocols']['http']>;
