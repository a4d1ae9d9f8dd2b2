import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';

/**
 * CORS with confighttp's `cors` keys, for every HTTP listener a browser talks to (the OTLP/HTTP
 * receiver, so browser SDKs can send to the gateway; the admin API's hono app reads the same
 * schema and origin rule):
 * `allowed_origins` (exact, `*` for any, or one `*` inside, e.g. `https://*.example.com`),
 * `allowed_headers` (beyond those every OTLP request needs; `*` for any) and `max_age` (seconds a
 * browser may cache a preflight answer). A preflight (OPTIONS with `Access-Control-Request-Method`)
 * is answered 204 on any path, with the allowing headers only when the origin, the method (POST)
 * and every requested header are allowed, as Go's rs/cors behind the Collector does; an allowed
 * origin's POST gets `Access-Control-Allow-Origin` on its answer, refusals included, so the page
 * can read the status.
 */

export const corsSchema = z
  .strictObject({
    allowed_origins: z.array(z.string().min(1)).default([]),
    allowed_headers: z.array(z.string().min(1)).default([]),
    max_age: z.number().int().min(0).default(0),
  })
  .optional();

export type CorsConfig = z.output<typeof corsSchema>;

/** What an OTLP request sends besides the CORS-safelisted headers. */
const ALWAYS_ALLOWED_HEADERS = ['accept', 'accept-language', 'content-language', 'content-type', 'content-encoding', 'x-requested-with'];

export class CorsPolicy {
  private readonly anyOrigin: boolean;
  private readonly origins: RegExp[];
  private readonly anyHeader: boolean;
  private readonly headers: Set<string>;

  constructor(private readonly config: NonNullable<CorsConfig>) {
    this.anyOrigin = config.allowed_origins.includes('*');
    this.origins = config.allowed_origins.filter((o) => o !== '*').map(originPattern);
    this.anyHeader = config.allowed_headers.includes('*');
    this.headers = new Set([...ALWAYS_ALLOWED_HEADERS, ...config.allowed_headers.map((h) => h.toLowerCase())]);
  }

  /** When `req` is a preflight, answers it (204) and returns true. */
  preflight(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.headers['access-control-request-method'];
    if (req.method !== 'OPTIONS' || method === undefined) return false;
    res.setHeader('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    const origin = req.headers.origin;
    const requested = (req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h.length > 0);
    const allowed = origin ? this.allowedOrigin(origin) : undefined;
    if (allowed && method.toUpperCase() === 'POST' && requested.every((h) => this.anyHeader || this.headers.has(h))) {
      res.setHeader('Access-Control-Allow-Origin', allowed);
      res.setHeader('Access-Control-Allow-Methods', 'POST');
      if (requested.length > 0) res.setHeader('Access-Control-Allow-Headers', requested.join(', '));
      if (this.config.max_age > 0) res.setHeader('Access-Control-Max-Age', String(this.config.max_age));
    }
    res.writeHead(204);
    res.end();
    req.resume();
    return true;
  }

  /** Lets the page that sent an actual request read its answer, when its origin is allowed. */
  decorate(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (!origin) return;
    res.setHeader('Vary', 'Origin');
    const allowed = this.allowedOrigin(origin);
    if (allowed) res.setHeader('Access-Control-Allow-Origin', allowed);
  }

  /** What `Access-Control-Allow-Origin` says to `origin`: `*`, the origin itself, or nothing. */
  allowedOrigin(origin: string): string | undefined {
    if (this.anyOrigin) return '*';
    const o = origin.toLowerCase();
    return this.origins.some((p) => p.test(o)) ? origin : undefined;
  }
}

function originPattern(origin: string): RegExp {
  const escaped = origin
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${escaped}$`);
}
