import { loadConfig } from './gateway.js';
import { queueTargets, runQueueCommand } from './queue/cli.js';

/**
 * `make-otel-gateway queue ...`: inspects and repairs the persistent queues of a configuration
 * while the gateway is stopped (stats, dead-letter list / replay / purge).
 */
export async function queueCommand(args: string[], configs: string[], exporter?: string): Promise<number> {
  const targets = queueTargets(loadConfig(configs));
  return runQueueCommand(exporter ? [...args, '--exporter', exporter] : args, targets, (line) => process.stdout.write(line + '\n'));
}
