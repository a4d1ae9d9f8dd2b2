import { loadConfig } from './gateway.js';
import { queueTargets, runQueueCommand } from './queue/cli.js';
import { redact } from './telemetry/secrets.js';

/**
 * `make-otel-gateway queue ...`: inspects and repairs the persistent queues of a configuration
 * while the gateway is stopped (stats, dead-letter list / replay / purge).
 */
export async function queueCommand(args: string[], configs: string[], exporter?: string): Promise<number> {
  const targets = queueTargets(loadConfig(configs));
  // Dead-letter reasons were scrubbed when stored; scrub again with this config's secrets (a reason
  // stored before a secret was configured, or by an older version, must not print it either).
  const print = (line: string) => process.stdout.write(redact(line) + '\n');
  return runQueueCommand(exporter ? [...args, '--exporter', exporter] : args, targets, print);
}
