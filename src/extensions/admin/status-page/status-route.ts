import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Hono } from 'hono';
import type { AdminContext } from '../context.js';
import { makeScenarios } from './make-scenarios.js';
import { PAGE_CSS } from './page-css.js';
import { pageHtml } from './page-html.js';
import { PAGE_SCRIPT } from './page-script.js';

/**
 * The status page at `/` of the admin server (README, "Live tail and status page"). The page and
 * its assets hold no data, so they are served without auth; every number on it comes from
 * `/api/v1/...`, which the admin server guards. uPlot is served from our own node_modules: the page
 * makes no request to any other origin, and its Content-Security-Policy says so to the browser.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const require = createRequire(import.meta.url);

interface Asset {
  type: string;
  body: string;
}

function assets(): Map<string, Asset> {
  const uplot = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  return new Map([
    ['/assets/status.js', { type: 'text/javascript; charset=utf-8', body: PAGE_SCRIPT }],
    ['/assets/status.css', { type: 'text/css; charset=utf-8', body: PAGE_CSS }],
    ['/assets/uplot.iife.min.js', { type: 'text/javascript; charset=utf-8', body: uplot('uPlot.iife.min.js') }],
    ['/assets/uplot.min.css', { type: 'text/css; charset=utf-8', body: uplot('uPlot.min.css') }],
  ]);
}

export function mountStatusPage(app: Hono<any>, ctx: Pick<AdminContext, 'version' | 'telemetry' | 'gateway'>): void {
  const files = assets();
  const html = pageHtml(ctx.version);
  const headers = (type: string) => ({ 'content-type': type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' });
  app.get('/', (c) => c.body(html, 200, headers('text/html; charset=utf-8')));
  // Browsers ask for it on their own; an empty answer keeps the console and the logs quiet.
  app.get('/favicon.ico', (c) => c.body(null, 204));
  for (const [path, asset] of files) app.get(path, (c) => c.body(asset.body, 200, headers(asset.type)));
  app.get('/api/v1/make/scenarios', async (c) => {
    const configured = ctx.gateway.pipelines().some((p) => p.receivers.some((r) => r.id.split('/')[0] === 'make'));
    return c.json({ configured, scenarios: await makeScenarios(ctx.telemetry.registry) });
  });
}
