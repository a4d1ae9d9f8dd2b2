import { describe, expect, it } from 'vitest';
import { makeReceiverFactory } from '../../../src/receivers/make/factory.js';
import { apiBaseUrl, zoneName } from '../../../src/receivers/make/config.js';
import { readConfigFiles } from '../../../src/config/load.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const parse = (c: unknown) => makeReceiverFactory.schema.safeParse(c);
const messages = (c: unknown) => {
  const r = parse(c);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('make receiver config', () => {
  it('registers as receiver type "make"', () => {
    expect(makeReceiverFactory.kind).toBe('receiver');
    expect(makeReceiverFactory.type).toBe('make');
  });

  it('fills the documented defaults', () => {
    const r = parse({ api_token: 't0ken', zone: 'eu1.make.com', team_id: 27 });
    expect(r.success).toBe(true);
    expect(r.data).toMatchObject({ poll_interval: 60_000, initial_lookback: 24 * 3_600_000, service_name: 'make' });
    expect(r.data!.requests_per_minute).toBeUndefined();
    expect(apiBaseUrl(r.data!)).toBe('https://eu1.make.com/api/v2');
    expect(zoneName(r.data!)).toBe('eu1.make.com');
  });

  it('reads durations, ids given as strings (env expansion) and the webhook block', () => {
    const r = parse({
      api_token: 't0ken',
      base_url: 'https://make.example.internal/api/v2/',
      organization_id: '21',
      scenarios: ['1229', 1230],
      poll_interval: '30s',
      initial_lookback: '2h',
      requests_per_minute: 120,
      storage: 'file_storage/make',
      webhook: { endpoint: '0.0.0.0:8088', api_key: 'hook-key' },
    });
    expect(r.success).toBe(true);
    expect(r.data).toMatchObject({ organization_id: 21, scenarios: [1229, 1230], poll_interval: 30_000, initial_lookback: 7_200_000 });
    expect(r.data!.webhook).toMatchObject({ endpoint: { host: '0.0.0.0', port: 8088 }, path: '/', api_key: 'hook-key' });
    expect(apiBaseUrl(r.data!)).toBe('https://make.example.internal/api/v2');
    expect(zoneName(r.data!)).toBe('make.example.internal');
  });

  it('accepts a webhook-only receiver (no polling)', () => {
    expect(parse({ webhook: { endpoint: '127.0.0.1:8088', api_key: 'k3y!' } }).success).toBe(true);
  });

  it('refuses an unknown key, naming it', () => {
    expect(messages({ api_token: 't', zone: 'eu1.make.com', team_id: 1, poll_intervall: '5s' }).join('\n')).toMatch(/poll_intervall/);
  });

  it('refuses both zone and base_url, and neither when polling', () => {
    expect(messages({ api_token: 't', zone: 'eu1.make.com', base_url: 'https://x/api/v2', team_id: 1 }).join()).toMatch(/either zone or base_url/);
    expect(messages({ api_token: 't', team_id: 1 }).join()).toMatch(/zone/);
  });

  it('refuses an unknown zone', () => {
    expect(messages({ api_token: 't', zone: 'eu9.make.com', team_id: 1 }).join()).toMatch(/^zone/);
  });

  it('needs team_id or organization_id when polling', () => {
    expect(messages({ api_token: 't', zone: 'eu1.make.com' }).join()).toMatch(/team_id or organization_id/);
  });

  it('needs api_token or webhook', () => {
    expect(messages({ zone: 'eu1.make.com', team_id: 1 }).join()).toMatch(/api_token.*webhook/);
  });

  it('refuses a bare number as poll_interval and a non-integer id', () => {
    expect(messages({ api_token: 't', zone: 'eu1.make.com', team_id: 1, poll_interval: 60 }).join()).toMatch(/poll_interval/);
    expect(messages({ api_token: 't', zone: 'eu1.make.com', team_id: 'abc' }).join()).toMatch(/team_id: expected a positive integer id/);
  });

  it('accepts the make receiver block of examples/make-to-otlp.yaml', () => {
    const env = { MAKE_API_TOKEN: 'tok-123456', MAKE_TEAM_ID: '27', MAKE_WEBHOOK_KEY: 'hook-123456', OTLP_ENDPOINT: 'https://otlp.example.com:4318' };
    const doc = readConfigFiles(['examples/make-to-otlp.yaml'], env) as { receivers: { make: unknown } };
    const r = parse(doc.receivers.make);
    expect(r.error?.issues ?? []).toEqual([]);
    expect(r.data).toMatchObject({ team_id: 27, storage: 'file_storage', webhook: { path: '/make' } });
  });

  it('lets a later --config switch from zone to base_url with zone: null', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mog-make-zone-'));
    writeFileSync(join(dir, 'a.yaml'), 'receivers:\n  make:\n    api_token: t0ken\n    zone: eu1.make.com\n    team_id: 27\n');
    writeFileSync(join(dir, 'b.yaml'), 'receivers:\n  make:\n    zone: null\n    base_url: https://make.example.internal/api/v2\n');
    const doc = readConfigFiles([join(dir, 'a.yaml'), join(dir, 'b.yaml')], {}) as { receivers: { make: unknown } };
    rmSync(dir, { recursive: true, force: true });
    const r = parse(doc.receivers.make);
    expect(r.error?.issues ?? []).toEqual([]);
    expect(apiBaseUrl(r.data!)).toBe('https://make.example.internal/api/v2');
    expect(zoneName(r.data!)).toBe('make.example.internal');
  });

  it('reads audit_logs and incomplete_executions, refusing both ids or no id at all', () => {
    const ok = parse({ api_token: 't', zone: 'eu1.make.com', team_id: 27, organization_id: 21, audit_logs: { enabled: true, events: ['scenario_created'] }, incomplete_executions: { enabled: true } });
    expect(ok.error?.issues ?? []).toEqual([]);
    expect(ok.data!.audit_logs).toEqual({ enabled: true, events: ['scenario_created'], include_actor_identity: false });
    expect(messages({ api_token: 't', zone: 'eu1.make.com', team_id: 27, audit_logs: { organization_id: 1, team_id: 2 } }).join()).toMatch(/audit_logs.team_id: set either organization_id or team_id/);
    expect(messages({ zone: 'eu1.make.com', webhook: { endpoint: '127.0.0.1:0', api_key: 'k' }, incomplete_executions: { enabled: true } }).join()).toMatch(/incomplete_executions needs api_token/);
  });
});
