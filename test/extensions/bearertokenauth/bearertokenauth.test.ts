import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BearerTokenAuthExtension, bearerTokenAuthExtensionFactory } from '../../../src/extensions/bearertokenauth/factory.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { redact } from '../../../src/telemetry/secrets.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

const host = { getExtension: () => undefined };

async function make(raw: Record<string, unknown>) {
  const ext = bearerTokenAuthExtensionFactory.create(
    { id: 'bearertokenauth', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
    bearerTokenAuthExtensionFactory.schema.parse(raw),
  ) as BearerTokenAuthExtension;
  await ext.start(host);
  return ext;
}

describe('bearertokenauth extension', () => {
  it('accepts the right token with the Bearer scheme and refuses anything else', async () => {
    const ext = await make({ token: 's3cr3t-token' });
    expect(ext.authenticate({ authorization: 'Bearer s3cr3t-token' })).toBe(true);
    expect(ext.authenticate({ authorization: 'Bearer wrong' })).toBe(false);
    expect(ext.authenticate({ authorization: 's3cr3t-token' })).toBe(false);
    expect(ext.authenticate({})).toBe(false);
    expect(ext.authenticate({ authorization: ['Bearer s3cr3t-token'] })).toBe(true);
  });

  it('honours a custom header and scheme, and any of several tokens', async () => {
    const ext = await make({ tokens: ['tok-one', 'tok-two'], header: 'X-Api-Token', scheme: 'Token' });
    expect(ext.authenticate({ 'x-api-token': 'Token tok-two' })).toBe(true);
    expect(ext.authenticate({ authorization: 'Bearer tok-two' })).toBe(false);
    expect(ext.clientHeaders({ 'User-Agent': 'x' })).toEqual({ 'User-Agent': 'x', 'X-Api-Token': 'Token tok-one' });
  });

  it('reads tokens from filename at start', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bearer-'));
    try {
      const file = path.join(dir, 'token');
      writeFileSync(file, 'file-token-1\n');
      const ext = await make({ filename: file });
      expect(ext.authenticate({ authorization: 'Bearer file-token-1' })).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('registers tokens as secrets so they are redacted from logs', async () => {
    await make({ token: 'never-log-this-token' });
    expect(redact('header was Bearer never-log-this-token')).not.toContain('never-log-this-token');
  });

  it('takes the token sources contrib takes: one required, token and tokens exclusive, filename alongside either', () => {
    const parse = (c: object) => bearerTokenAuthExtensionFactory.schema.safeParse(c).success;
    expect(parse({})).toBe(false);
    expect(parse({ token: 'a-token', tokens: ['b-token'] })).toBe(false);
    expect(parse({ token: 'a-token', filename: '/x' })).toBe(true);
    expect(parse({ tokens: ['a-token'], filename: '/x' })).toBe(true);
  });

  it('uses the file when filename and token are both set (filename wins, as in contrib)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bearer-'));
    try {
      const file = path.join(dir, 'token');
      writeFileSync(file, 'from-the-file\n');
      const ext = await make({ token: 'inline-token', filename: file });
      expect(ext.authenticate({ authorization: 'Bearer from-the-file' })).toBe(true);
      expect(ext.authenticate({ authorization: 'Bearer inline-token' })).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
