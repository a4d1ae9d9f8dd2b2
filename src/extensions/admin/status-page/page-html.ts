/**
 * The status page's one HTML document. Server-rendered shell: the data comes from the admin API
 * (`/api/v1/...`), fetched by status-script.ts with the token the login form keeps in
 * sessionStorage. Everything it loads is served by the admin server itself (no CDN, no fonts),
 * and the Content-Security-Policy in status-route.ts forbids anything else.
 */
export function pageHtml(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>make-otel-gateway status</title>
<link rel="stylesheet" href="/assets/uplot.min.css">
<link rel="stylesheet" href="/assets/status.css">
</head>
<body>
<header>
  <h1>make-otel-gateway <span class="muted">${escapeHtml(version)}</span></h1>
  <div id="summary" class="muted"></div>
  <button id="logout" hidden>Log out</button>
</header>
<main>
  <form id="login" hidden>
    <h2>Log in</h2>
    <p class="muted">The admin API asks for credentials: the bearer token of the admin extension's authenticator, or user:password when it is basicauth.</p>
    <label>Token <input id="token" name="token" type="password" autocomplete="current-password" required></label>
    <button type="submit">Log in</button>
    <p id="login-error" class="error" role="alert"></p>
  </form>
  <div id="dashboard" hidden>
    <section><h2>Pipelines</h2><div id="pipelines"></div></section>
    <section><h2>Exporters, last 15 minutes</h2><div id="charts" class="charts"></div></section>
    <section><h2>Dead letters</h2><div id="dead-letters"></div></section>
    <section id="make-section" hidden><h2>Make scenarios</h2><div id="make"></div></section>
    <section>
      <h2>Live tail</h2>
      <form id="tail-form" class="row">
        <select id="tail-pipeline" aria-label="pipeline"></select>
        <input id="tail-where" placeholder='where, e.g. severity_number >= SEVERITY_NUMBER_WARN' aria-label="where">
        <button id="tail-toggle" type="submit">Start</button>
      </form>
      <div id="tail-status" class="muted"></div>
      <pre id="tail-output"></pre>
    </section>
  </div>
</main>
<script src="/assets/uplot.iife.min.js"></script>
<script src="/assets/status.js"></script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
