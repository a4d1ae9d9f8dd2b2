import { Metadata } from '@grpc/grpc-js';
import { decodeRetryDelayMs, encodeRetryStatus, STATUS_DETAILS_KEY, type RpcStatusInit } from '../rpc-status.js';

/**
 * google.rpc.RetryInfo in grpc-js Metadata (the `grpc-status-details-bin` trailer): read by the
 * `otlp` exporter, which talks to backends through grpc-js, and written by test fakes that
 * play a gRPC backend. The gateway's own gRPC server writes the trailer itself (unary-server.ts).
 */

/**
 * Trailers for a retryable refusal. Pass the metadata with the grpc error
 * (`callback({code, details, metadata})`); give the same code and message here.
 * The code defaults to RESOURCE_EXHAUSTED, the refusal that needs RetryInfo to be retried at all.
 */
export function retryInfoMetadata(retryDelayMs: number, init: RpcStatusInit = {}): Metadata {
  const md = new Metadata();
  md.set(STATUS_DETAILS_KEY, Buffer.from(encodeRetryStatus(retryDelayMs, init)));
  return md;
}

/** The RetryInfo delay a server attached to an error's trailers; undefined if absent or unreadable. */
export function parseRetryInfo(metadata: Metadata | undefined): number | undefined {
  for (const value of metadata?.get(STATUS_DETAILS_KEY) ?? []) {
    if (typeof value === 'string') continue;
    try {
      const ms = decodeRetryDelayMs(value);
      if (ms !== undefined) return ms;
    } catch {
      // A malformed detail is the server's bug; treat it as "no RetryInfo" rather than failing the export.
    }
  }
  return undefined;
}
