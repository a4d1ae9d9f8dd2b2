import { ServerCredentials } from '@grpc/grpc-js';
import type { ServerTlsMaterial } from './tls.js';

/**
 * gRPC server credentials from the receiver's TLS material, with `min_version` / `max_version`.
 * grpc-js has no parameter for TLS versions, but it builds its HTTP/2 server from the credentials'
 * secure-context options (`_getSecureContextOptions`, part of its exported class), which is where
 * Node reads `minVersion` / `maxVersion`; so the versions are added there.
 */
export function grpcServerCredentials(tls: ServerTlsMaterial): ServerCredentials {
  const base = ServerCredentials.createSsl(tls.ca ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.requestCert);
  if (!tls.minVersion && !tls.maxVersion) return base;
  return new VersionedCredentials(base, { minVersion: tls.minVersion, maxVersion: tls.maxVersion });
}

class VersionedCredentials extends ServerCredentials {
  constructor(
    private readonly base: ServerCredentials,
    versions: { minVersion?: ServerTlsMaterial['minVersion']; maxVersion?: ServerTlsMaterial['maxVersion'] },
  ) {
    const defined = Object.fromEntries(Object.entries(versions).filter(([, v]) => v !== undefined));
    super(base._getConstructorOptions(), { ...base._getSecureContextOptions(), ...defined });
  }

  _equals(other: ServerCredentials): boolean {
    return other === this || (other instanceof VersionedCredentials && other.base._equals(this.base));
  }
}
