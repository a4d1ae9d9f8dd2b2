import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encode } from '@msgpack/msgpack';
import { FluentForwardClient } from './fluent-forward-client.js';

/** The fake Fluent Bit holds a server to the spec: only `{ack: chunk}` for a chunk it asked for. */
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function server(answer: (chunk: string) => unknown): Promise<number> {
  const s = createServer((socket) => {
    socket.on('data', async (data) => {
      const { decode } = await import('@msgpack/msgpack');
      const msg = decode(data) as unknown[];
      const option = msg.at(-1) as { chunk: string };
      socket.write(encode(answer(option.chunk)));
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as { port: number }).port;
}

describe('fake fluent forward client strictness', () => {
  it('accepts the ack of its own chunk', async () => {
    const client = await FluentForwardClient.connect(await server((chunk) => ({ ack: chunk })));
    await client.message('t', 1, { log: 'x' });
    expect(client.protocolErrors).toEqual([]);
    client.close();
  });

  it('fails on an ack for another chunk', async () => {
    const client = await FluentForwardClient.connect(await server(() => ({ ack: 'someone-else' })));
    await expect(client.message('t', 1, { log: 'x' })).rejects.toThrow(/never asked for/);
    client.close();
  });

  it('fails on an answer that is not {ack: chunk}', async () => {
    const client = await FluentForwardClient.connect(await server((chunk) => ({ ack: chunk, extra: 1 })));
    await expect(client.message('t', 1, { log: 'x' })).rejects.toThrow(/other than \{ack: chunk\}/);
    client.close();
  });
});
