import { parseArgs } from 'node:util';
import { fetch, type Response } from 'undici';
import { loadConfig } from '../gateway.js';
import { ADMIN_TOKEN_ENV, adminEndpointOf } from '../queue/remote.js';
import { redact } from '../telemetry/secrets.js';

const USAGE = `Usage: make-otel-gateway tail --config FILE [--where COND] [--pipeline ID] [--processor ID] [--limit N]

Prints the records flowing through a running gateway as JSON lines (one record per line) on
stdout, read from its admin API (GET /api/v1/tail). Notices (records dropped by sampling, why the
tail ended) go to stderr.
  --where COND      an OTTL condition, e.g. 'severity_number >= SEVERITY_NUMBER_WARN'
  --pipeline ID     a logs pipeline (default: logs)
  --processor ID    show the output of this processor instead of the records leaving the receivers
  --limit N         stop after N records

Exit codes: 0 ended (limit, gateway shutdown, Ctrl-C), 1 refused, unreachable or cut off, 2 usage error.`;

/** `make-otel-gateway tail`: a thin client of the admin API's live tail (README, "Live tail and status page"). */
export async function tailCommand(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', multiple: true, short: 'c' },
        set: { type: 'string', multiple: true },
        where: { type: 'string' },
        pipeline: { type: 'string' },
        processor: { type: 'string' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.config?.length) {
    process.stderr.write(`missing --config FILE\n\n${USAGE}\n`);
    return 2;
  }
  if (values.limit !== undefined && !/^\d+$/.test(values.limit)) {
    process.stderr.write(`--limit: expected a whole number, got "${values.limit}"\n`);
    return 2;
  }
  // The same lookup as the queue CLI's: endpoint of the admin extension, token from its
  // bearertokenauth extension or MAKE_OTEL_GATEWAY_ADMIN_TOKEN.
  const endpoint = adminEndpointOf(loadConfig(values.config, process.env, values.set ?? []));
  if (endpoint === undefined) {
    process.stderr.write('tail: the configuration has no admin extension in service.extensions (the live tail is served by it)\n');
    return 1;
  }
  const query = new URLSearchParams({ format: 'jsonl' });
  for (const k of ['pipeline', 'processor', 'where', 'limit'] as const) if (values[k] !== undefined) query.set(k, values[k]!);
  const url = `${endpoint.baseUrl}/api/v1/tail?${query}`;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let res: Response;
  try {
    res = await fetch(url, { headers: endpoint.headers, signal: abort.signal });
  } catch (err) {
    if (abort.signal.aborted) return 0;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    process.stderr.write(`tail: no admin API answering at ${endpoint.baseUrl} (${cause?.code ?? cause?.message ?? (err as Error).message}); is the gateway running with the admin extension?\n`);
    return 1;
  }
  if (res.status !== 200) {
    const text = await res.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      // not JSON: print as is
    }
    const hint = res.status === 401 ? ` (set ${ADMIN_TOKEN_ENV}, or configure the token in the bearertokenauth extension the admin extension names)` : '';
    process.stderr.write(redact(`tail: refused (${res.status}): ${message}${hint}`) + '\n');
    return 1;
  }
  try {
    return await printLines(res);
  } catch (err) {
    if (abort.signal.aborted) return 0;
    process.stderr.write(`tail: the connection ended: ${(err as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function printLines(res: Response): Promise<number> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of res.body!) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    let out = '';
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n')) {
      const line = text.slice(0, i);
      text = text.slice(i + 1);
      const event = line.startsWith('{"event":') ? (JSON.parse(line) as { event: string; code?: string; reason?: string; dropped?: number }) : undefined;
      if (event === undefined) {
        out += `${line}\n`;
        continue;
      }
      if (out !== '') await write(out);
      out = '';
      if (event.event === 'dropped') process.stderr.write(`tail: ${event.dropped} records dropped so far (sampled under load)\n`);
      if (event.event === 'end') {
        process.stderr.write(`tail: ended: ${event.reason}\n`);
        return event.code === 'slow_subscriber' ? 1 : 0;
      }
    }
    if (out !== '') await write(out);
  }
  return 0;
}

/** Waits for stdout to take the lines: a slow pipe (`| less`) slows the client, not the gateway. */
function write(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}
