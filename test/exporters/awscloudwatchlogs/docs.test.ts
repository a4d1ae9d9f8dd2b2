import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TRUNCATED_METRIC } from '../../../src/exporters/awscloudwatchlogs/factory.js';
import { CONFIG_KEYS } from '../../../src/exporters/awscloudwatchlogs/config.js';
import { runCli } from '../../helpers/gateway-process.js';

const read = (p: string) => readFileSync(new URL(`../../../${p}`, import.meta.url), 'utf8');

describe('awscloudwatchlogs and Loki docs stay in step with the code', () => {
  it('docs/awscloudwatchlogs.md documents every config key', () => {
    const doc = read('docs/awscloudwatchlogs.md');
    for (const key of CONFIG_KEYS) expect(doc, key).toContain(`\`${key}\``);
  });

  it('the README lists the exporter, the Loki page and the truncation metric', () => {
    const readme = read('README.md');
    expect(readme).toContain('[docs/awscloudwatchlogs.md](docs/awscloudwatchlogs.md)');
    expect(readme).toContain('[docs/loki.md](docs/loki.md)');
    expect(readme).toContain(TRUNCATED_METRIC);
  });

  it('`components` lists awscloudwatchlogs', async () => {
    const r = await runCli(['components']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/awscloudwatchlogs/);
  });
});
