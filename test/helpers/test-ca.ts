import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A private certificate authority made with `openssl` for a test run, and a server certificate
 * for 127.0.0.1 it signed: a backend presenting it is trusted only by a client given `caFile`
 * (`tls.ca_file`), exactly as with a company CA; and a client certificate it signed, for mutual TLS.
 * Made once per test file and reused.
 */
export interface TestCa {
  /** PEM of the CA certificate, for `tls.ca_file`. */
  caFile: string;
  /** The server certificate (signed by the CA, SAN IP:127.0.0.1) and its key, PEM. */
  server: { cert: Buffer; key: Buffer };
  /** A client certificate (clientAuth) the CA signed, as files for `tls.cert_file`/`tls.key_file`. */
  client: { certFile: string; keyFile: string };
}

const run = promisify(execFile);

async function make(): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'test-ca-'));
  const p = (name: string) => join(dir, name);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=gateway test CA']);
  await writeFile(p('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1']);
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.pem'), '-days', '2', '-extfile', p('san.ext')]);
  await writeFile(p('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', '/CN=gateway']);
  await run('openssl', ['x509', '-req', '-in', p('client.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('client.pem'), '-days', '2', '-extfile', p('client.ext')]);
  return { caFile: p('ca.pem'), client: { certFile: p('client.pem'), keyFile: p('client.key') }, server: { cert: await readFile(p('server.pem')), key: await readFile(p('server.key')) } };
}

let made: Promise<TestCa> | undefined;
export function testCa(): Promise<TestCa> {
  made ??= make();
  return made;
}
