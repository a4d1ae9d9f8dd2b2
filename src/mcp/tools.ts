import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ExportService } from '../export/service.js';
import { COMPRESSIONS, FORMATS, STATUSES, type JobInfo } from '../export/job.js';
import { parseRange } from '../export/time-range.js';
import { redact } from '../telemetry/secrets.js';

/**
 * The MCP tools: argument mapping onto ExportService, nothing more (docs/exports.md). Every
 * failure is a tool result with `isError: true` and a message with secrets redacted; a bad call
 * never ends the server.
 */

const time = z.union([z.string(), z.number()]).describe('RFC 3339, epoch ms, "now" or relative like "-24h" / "-7d"');
const timeRange = z.strictObject({ from: time, to: time });

const fileOut = z.strictObject({ path: z.string(), records: z.number(), bytes: z.number(), sha256: z.string() });
const jobOutput = {
  jobId: z.string(),
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  records: z.number(),
  files: z.array(fileOut),
  error: z.string().optional(),
};

function jobResult(job: JobInfo) {
  const structured = { jobId: job.id, state: job.state, records: job.progress.records, files: job.files, ...(job.error ? { error: job.error } : {}) };
  const files = job.files.map((f) => `- ${f.path} (${f.records} records, ${f.bytes} bytes, sha256 ${f.sha256})`).join('\n');
  const dest = job.spec.destination.type === 'exporter' ? ` delivered through exporter ${job.spec.destination.exporter}` : '';
  const text = [
    `Export ${job.id} ${job.state}: ${job.progress.records} records${dest} (${job.progress.scenariosDone}/${job.progress.scenariosTotal} scenarios).`,
    job.error ? `Reason: ${job.error}` : '',
    files ? `Files:\n${files}` : '',
    job.state === 'running' || job.state === 'queued' ? `Still running: ask get_export_status with jobId ${job.id}.` : '',
  ].filter(Boolean).join('\n');
  // A failed job is a failed call for the assistant (bad scenario, Make 401/403, ...).
  return { content: [{ type: 'text' as const, text }], structuredContent: structured, ...(job.state === 'failed' ? { isError: true } : {}) };
}

function json(value: unknown) {
  return { content: [{ type: 'text' as const, text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> };
}

/** Runs a handler; any throw becomes an `isError` result. */
async function guarded<T>(fn: () => Promise<T> | T): Promise<T | { isError: true; content: { type: 'text'; text: string }[] }> {
  try {
    return await fn();
  } catch (err) {
    return { isError: true, content: [{ type: 'text', text: redact(err instanceof Error ? err.message : String(err)) }] };
  }
}

/**
 * `service` may be a getter: the admin extension's MCP endpoint opens the running gateway's export
 * service at the first tool call, so listing tools works on a gateway without a make receiver, and
 * a call there fails as a tool error saying why.
 */
export function registerTools(server: McpServer, serviceOrGetter: ExportService | (() => ExportService)): void {
  const exports = typeof serviceOrGetter === 'function' ? serviceOrGetter : () => serviceOrGetter;
  server.registerTool(
    'export_logs_for_analysis',
    {
      title: 'Export Make execution logs for analysis',
      description:
        'Exports Make scenario executions in a time range as files an analyst can open (jsonl, otlp-json, csv, parquet), or delivers them to a configured exporter. Waits up to 60 s, then returns the job to poll.',
      inputSchema: {
        timeRange,
        scenarioIds: z.array(z.number().int().positive()).optional().describe('default: every scenario of the team/organization'),
        filtering: z
          .strictObject({
            status: z.union([z.enum(STATUSES), z.array(z.enum(STATUSES))]).optional(),
            where: z.union([z.string(), z.array(z.string())]).optional().describe('OTTL condition(s) on the log record, e.g. attributes["make.execution.operations"] > 10'),
          })
          .optional(),
        outputConfig: z.strictObject({
          format: z.enum(FORMATS),
          compression: z.enum(COMPRESSIONS).optional(),
          fields: z.array(z.string()).optional().describe('columns: "path" or "path:name", e.g. "make.scenario.id:scenario_id"'),
          chunkRecords: z.number().int().positive().optional(),
        }),
        destination: z.strictObject({ type: z.enum(['file', 'exporter']), exporter: z.string().optional(), directory: z.string().optional() }).optional(),
        wait: z.boolean().optional().describe('wait for the end (up to 60 s); default true'),
      },
      outputSchema: jobOutput,
    },
    (args) =>
      guarded(async () => {
        const { fromMs, toMs } = parseRange(args.timeRange.from, args.timeRange.to);
        const d = args.destination;
        if (d?.type === 'exporter' && !d.exporter) throw new Error('destination.exporter: required when destination.type is "exporter"');
        const status = args.filtering?.status;
        const where = args.filtering?.where;
        const job = await exports().startExport(
          {
            fromMs,
            toMs,
            scenarioIds: args.scenarioIds,
            statuses: status === undefined ? undefined : Array.isArray(status) ? status : [status],
            where: where === undefined ? [] : Array.isArray(where) ? where : [where],
            format: args.outputConfig.format,
            compression: args.outputConfig.compression,
            fields: args.outputConfig.fields,
            chunkRecords: args.outputConfig.chunkRecords,
            destination: d?.type === 'exporter' ? { type: 'exporter', exporter: d.exporter! } : { type: 'file', directory: d?.directory },
          },
          args.wait === false ? 0 : undefined,
        );
        return jobResult(job);
      }),
  );

  server.registerTool(
    'get_export_status',
    { title: 'Export job status', description: 'State, progress and files of an export job.', inputSchema: { jobId: z.string() }, outputSchema: jobOutput },
    ({ jobId }) => guarded(() => jobResult(exports().status(jobId))),
  );

  server.registerTool(
    'list_exports',
    { title: 'List export jobs', description: 'The most recent export jobs, newest first.', inputSchema: { limit: z.number().int().positive().max(500).optional() } },
    ({ limit }) => guarded(() => json({ jobs: exports().list(limit).map((j) => jobResult(j).structuredContent) })),
  );

  server.registerTool(
    'cancel_export',
    { title: 'Cancel an export job', description: 'Cancels a queued or running export job.', inputSchema: { jobId: z.string() }, outputSchema: jobOutput },
    ({ jobId }) => guarded(() => jobResult(exports().cancel(jobId))),
  );

  server.registerTool(
    'list_scenarios',
    { title: 'List Make scenarios', description: 'Scenarios of the configured team/organization (or of teamId).', inputSchema: { teamId: z.number().int().positive().optional() } },
    ({ teamId }) => guarded(async () => json({ scenarios: await exports().scenarios(teamId) })),
  );

  server.registerTool(
    'summarize_executions',
    {
      title: 'Summarize Make executions',
      description: 'Per scenario over a time range: executions by status, operations, centicredits, p50/p95 duration (ms). Use it to decide what to export.',
      inputSchema: { timeRange, scenarioIds: z.array(z.number().int().positive()).optional() },
    },
    ({ timeRange: r, scenarioIds }) => guarded(async () => json({ scenarios: await exports().summarizeExecutions(parseRange(r.from, r.to), scenarioIds) })),
  );
}
