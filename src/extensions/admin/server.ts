import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { CorsPolicy } from '../../net/cors.js';
import { HTTPException } from 'hono/http-exception';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendAnswer } from '../../net/answer-unread.js';
import { httpErrorFor, HttpError } from '../../net/http-error.js';
import { redact } from '../../telemetry/secrets.js';
import { API_PREFIX, type ErrorCode } from './api/schemas.js';
import type { AdminConfig } from './config.js';
import type { AdminContext } from './context.js';
import { mounts } from './mounts.js';

/**
 * The admin server's Hono app: CORS (before auth, so a browser's preflight is answered), the auth check in front of `/api/*` and `/mcp`, every mount, the OpenAPI document, and one
 * error mapping: an HttpError keeps its status, a validation failure is 400, anything unforeseen
 * is a 503 with a generic text (its message may hold internals: logged, never answered). The
 * body limit sits in front of Hono (withBodyLimit). Every
 * error body is `{"error":{"code","message"}}`.
 */

/** Admin request bodies are small JSON documents (a dead-letter selection, an MCP call). */
export const ADMIN_MAX_BODY_BYTES = 1024 * 1024;

export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;

const CODES: Record<number, ErrorCode> = { 400: 'bad_request', 401: 'unauthorized', 404: 'not_found', 409: 'conflict', 411: 'length_required', 413: 'payload_too_large' };

export function errorBody(status: number, message: string) {
  return { error: { code: CODES[status] ?? (status === 503 ? 'unavailable' : 'bad_request'), message: redact(message) } };
}

function answer(c: Context, status: number, message: string, headers: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return c.json(errorBody(status, message), status as 400);
}

export function buildAdminApp(ctx: AdminContext, o: { cors?: AdminConfig['cors'] } = {}): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return answer(c, 400, `${where}${issue?.message ?? 'invalid request'}`);
    },
  });
  if (o.cors && o.cors.allowed_origins.length > 0) {
    // hono answers preflights; which origins it allows is the shared rule (exact, "*", or "*" inside).
    const policy = new CorsPolicy(o.cors);
    app.use(
      '*',
      cors({
        origin: (origin) => policy.allowedOrigin(origin) ?? null,
        allowHeaders: ['Authorization', 'Content-Type', ...o.cors.allowed_headers],
        allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
        maxAge: o.cors.max_age || undefined,
      }),
    );
  }
  const authenticate = async (c: Context, next: () => Promise<void>) => {
    const headers = Object.fromEntries(c.req.raw.headers as unknown as Iterable<[string, string]>);
    if (!(await ctx.authenticate(headers))) return answer(c, 401, 'missing or wrong credentials', { 'WWW-Authenticate': 'Bearer realm="make-otel-gateway admin"' });
    await next();
  };
  for (const path of [`${API_PREFIX}/*`, '/mcp']) app.use(path, authenticate);
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminAuth', { type: 'http', scheme: 'bearer', description: 'The token of the bearertokenauth extension named by auth.authenticator (basicauth: HTTP Basic).' });
  for (const mount of mounts) mount(app, ctx);
  app.doc31(OPENAPI_PATH, openApiInfo(ctx.version));
  app.notFound((c) => answer(c, 404, `no route ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return answer(c, err.status, err.message || 'bad request');
    const mapped = httpErrorFor(err);
    if (!(err instanceof HttpError)) ctx.logger.error('admin request failed', { path: new URL(c.req.url).pathname, error: redact((err as Error).message ?? String(err))});
    return answer(c, mapped.status, mapped.message, mapped.headers);
  });
  return app;
}

/**
 * The body limit, applied before Hono sees the request: a body is refused from its declared
 * length (411 without one), and the answer goes out through the server kit's answer-unread.ts, so
 * a client still sending reads the 413 instead of a reset. (Hono's own bodyLimit rebuilds the
 * Request, which needs the global Request this process keeps as undici's.)
 */
export function withBodyLimit(listener: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void, maxBodyBytes: number) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const declared = req.headers['content-length'];
    let refusal: [number, string] | undefined;
    if (declared === undefined && req.headers['transfer-encoding'] !== undefined) refusal = [411, 'send the request body with a Content-Length'];
    else if (declared !== undefined && Number(declared) > maxBodyBytes) refusal = [413, `request body exceeds ${maxBodyBytes} bytes`];
    if (!refusal) return listener(req, res);
    sendAnswer(req, res, { status: refusal[0], headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(errorBody(refusal[0], refusal[1])) }, maxBodyBytes);
  };
}

export function openApiInfo(version: string) {
  return {
    openapi: '3.1.0',
    info: { title: 'make-otel-gateway admin API', version, description: 'The control plane of a running gateway (the admin extension).' },
    security: [{ adminAuth: [] }],
  };
}
