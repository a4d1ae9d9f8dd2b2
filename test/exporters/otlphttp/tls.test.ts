import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { otlphttpConfigSchema } from '../../../src/exporters/otlphttp/config.js';
import { OtlpHttpLogsSender } from '../../../src/exporters/otlphttp/sender.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { logsWith, neverAborts, queuedRequest } from '../otlp/test-kit.js';

/** A self-signed certificate for 127.0.0.1 (generated once, valid for a century; test use only). */
const CERT_FILE = fileURLToPath(new URL('./tls/server.crt', import.meta.url));
const KEY_FILE = fileURLToPath(new URL('./tls/server.key', import.meta.url));

let server: Server;
let url: string;
let hits = 0;

beforeEach(async () => {
  hits = 0;
  server = createServer({ cert: readFileSync(CERT_FILE), key: readFileSync(KEY_FILE) }, (req, res) => {
    req.resume();
    req.on('end', () => {
      hits++;
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function sendWith(tls: Record<string, unknown> | undefined) {
  const s = new OtlpHttpLogsSender({ config: otlphttpConfigSchema.parse({ endpoint: url, tls }), logger: silentLogger });
  await s.start();
  try {
    return await s.send(queuedRequest(logsWith('secure')), neverAborts());
  } finally {
    await s.shutdown();
  }
}

describe('otlphttp exporter over TLS', () => {
  it('refuses a certificate it cannot verify (retryable, nothing delivered)', async () => {
    expect(await sendWith(undefined)).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('network error') });
    expect(hits).toBe(0);
  });

  it('trusts the server through tls.ca_file', async () => {
    expect((await sendWith({ ca_file: CERT_FILE })).kind).toBe('success');
    expect(hits).toBe(1);
  });

  it('skips verification with tls.insecure_skip_verify', async () => {
    expect((await sendWith({ insecure_skip_verify: true })).kind).toBe('success');
    expect(hits).toBe(1);
  });

  it('fails at start when tls.ca_file does not exist', async () => {
    const s = new OtlpHttpLogsSender({ config: otlphttpConfigSchema.parse({ endpoint: url, tls: { ca_file: '/nonexistent/ca.pem' } }), logger: silentLogger });
    await expect(s.start()).rejects.toThrow(/ENOENT/);
  });
});
