import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { defaultRegistry } from '../../src/registry.js';

/** `make_exports` is validated at start like every component: errors name the key path. */
const base = (jobs: unknown[]) => ({
  extensions: { file_storage: { directory: '/tmp/x' }, make_exports: { jobs } },
  receivers: { make: { api_token: 'tok-abcdef', zone: 'eu1.make.com', team_id: 1 } },
  exporters: { debug: {} },
  service: { extensions: ['file_storage', 'make_exports'], pipelines: { logs: { receivers: ['make'], exporters: ['debug'] } } },
});
const job = { name: 'nightly', schedule: '0 2 * * *', range: '24h', out: '/tmp/out' };

describe('make_exports config', () => {
  it('accepts a job with a cron, a range and an output', () => {
    expect(() => validateConfig(base([job, { ...job, name: 'hourly', schedule: '0 * * * *', timezone: 'Europe/Prague', format: 'parquet', compression: 'zstd', status: ['error'] }]), defaultRegistry)).not.toThrow();
  });

  it('names the key of a bad cron, a bad range, a missing output and a duplicate name', () => {
    const cases: [unknown[], RegExp][] = [
      [[{ ...job, schedule: 'every night' }], /extensions\.make_exports\.jobs\[0\]\.schedule: not a valid cron/],
      [[{ ...job, range: '24 hours' }], /extensions\.make_exports\.jobs\[0\]\.range/],
      [[{ ...job, out: undefined }], /set exactly one of out/],
      [[{ ...job, exporter: 'debug' }], /set exactly one of out/],
      [[job, job], /job name "nightly" is used twice/],
      [[{ ...job, formt: 'csv' }], /jobs\[0\]\.formt: unknown key/],
      [[{ ...job, where: ['attributes["x" =='] }], /jobs\[0\]: where\[0\]: unexpected token/],
    ];
    for (const [jobs, message] of cases) expect(() => validateConfig(base(jobs), defaultRegistry)).toThrow(message);
  });
});
