import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfigText } from './validate-config.js';

/**
 * docker-compose.yaml (the local two-tier trial): it parses, its services, published ports and
 * volumes are consistent, the configs it mounts exist and pass the gateway's own validate, and the
 * two tiers agree on the NATS server, stream and subject.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yaml'), 'utf8'));
const mountedConfig = (service: string) => {
  const bind = compose.services[service].volumes.find((v: string) => v.endsWith(':/etc/make-otel-gateway/config.yaml:ro'));
  expect(bind, `${service} mounts its config`).toBeDefined();
  return join(ROOT, bind.split(':')[0]);
};
const published = (service: string) => Object.fromEntries((compose.services[service].ports ?? []).map((p: string) => p.split(':').map(Number)).map(([host, container]: number[]) => [container, host]));

describe('docker-compose.yaml', () => {
  it('has NATS with JetStream, an ingest gateway and an export gateway built from this repo', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway-export', 'gateway-ingest', 'nats']);
    expect(compose.services.nats.command).toContain('-js');
    for (const s of ['gateway-ingest', 'gateway-export']) {
      expect(compose.services[s].build).toBe('.');
      expect(compose.services[s].depends_on).toEqual(['nats']);
    }
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
  });

  it('declares every named volume it uses and every bind-mounted path exists', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, service] of Object.entries<any>(compose.services)) {
      for (const v of service.volumes ?? []) {
        const source = v.split(':')[0];
        if (source.startsWith('.')) expect(existsSync(join(ROOT, source)), `${name}: ${source}`).toBe(true);
        else expect(declared, `${name}: volume ${source}`).toContain(source);
      }
    }
    // The ingest queue is on a named volume: it survives `docker compose down` (not `down -v`).
    expect(compose.services['gateway-ingest'].volumes).toContain('ingest-data:/var/lib/make-otel-gateway');
  });

  it('publishes host ports that do not collide, matching the ports the configs listen on', () => {
    const hostPorts = Object.values<any>(compose.services).flatMap((s) => (s.ports ?? []).map((p: string) => p.split(':')[0]));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    const ingest = parse(readFileSync(mountedConfig('gateway-ingest'), 'utf8'));
    const ports = published('gateway-ingest');
    expect(ports[4317]).toBe(4317);
    expect(ports[4318]).toBe(4318);
    expect(ingest.receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(ingest.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(ports[13133]).toBeDefined();
    expect(published('gateway-export')[13133]).toBeDefined();
  });

  it('both tiers talk to the compose NATS service, on the same stream and subject', () => {
    const ingest = parse(readFileSync(mountedConfig('gateway-ingest'), 'utf8'));
    const exp = parse(readFileSync(mountedConfig('gateway-export'), 'utf8'));
    expect(ingest.exporters.nats.url).toBe('nats://nats:4222');
    expect(exp.receivers.nats.url).toBe('nats://nats:4222');
    expect(exp.receivers.nats.stream).toBe(ingest.exporters.nats.stream);
    expect(exp.receivers.nats.subject).toBe(ingest.exporters.nats.subject);
    expect(ingest.exporters.nats.sending_queue.storage).toBe('file_storage');
  });

  it('mounts configs that pass the gateway`s own validate', async () => {
    for (const s of ['gateway-ingest', 'gateway-export']) {
      const result = await validateConfigText(readFileSync(mountedConfig(s), 'utf8'));
      expect(result.code, `${s}: ${result.stderr}${result.stdout}`).toBe(0);
    }
  });
});
