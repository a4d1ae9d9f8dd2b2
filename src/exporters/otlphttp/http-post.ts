import * as http from 'node:http';
import * as https from 'node:https';

/**
 * One POST over node:http(s). Not fetch: the exporter's `tls` block (custom CA, skipping
 * verification, client certificates) needs agent options the global fetch does not expose.
 */

export interface PostResponse {
  status: number;
  headers: Headers;
  /** At most `maxResponseBytes`; a backend's answer is small, and a runaway one must not fill memory. */
  body: Buffer;
}

export interface PostOptions {
  headers: Record<string, string>;
  /** The body, or its parts in order (written out one after another, never joined). */
  body: Uint8Array | readonly Uint8Array[];
  signal: AbortSignal;
  maxResponseBytes: number;
}

function toHeaders(raw: http.IncomingHttpHeaders): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
  }
  return h;
}

export function post(url: URL, agent: http.Agent, options: PostOptions): Promise<PostResponse> {
  const transport = url.protocol === 'https:' ? https : http;
  const parts = options.body instanceof Uint8Array ? [options.body] : options.body;
  const length = parts.reduce((n, part) => n + part.byteLength, 0);
  return new Promise((resolve, reject) => {
    const req = transport.request(url, {
      method: 'POST',
      agent,
      signal: options.signal,
      headers: { ...options.headers, 'Content-Length': String(length) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= options.maxResponseBytes) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: toHeaders(res.headers), body: Buffer.concat(chunks).subarray(0, options.maxResponseBytes) }),
      );
    });
    // Corked (end() uncorks): the parts leave in one writev, not one write each.
    req.cork();
    for (const part of parts) req.write(part);
    req.end();
  });
}
