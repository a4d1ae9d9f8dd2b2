import { describe, expect, it } from 'vitest';
import { cellToJson, cellToText, decodeCell, encodeCell, FieldError, parseColumns } from '../../src/export/columns.js';
import { newLogRecord } from '../../src/pdata/model.js';
import { attr } from '../../src/pdata/values.js';

const resource = { attributes: [attr('make.scenario.id', 12), attr('service.name', 'make')], droppedAttributesCount: 0 };
const record = newLogRecord({
  timeUnixNano: 1_796_083_200_123_000_000n,
  severityNumber: 17,
  severityText: 'ERROR',
  body: { stringValue: 'Scenario failed' },
  attributes: [attr('make.execution.status', 'error'), attr('make.execution.operations', 7), attr('ratio', 0.5), attr('a:b', 'colon')],
});

describe('export columns', () => {
  it('reads each kind of path, with renames after the last colon', () => {
    const cols = parseColumns(['time', 'severity_number:sev', 'body', 'make.scenario.id:scenario_id', 'attributes["make.execution.status"]:status', 'resource.service.name', 'attributes["a:b"]', 'missing']);
    expect(cols.map((c) => c.name)).toEqual(['time', 'sev', 'body', 'scenario_id', 'status', 'resource.service.name', 'attributes["a:b"]', 'missing']);
    const cells = cols.map((c) => c.read(resource, record));
    expect(cells).toEqual([{ timeMs: 1_796_083_200_123 }, 17n, 'Scenario failed', 12n, 'error', 'make', 'colon', null]);
  });

  it('keeps types through staging and renders times as RFC 3339', () => {
    for (const c of [{ timeMs: 5 }, 7n, 0.5, true, 'x', null] as const) expect(decodeCell(JSON.parse(JSON.stringify(encodeCell(c))))).toEqual(c);
    expect(cellToJson({ timeMs: 1_796_083_200_123 })).toBe('2026-12-01T00:00:00.123Z');
    expect(cellToJson(7n)).toBe(7);
    expect(cellToText(null)).toBe('');
  });

  it('refuses a duplicate column name and an empty rename', () => {
    expect(() => parseColumns(['time', 'observed_time:time'])).toThrow(FieldError);
    expect(() => parseColumns(['time:'])).toThrow(/needs a path/);
  });
});
