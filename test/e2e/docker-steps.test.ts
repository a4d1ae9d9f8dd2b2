import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

/**
 * No Docker engine runs here, so the Dockerfile's own steps are replayed outside Docker: the
 * runtime image's contents (production dependencies only, dist/, package.json,
 * otel-config.yaml) in a directory of their own, started with the image's ENTRYPOINT, and probed
 * with the image's HEALTHCHECK command.
 */
const dir = mkdtempSync(join(tmpdir(), 'image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Dockerfile, replayed outside Docker', () => {
  it('declares the multi-stage build the image needs', () => {
    expect(dockerfile).toMatch(/^FROM node:\d+-\S*slim AS /m);
    expect(dockerfile).toContain('RUN npm ci --omit=dev');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^EXPOSE 4317 4318 13133 8888$/m);
    expect(dockerfile).toMatch(/^VOLUME /m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/cli.js"]');
  });

  it('installs production dependencies only, starts on otel-config.yaml and passes its HEALTHCHECK', async () => {
    for (const f of ['package.json', 'package-lock.json', 'otel-config.yaml']) cpSync(join(root, f), join(dir, f));
    cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    // `npm ci --omit=dev` would compile better-sqlite3 again (a minute here); pruning a copy of the
    // installed tree down to the production dependencies gives the image's node_modules.
    cpSync(join(root, 'node_modules'), join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    await run('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund', '--offline'], { cwd: dir, timeout: 120_000 });
    await expect(run(process.execPath, ['-e', "import('vitest').then(()=>process.exit(1),()=>process.exit(0))"], { cwd: dir })).resolves.toBeDefined();

    // The image's default config, with ports moved so the test does not collide with anything.
    const [grpc, http, health, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const shipped = readFileSync(join(root, 'otel-config.yaml'), 'utf8');
    const config = writeConfig(
      shipped
        .replace('0.0.0.0:4317', `127.0.0.1:${grpc}`)
        .replace('0.0.0.0:4318', `127.0.0.1:${http}`)
        .replace('0.0.0.0:13133', `127.0.0.1:${health}`)
        .replace('0.0.0.0:8888', `127.0.0.1:${metrics}`),
    );
    const child = spawn(process.execPath, ['dist/cli.js', '--config', config], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      for (let i = 0; i < 300 && !stderr.includes('everything is ready'); i++) {
        if (child.exitCode !== null) throw new Error(`exited: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const healthcheck = /HEALTHCHECK[\s\S]*?CMD node -e "([^"]+)"/.exec(dockerfile)![1].replace('13133', String(health));
      const probe = await run(process.execPath, ['-e', healthcheck], { cwd: dir }).then(() => 0, (e: { code: number }) => e.code);
      expect(probe).toBe(0);
      const res = await fetch(`http://127.0.0.1:${http}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceLogs":[]}' });
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
  });
});
