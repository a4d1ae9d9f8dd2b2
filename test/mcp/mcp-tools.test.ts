import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/gateway-process.js';
import { DAY_MS, END_MS, TOKEN, expectedIds, sha256, startHarness, type Harness } from '../export/harness.js';

/**
 * Acceptance 4: an MCP client (the SDK's Client + StdioClientTransport) starts
 * `make-otel-gateway mcp`, lists the tools, exports CSV through export_logs_for_analysis and gets
 * the files and counts; bad calls come back as isError results, and the server keeps serving.
 */

let h: Harness;
let client: Client;
const FROM_MS = END_MS - 4 * DAY_MS;
const TO_MS = END_MS - 1 * DAY_MS;

beforeAll(async () => {
  h = await startHarness();
  client = new Client({ name: 'export-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--config', h.config], stderr: 'pipe' }));
}, 60_000);
afterAll(async () => {
  await client?.close();
  await h?.close();
});

type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };
const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolResult;

describe('MCP tools over stdio', () => {
  it('lists the export tools with their input schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['cancel_export', 'export_logs_for_analysis', 'get_export_status', 'list_exports', 'list_scenarios', 'summarize_executions']);
    const exp = tools.find((t) => t.name === 'export_logs_for_analysis')!;
    expect(Object.keys(exp.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['timeRange', 'scenarioIds', 'filtering', 'outputConfig', 'destination', 'wait']));
    expect(exp.inputSchema.required).toEqual(expect.arrayContaining(['timeRange', 'outputConfig']));
  });

  it('exports CSV and returns the files with counts and hashes', { timeout: 90_000 }, async () => {
    const r = await call('export_logs_for_analysis', {
      timeRange: { from: new Date(FROM_MS).toISOString(), to: TO_MS },
      scenarioIds: [100, 102],
      filtering: { status: 'error' },
      outputConfig: { format: 'csv', fields: ['time', 'make.scenario.id:scenario_id', 'make.execution.id:execution_id', 'make.execution.status:status'] },
    });
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    const s = r.structuredContent as { jobId: string; state: string; records: number; files: { path: string; records: number; sha256: string }[] };
    expect(s.state).toBe('succeeded');
    expect(s.jobId).toMatch(/^exp-[0-9a-f]{16}$/);
    const want = expectedIds(h.api, FROM_MS, TO_MS, [100, 102], [3]);
    expect(s.records).toBe(want.length);
    const ids: string[] = [];
    for (const f of s.files) {
      expect(sha256(f.path)).toBe(f.sha256);
      const rows = parseCsv(readFileSync(f.path, 'utf8'), { columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(f.records);
      for (const row of rows) {
        expect(row.status).toBe('error');
        ids.push(row.execution_id);
      }
    }
    expect(ids.sort()).toEqual(want);
    expect(r.content[0].text).toContain(s.files[0].path);

    const status = await call('get_export_status', { jobId: s.jobId });
    expect(status.structuredContent).toMatchObject({ jobId: s.jobId, state: 'succeeded', records: want.length });
    const list = await call('list_exports', { limit: 5 });
    expect((list.structuredContent as { jobs: { jobId: string }[] }).jobs.map((j) => j.jobId)).toContain(s.jobId);
  });

  it('summarizes executions per scenario and lists scenarios', async () => {
    const r = await call('summarize_executions', { timeRange: { from: FROM_MS, to: TO_MS }, scenarioIds: [101] });
    expect(r.isError).toBeFalsy();
    const [sum] = (r.structuredContent as { scenarios: { scenarioId: number; executions: number; byStatus: Record<string, number>; operations: number; durationMs: { p50: number; p95: number } }[] }).scenarios;
    const execs = h.api.allExecutions().filter((e) => e.scenarioId === 101 && Date.parse(e.timestamp) >= FROM_MS && Date.parse(e.timestamp) < TO_MS);
    expect(sum.scenarioId).toBe(101);
    expect(sum.executions).toBe(execs.length);
    expect(sum.byStatus.error).toBe(execs.filter((e) => e.status === 3).length);
    expect(sum.operations).toBe(execs.reduce((n, e) => n + e.operations, 0));
    expect(sum.durationMs.p95).toBeGreaterThanOrEqual(sum.durationMs.p50);
    const scenarios = await call('list_scenarios', {});
    expect((scenarios.structuredContent as { scenarios: { id: number }[] }).scenarios.map((s) => s.id).sort()).toEqual([100, 101, 102, 103, 104]);
  });

  it('answers bad calls with isError and a clear message, and keeps serving', async () => {
    const badRange = await call('export_logs_for_analysis', { timeRange: { from: 'now', to: '-1h' }, outputConfig: { format: 'csv' } });
    expect(badRange.isError).toBe(true);
    expect(badRange.content[0].text).toMatch(/from .* must be before to/);
    const unknown = await call('export_logs_for_analysis', { timeRange: { from: '-2d', to: 'now' }, scenarioIds: [424242], outputConfig: { format: 'jsonl' } });
    expect(unknown.isError).toBe(true);
    expect(unknown.content[0].text).toContain('unknown scenario 424242');
    const missing = await call('get_export_status', { jobId: 'exp-0000000000000000' });
    expect(missing.isError).toBe(true);
    expect(missing.content[0].text).toContain('no export job');
    h.api.failScenarioLogs(103, 401);
    const denied = await call('summarize_executions', { timeRange: { from: '-2d', to: 'now' }, scenarioIds: [103] });
    h.api.failScenarioLogs(103, undefined);
    expect(denied.isError).toBe(true);
    expect(denied.content[0].text).toContain('401');
    for (const r of [badRange, unknown, missing, denied]) expect(JSON.stringify(r)).not.toContain(TOKEN);
    const still = await client.listTools();
    expect(still.tools.length).toBe(6);
  });
});
