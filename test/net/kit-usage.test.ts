import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every non-OTLP listener goes through the server kit (src/net/http-server.ts), so TLS,
 * max_connections, error answers and shutdown are the same everywhere. Only the OTLP receiver
 * keeps its own servers, because it streams bodies through decompression limits: OTLP/HTTP in
 * receivers/otlp/, OTLP/gRPC on the HTTP/2 unary server in transport/grpc/ that only it uses.
 * The fluentforward receiver speaks a TCP protocol (Forward over msgpack), not HTTP: it listens
 * through the kit's TCP listener (src/net/tcp-server.ts).
 */
const SRC = join(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('server kit', () => {
  it('is the only place besides the OTLP receiver that creates a server', () => {
    const creating = files(SRC)
      .filter((f) => /\bcreateServer\b|\bnew\s+(?:http\.|https\.)?Server\s*\(/.test(readFileSync(f, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')))
      .map((f) => relative(SRC, f))
      .filter((f) => !f.startsWith('receivers/otlp/'));
    expect(creating).toEqual(['net/http-server.ts', 'net/tcp-server.ts', 'transport/grpc/unary-server.ts']);
    expect(readFileSync(join(SRC, 'receivers/fluentforward/receiver.ts'), 'utf8')).toContain('startTcpServer(');
    // No listener outside the kit and the OTLP receiver binds a port by other means.
    const listening = files(SRC)
      .filter((f) => /\.listen\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f))
      .filter((f) => !f.startsWith('receivers/otlp/'));
    expect(listening).toEqual(['net/listen.ts', 'transport/grpc/unary-server.ts']);
    // The gRPC server is the OTLP receiver's alone.
    const users = files(SRC).filter((f) => !f.includes('/transport/grpc/') && readFileSync(f, 'utf8').includes('transport/grpc/unary-server.js'));
    expect(users.map((f) => relative(SRC, f))).toEqual(['receivers/otlp/grpc-server.ts']);
  });
});
