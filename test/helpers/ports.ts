import { createServer } from 'node:net';

/**
 * Below Linux's ephemeral range (ip_local_port_range starts at 32768): a port the kernel may also
 * hand to any outgoing connection of a test running beside this one can be taken between this
 * check and the spawned gateway's bind, as happened in CI (EADDRINUSE). Random in this range, a
 * collision needs another listener to pick the same port in the same moment.
 */
const LOW = 20_000;
const HIGH = 32_767;
const ATTEMPTS = 50;
/** Ports this process handed out already: never the same twice. */
const given = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A TCP port free right now on 127.0.0.1 (for configs of spawned gateways, which can't report port 0). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (given.has(port)) continue;
    if (await canListen(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH} in ${ATTEMPTS} tries`);
}
