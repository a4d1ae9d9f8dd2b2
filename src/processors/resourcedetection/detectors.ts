import { lookup, lookupService } from 'node:dns/promises';
import { arch, hostname, platform } from 'node:os';
import type { ResourceDetectionConfig } from './config.js';

/**
 * The `env` and `system` detectors. `env` reads OTEL_RESOURCE_ATTRIBUTES (`k=v,k2=v2`, values
 * percent-decoded, as the OpenTelemetry spec writes it). `system` gives `host.name` from the first
 * `hostname_sources` entry that answers (`dns`/`cname`/`lookup`: the fully qualified name through
 * the resolver; `os`: the kernel's hostname), `os.type` (linux, darwin, windows...) and, when
 * enabled in `resource_attributes`, `host.arch`.
 */

export type Detected = Record<string, string>;

export function detectEnv(env: NodeJS.ProcessEnv = process.env): Detected {
  const out: Detected = {};
  const raw = env.OTEL_RESOURCE_ATTRIBUTES?.trim();
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new Error(`OTEL_RESOURCE_ATTRIBUTES: expected key=value, got ${JSON.stringify(pair)}`);
    out[decodeURIComponent(pair.slice(0, i).trim())] = decodeURIComponent(pair.slice(i + 1).trim());
  }
  return out;
}

const GO_OS: Record<string, string> = { win32: 'windows', sunos: 'solaris' };

async function fqdn(): Promise<string | undefined> {
  const { address } = await lookup(hostname());
  const { hostname: name } = await lookupService(address, 0);
  return name || undefined;
}

export async function detectSystem(c: ResourceDetectionConfig['system']): Promise<Detected> {
  const enabled = (attr: string, byDefault: boolean) => c.resource_attributes[attr]?.enabled ?? byDefault;
  const out: Detected = {};
  if (enabled('host.name', true)) {
    for (const source of c.hostname_sources) {
      const name = source === 'os' ? hostname() : await fqdn().catch(() => undefined);
      if (name) {
        out['host.name'] = name;
        break;
      }
    }
  }
  if (enabled('os.type', true)) out['os.type'] = GO_OS[platform()] ?? platform();
  if (enabled('host.arch', false)) out['host.arch'] = arch() === 'x64' ? 'amd64' : arch();
  return out;
}
