import type { OpenAPIHono } from '@hono/zod-openapi';
import { mountDeadLetterRoutes } from './api/dead-letter-routes.js';
import { mountExporterRoutes } from './api/exporter-routes.js';
import { mountMcp } from './api/mcp-route.js';
import { mountSeriesRoutes } from './api/series-routes.js';
import { mountStatusRoutes } from './api/status-routes.js';
import type { AdminContext } from './context.js';
import { mountStatusPage } from './status-page/status-route.js';
import { mountTail } from './tail-route.js';

/**
 * Everything the admin server serves is a mount: a function that adds routes to the Hono app.
 * The API (`/api/v1/...`), the live tail and the status page each add theirs here; the server
 * (server.ts) applies auth, CORS, body limits and error mapping around all of them.
 * Routes registered with `app.openapi(...)` appear in `/api/v1/openapi.json` and docs/admin-api.md.
 */
export type Mount = (app: OpenAPIHono, ctx: AdminContext) => void;

export const mounts: Mount[] = [
  /* api routes */
  mountStatusRoutes,
  mountExporterRoutes,
  mountDeadLetterRoutes,
  mountSeriesRoutes,
  mountMcp,
  (app, ctx) => mountTail(app, () => ctx.gateway.tail),
  (app, ctx) => mountStatusPage(app, ctx),
];
