// One OTLP ExportLogsServiceRequest with `n` records shaped like real service logs (~300 bytes each).
export async function makeBody(n) {
  const { encodeLogs } = await import('../dist/pdata/proto.js');
  const now = BigInt(Date.now()) * 1_000_000n;
  const str = (s) => ({ stringValue: s });
  const logRecords = Array.from({ length: n }, (_, i) => ({
    timeUnixNano: now + BigInt(i),
    observedTimeUnixNano: now + BigInt(i),
    severityNumber: 9,
    severityText: 'INFO',
    body: str(`GET /api/v2/scenarios/${1000 + i}/logs 200 ${(i * 7) % 500}ms user=${i % 97} request id ${i.toString(16).padStart(16, '0')} completed`),
    attributes: [
      { key: 'http.method', value: str('GET') },
      { key: 'http.status_code', value: { intValue: 200n } },
      { key: 'http.route', value: str('/api/v2/scenarios/:id/logs') },
      { key: 'duration_ms', value: { doubleValue: i * 1.5 } },
      { key: 'make.scenario.id', value: { intValue: BigInt(1000 + (i % 20)) } },
    ],
    droppedAttributesCount: 0,
    flags: 1,
    traceId: Uint8Array.from({ length: 16 }, (_, j) => (i + j) & 0xff),
    spanId: Uint8Array.from({ length: 8 }, (_, j) => (i * 3 + j) & 0xff),
    eventName: '',
  }));
  return Buffer.from(
    encodeLogs({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: str('bench') }, { key: 'host.name', value: str('bench-host') }], droppedAttributesCount: 0 },
          scopeLogs: [{ scope: { name: 'bench', version: '1.0.0', attributes: [], droppedAttributesCount: 0 }, logRecords, schemaUrl: '' }],
          schemaUrl: '',
        },
      ],
    }),
  );
}
