import { loadConfig } from './gateway.js';
import { parseQueueArgs, queueTargets, runQueueCommand } from './queue/cli.js';
import { runningGatewayPid } from './queue/owner-lock.js';
import { adminEndpointOf, runRemoteQueueCommand } from './queue/remote.js';
import { redact } from './telemetry/secrets.js';

/**
 * `make-otel-gateway queue ...`: inspects and repairs the persistent queues of a configuration
 * (stats, dead-letter list / replay / purge). Where a running gateway owns a queue directory and
 * has the admin extension, it goes through that gateway's admin API (src/queue/remote.ts);
 * otherwise it works on the files (src/queue/cli.ts).
 */
export async function queueCommand(args: string[], configs: string[], exporter?: string, all = false): Promise<number> {
  const config = loadConfig(configs);
  const targets = queueTargets(config);
  // Dead-letter reasons were scrubbed when stored; scrub again with this config's secrets (a reason
  // stored before a secret was configured, or by an older version, must not print it either).
  const print = (line: string) => process.stdout.write(redact(line) + '\n');
  const fullArgs = [...args, ...(exporter ? ['--exporter', exporter] : []), ...(all ? ['--all'] : [])];
  const parsed = parseQueueArgs(fullArgs);
  const endpoint = adminEndpointOf(config);
  if (typeof parsed === 'string' || !endpoint) return runQueueCommand(fullArgs, targets, print);
  const chosen = parsed.exporter ? targets.filter((t) => t.exporterId === parsed.exporter) : targets;
  const remote = chosen.flatMap((t) => {
    const pid = runningGatewayPid(directoryOf(t));
    return pid === undefined ? [] : [{ id: t.exporterId, pid }];
  });
  if (remote.length === 0) return runQueueCommand(fullArgs, targets, print);
  let status = 0;
  for (const r of remote) status = Math.max(status, await runRemoteQueueCommand(parsed.action, [r.id], endpoint, r.pid, print));
  const local = targets.filter((t) => chosen.includes(t) && !remote.some((r) => r.id === t.exporterId));
  if (local.length > 0) status = Math.max(status, await runQueueCommand(fullArgs, local, print));
  return status;
}

/** The queue directory of a target (a path, or the storage extension that owns it). */
function directoryOf(t: object): string {
  const target = t as { directory?: string; storage?: { directory: string } };
  return target.directory ?? target.storage!.directory;
}
