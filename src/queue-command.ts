/**
 * `make-otel-gateway queue ...`: inspects and repairs the persistent queues of a configuration while
 * the gateway is stopped. Wired to the queue module's command runner once it lands.
 */
export async function queueCommand(args: string[], _configs: string[], _exporter?: string): Promise<number> {
  process.stderr.write(`queue ${args.join(' ')}: the persistent queue is not available in this build\n`);
  return 1;
}
