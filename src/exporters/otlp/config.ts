import { z } from 'zod';
import { parseHostPort } from '../../config/types.js';
import { clientAuth, duration, tlsClient } from '../../config/types.js';
import { exporterHelperShape } from '../helper/config.js';
import { secretHeaders } from '../otlphttp/config.js';

/** The Collector otlp exporter's default timeout. */
export const DEFAULT_TIMEOUT_MS = 5_000;

export const otlpConfigSchema = z
  .strictObject({
    /** `host:port`, or a URL whose scheme picks TLS: `http://` plaintext, `https://` TLS. */
    endpoint: z.string().min(1, 'expected host:port like "collector:4317"'),
    /** `insecure: true` for plaintext; otherwise TLS (ca_file, cert_file/key_file, insecure_skip_verify). */
    tls: tlsClient(),
    /** Sent as gRPC metadata with every export. */
    headers: secretHeaders(),
    /** A client authenticator extension; its headers go out as gRPC metadata. */
    auth: clientAuth(),
    // grpc-js compresses with gzip only; configgrpc's zstd and snappy are refused by name here.
    compression: z
      .enum(['gzip', 'none', ''], { error: 'expected "gzip" or "none": grpc-js has no zstd or snappy' })
      .default('gzip')
      .transform((c) => (c === '' ? 'none' : c)),
    /** configgrpc's client keepalive, handed to grpc-js as its keepalive channel options. */
    keepalive: z
      .strictObject({ time: duration().optional(), timeout: duration().optional(), permit_without_stream: z.boolean().default(false) })
      .optional(),
    /** configgrpc's load balancer over the addresses the endpoint resolves to (grpc-js knows both). */
    balancer_name: z.enum(['pick_first', 'round_robin']).optional(),
    /** The :authority sent with each call instead of the endpoint's host (configgrpc's `authority`). */
    authority: z.string().min(1).optional(),
    /** Calls wait for the channel to connect instead of failing at once while it is down. */
    wait_for_ready: z.boolean().default(false),
    // configgrpc's socket buffer sizes: accepted so Collector configs load; grpc-js sizes its own.
    read_buffer_size: z.number().int().min(0).optional(),
    write_buffer_size: z.number().int().min(0).optional(),
    ...exporterHelperShape(DEFAULT_TIMEOUT_MS),
  })
  .superRefine((c, ctx) => {
    if (!grpcTarget(c)) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: `expected host:port or http(s)://host:port, got ${JSON.stringify(c.endpoint)}` });
    }
  });

export type OtlpGrpcConfig = z.output<typeof otlpConfigSchema>;

export interface GrpcTarget {
  /** host:port as grpc-js takes it. */
  address: string;
  plaintext: boolean;
}

/**
 * The Collector's rules: an `http://` endpoint is plaintext, `https://` is TLS; a bare host:port
 * is TLS unless `tls.insecure` is true.
 */
export function grpcTarget(config: Pick<OtlpGrpcConfig, 'endpoint' | 'tls'>): GrpcTarget | undefined {
  const endpoint = config.endpoint.trim();
  const scheme = /^(https?):\/\//i.exec(endpoint);
  if (scheme) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return undefined;
    }
    if (!url.hostname || (url.pathname !== '/' && url.pathname !== '')) return undefined;
    const https = scheme[1].toLowerCase() === 'https';
    return { address: url.port ? url.host : `${url.host}:${https ? 443 : 80}`, plaintext: !https || (config.tls?.insecure ?? false) };
  }
  const hp = parseHostPort(endpoint);
  if (!hp || !endpoint.includes(':') || endpoint.startsWith(':')) return undefined;
  return { address: endpoint, plaintext: config.tls?.insecure ?? false };
}
