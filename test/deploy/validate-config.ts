import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/gateway-process.js';

/** Runs the built CLI's `validate` on a config text (as the pod would load it) and returns its result. */
export async function validateConfigText(text: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-config-'));
  try {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, text);
    return await runCli(['validate', '--config', path], env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
