/**
 * gRPC status codes (google.rpc.Code), numbered as on the wire. Defined here so the gateway's
 * own gRPC server does not load @grpc/grpc-js, which only the `otlp` exporter needs.
 */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const NAMES: readonly string[] = Object.keys(GrpcCode);

/** `UNAVAILABLE` for 14: the name metrics and logs use; `CODE_<n>` for a number outside the table. */
export function grpcCodeName(code: number): string {
  return NAMES[code] ?? `CODE_${code}`;
}

/** One of the codes above, as a type (`GrpcCode` names both the table and its values). */
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];
