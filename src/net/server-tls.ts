import { readFile } from 'node:fs/promises';
import { TLS_VERSIONS } from '../config/types.js';
import { GatewayError } from '../errors.js';

/** The `tls` server block, as files on disk (the Collector's configtls.ServerConfig subset). */
export interface ServerTlsFiles {
  cert_file: string;
  key_file: string;
  client_ca_file?: string;
  min_version?: keyof typeof TLS_VERSIONS;
  max_version?: keyof typeof TLS_VERSIONS;
}

export interface ServerTlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Present when clients must show a certificate signed by this CA (mutual TLS). */
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  /** Node's name for `min_version` / `max_version`; absent means Node's default (TLS 1.2 to 1.3). */
  minVersion?: (typeof TLS_VERSIONS)[keyof typeof TLS_VERSIONS];
  maxVersion?: (typeof TLS_VERSIONS)[keyof typeof TLS_VERSIONS];
}

/** Reads the files at start so a wrong path fails the start with the key that names it. */
export async function loadServerTls(files: ServerTlsFiles, keyPath: string): Promise<ServerTlsMaterial> {
  const read = async (key: keyof ServerTlsFiles, path: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new GatewayError('COMPONENT_START_FAILED', `${keyPath}.${key}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const cert = await read('cert_file', files.cert_file);
  const key = await read('key_file', files.key_file);
  const ca = files.client_ca_file ? await read('client_ca_file', files.client_ca_file) : undefined;
  const material: ServerTlsMaterial = { cert, key, ca, requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined };
  if (files.min_version) material.minVersion = TLS_VERSIONS[files.min_version];
  if (files.max_version) material.maxVersion = TLS_VERSIONS[files.max_version];
  return material;
}
