/**
 * The status page's script, served as `/assets/status.js`: plain browser JavaScript (no build
 * step), kept in a TypeScript string so `tsc` ships it in dist/ with the rest. It only calls the
 * admin API of the origin it came from, with the token from the login form in sessionStorage.
 */
export const PAGE_SCRIPT = String.raw`(() => {
'use strict';
const TOKEN_KEY = 'make-otel-gateway.admin-token';
const REFRESH_MS = 5000;
const $ = (id) => document.getElementById(id);
const el = (tag, attrs, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else if (v !== undefined) e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
};

class Unauthorized extends Error {}

/** A bearer token, or user:password for a basicauth authenticator (sent as Basic). */
function authHeaders() {
  const t = sessionStorage.getItem(TOKEN_KEY);
  if (!t) return {};
  if (/^(Bearer|Basic) /.test(t)) return { authorization: t };
  if (/^[^\s:]+:[^\s]*$/.test(t) && !/^[A-Za-z0-9._~+\/-]+=*$/.test(t)) return { authorization: 'Basic ' + btoa(t) };
  return { authorization: 'Bearer ' + t };
}

async function api(path, init) {
  const res = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init && init.headers) } });
  if (res.status === 401 || res.status === 403) throw new Unauthorized('unauthorized');
  const text = await res.text();
  const body = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new Error((body && body.error && body.error.message) || res.status + ' ' + res.statusText);
  return body;
}

// ---- login ------------------------------------------------------------------------------------
function showLogin(message) {
  $('dashboard').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  await refresh(true);
});
$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  stopTail();
  showLogin('');
});

// ---- pipelines --------------------------------------------------------------------------------
function node(c, kind) {
  return el('div', { class: 'node ' + (c.state || ''), 'data-kind': kind, 'data-id': c.id, title: kind + ' ' + c.id + ': ' + (c.state || '?') }, c.id, el('small', {}, kind + ' · ' + (c.state || '?')));
}

function renderPipelines(status) {
  const box = $('pipelines');
  box.replaceChildren(...(status.pipelines || []).map((p) => {
    const flow = el('div', { class: 'flow' });
    const stages = [el('div', { class: 'stage' }, (p.receivers || []).map((r) => node(r, 'receiver')))];
    for (const proc of p.processors || []) stages.push(el('div', { class: 'stage' }, node(proc, 'processor')));
    stages.push(el('div', { class: 'stage' }, (p.exporters || []).map((x) => node(x, 'exporter'))));
    stages.forEach((s, i) => { if (i > 0) flow.append(el('span', { class: 'arrow' }, '→')); flow.append(s); });
    return el('div', { class: 'pipeline', 'data-pipeline': p.id }, el('h3', {}, 'pipeline ' + p.id), flow);
  }));
  const sel = $('tail-pipeline');
  const ids = (status.pipelines || []).map((p) => p.id).filter((id) => id.split('/')[0] === 'logs');
  if (sel.options.length !== ids.length) sel.replaceChildren(...ids.map((id) => el('option', { value: id }, id)));
  const up = status.uptimeSeconds !== undefined ? ' · up ' + Math.round(status.uptimeSeconds) + ' s' : '';
  $('summary').textContent = (status.state || '') + up + (status.configHash ? ' · config ' + String(status.configHash).slice(0, 12) : '');
}

// ---- charts -----------------------------------------------------------------------------------
const charts = new Map();

/** { exporterId: { throughput: [{t,v}], queue: [{t,v}] } } from GET /api/v1/series. */
function exporterSeries(body) {
  const out = {};
  for (const s of body.series || []) {
    if (s.kind !== 'exporter') continue;
    const kind = s.metric === 'queue_size' ? 'queue' : s.metric === 'sent_records_per_second' ? 'throughput' : undefined;
    if (!kind) continue;
    (out[s.id] = out[s.id] || {})[kind] = s.points || [];
  }
  return out;
}

function renderCharts(body) {
  const box = $('charts');
  const data = exporterSeries(body);
  for (const [id, s] of Object.entries(data)) {
    const times = [...new Set([...(s.throughput || []), ...(s.queue || [])].map((p) => p.t))].sort((a, b) => a - b);
    const at = (pts) => { const m = new Map((pts || []).map((p) => [p.t, p.v])); return times.map((t) => (m.has(t) ? m.get(t) : null)); };
    const series = [times.map((t) => t / 1000), at(s.throughput), at(s.queue)];
    const total = series[1].reduce((a, v) => a + (v || 0), 0) + series[2].reduce((a, v) => a + (v || 0), 0);
    let c = charts.get(id);
    if (!c) {
      const holder = el('div', { class: 'chart', 'data-exporter': id });
      holder.append(el('h3', {}, 'exporter ' + id));
      const plotBox = el('div');
      holder.append(plotBox);
      box.append(holder);
      const plot = new uPlot({
        width: 400, height: 180,
        scales: { x: { time: true }, q: {} },
        series: [{}, { label: 'sent records/s', stroke: '#2f6fdf', width: 2 }, { label: 'queue depth', stroke: '#e08a1e', width: 2, scale: 'q' }],
        axes: [{}, { label: 'records/s' }, { side: 1, scale: 'q', label: 'queued', grid: { show: false } }],
      }, series, plotBox);
      c = { holder, plot };
      charts.set(id, c);
    } else {
      c.plot.setData(series);
    }
    c.holder.dataset.points = String(times.length);
    c.holder.dataset.total = String(total);
  }
}

// ---- dead letters -----------------------------------------------------------------------------
async function renderDeadLetters(status) {
  const box = $('dead-letters');
  const exporters = [...new Set((status.pipelines || []).flatMap((p) => (p.exporters || []).map((x) => x.id)))];
  const parts = [];
  for (const id of exporters) {
    let body;
    try { body = await api('/api/v1/exporters/' + encodeURIComponent(id) + '/dead-letters?limit=50'); } catch (e) { if (e instanceof Unauthorized) throw e; continue; }
    const items = body.deadLetters || [];
    const rows = items.map((d) => el('tr', { 'data-dead-letter': String(d.id) },
      el('td', {}, el('input', { type: 'checkbox', value: String(d.id), 'aria-label': 'select dead letter ' + d.id })),
      el('td', {}, String(d.id)), el('td', {}, String(d.records ?? '')), el('td', {}, d.time || ''),
      el('td', {}, d.reason || ''), el('td', { class: 'preview' }, d.preview ?? '')));
    const selected = () => [...box.querySelectorAll('[data-exporter-dl="' + id + '"] input[type=checkbox]:checked')].map((c) => Number(c.value));
    const act = async (what) => {
      const ids = selected();
      const scope = ids.length ? { ids } : { all: true };
      if (what === 'purge' && !confirm('Purge ' + (ids.length ? ids.length + ' selected' : 'all') + ' dead letters of ' + id + '? They are deleted for good.')) return;
      try {
        const path = '/api/v1/exporters/' + encodeURIComponent(id) + '/dead-letters';
        const result = what === 'replay'
          ? await api(path + '/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scope) })
          : await api(path + '?' + (ids.length ? 'ids=' + ids.join(',') : 'all=true'), { method: 'DELETE' });
        note.textContent = what + ': ' + JSON.stringify(result);
      } catch (e) { note.textContent = what + ' failed: ' + e.message; }
      await refresh();
    };
    const note = el('span', { class: 'muted', 'data-role': 'result' });
    parts.push(el('div', { 'data-exporter-dl': id },
      el('h3', {}, 'exporter ' + id + ' · ' + (body.total ?? items.length) + ' dead letter' + ((body.total ?? items.length) === 1 ? '' : 's')),
      items.length ? el('table', {}, el('thead', {}, el('tr', {}, ['', 'id', 'records', 'failed', 'reason', 'first record'].map((h) => el('th', {}, h)))), el('tbody', {}, rows)) : el('p', { class: 'muted' }, 'none'),
      el('div', { class: 'row' },
        el('button', { type: 'button', 'data-action': 'replay', disabled: items.length ? undefined : '', onclick: () => act('replay') }, 'Replay (selected, or all)'),
        el('button', { type: 'button', 'data-action': 'purge', disabled: items.length ? undefined : '', onclick: () => act('purge') }, 'Purge (selected, or all)'),
        note)));
  }
  box.replaceChildren(...(parts.length ? parts : [el('p', { class: 'muted' }, 'No exporter keeps dead letters (they need a persistent sending queue).')]));
}

// ---- Make -------------------------------------------------------------------------------------
async function renderMake() {
  let body;
  try { body = await api('/api/v1/make/scenarios'); } catch (e) { if (e instanceof Unauthorized) throw e; return; }
  const rows = body.scenarios || [];
  $('make-section').hidden = rows.length === 0 && !body.configured;
  $('make').replaceChildren(el('table', {},
    el('thead', {}, el('tr', {}, ['receiver', 'scenario', 'lag', 'executions', 'errors'].map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.map((s) => el('tr', { 'data-scenario': s.scenario_id },
      el('td', {}, s.receiver), el('td', {}, s.scenario_id),
      el('td', {}, s.lag_seconds === null ? '–' : Math.round(s.lag_seconds) + ' s'),
      el('td', {}, String(s.executions)), el('td', { class: s.errors ? 'error' : '' }, String(s.errors)))))));
}

// ---- live tail --------------------------------------------------------------------------------
let tailAbort;
const TAIL_LINES = 200;

function stopTail() {
  if (tailAbort) tailAbort.abort();
  tailAbort = undefined;
  $('tail-toggle').textContent = 'Start';
}

$('tail-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (tailAbort) { stopTail(); return; }
  const q = new URLSearchParams({ pipeline: $('tail-pipeline').value || 'logs' });
  if ($('tail-where').value.trim()) q.set('where', $('tail-where').value.trim());
  tailAbort = new AbortController();
  $('tail-toggle').textContent = 'Stop';
  $('tail-status').textContent = 'connecting…';
  const out = $('tail-output');
  try {
    // EventSource cannot send the token header: read the SSE stream through fetch instead.
    const res = await fetch('/api/v1/tail?' + q, { headers: authHeaders(), signal: tailAbort.signal });
    if (!res.ok) { const b = await res.json().catch(() => ({})); throw new Error((b.error && b.error.message) || res.status); }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      for (let i = text.indexOf('\n\n'); i >= 0; i = text.indexOf('\n\n')) {
        const block = text.slice(0, i); text = text.slice(i + 2);
        const event = (/^event: (.*)$/m.exec(block) || [])[1];
        const data = JSON.parse((/^data: (.*)$/m.exec(block) || [])[1] || 'null');
        if (event === 'record') {
          out.append(JSON.stringify(data) + '\n');
          while (out.childNodes.length > TAIL_LINES) out.removeChild(out.firstChild);
          out.scrollTop = out.scrollHeight;
        } else if (event === 'ready') $('tail-status').textContent = 'tailing ' + data.pipeline + (data.where ? ' where ' + data.where : '');
        else if (event === 'dropped') $('tail-status').textContent = data.dropped + ' records dropped so far (sampled under load)';
        else if (event === 'end') $('tail-status').textContent = 'ended: ' + data.reason;
      }
    }
  } catch (err) {
    if (err.name !== 'AbortError') $('tail-status').textContent = 'tail failed: ' + err.message;
  }
  tailAbort = undefined;
  $('tail-toggle').textContent = 'Start';
});

// ---- refresh loop -----------------------------------------------------------------------------
let timer;
async function refresh(fromLogin) {
  clearTimeout(timer);
  try {
    const status = await api('/api/v1/status');
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('logout').hidden = !sessionStorage.getItem(TOKEN_KEY);
    renderPipelines(status);
    renderCharts(await api('/api/v1/series'));
    await renderDeadLetters(status);
    await renderMake();
  } catch (e) {
    if (e instanceof Unauthorized) { showLogin(fromLogin ? 'That token was refused.' : ''); return; }
    $('summary').textContent = 'refresh failed: ' + e.message;
  }
  timer = setTimeout(refresh, REFRESH_MS);
}
refresh(false);
})();
`;
