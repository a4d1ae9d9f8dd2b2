// Request bodies for bench/decode.mjs: the generic service logs of bench/payload.mjs, and records
// shaped like the make receiver's executions (src/receivers/make/mapping.ts) for the Make
// example's processors: a mix of fast and slow successes, warnings and errors, with e-mail
// addresses in some bodies and a token-like attribute on some records, so every processor of
// examples/make-filter-redact.yaml has work to do.
export { makeBody } from './payload.mjs';

export async function makeExecutionsBody(n) {
  const { encodeLogs } = await import('../dist/pdata/proto.js');
  const now = BigInt(Date.now()) * 1_000_000n;
  const str = (s) => ({ stringValue: s });
  const int = (i) => ({ intValue: BigInt(i) });
  const STATUSES = ['success', 'success', 'success', 'warning', 'error'];
  const logRecords = Array.from({ length: n }, (_, i) => {
    const status = STATUSES[i % STATUSES.length];
    const duration = (i * 337) % 2400;
    const attributes = [
      { key: 'make.execution.id', value: str(`${(0xabc000 + i).toString(16)}f3e1c2b4a5968778`) },
      { key: 'make.execution.imt_id', value: str(`${Date.now()}_${i}_abcdef`) },
      { key: 'make.execution.status', value: str(status) },
      { key: 'make.execution.type', value: str('auto') },
      { key: 'make.execution.duration_ms', value: int(duration) },
      { key: 'make.execution.operations', value: int(i % 17) },
      { key: 'make.execution.transfer_bytes', value: int(1000 + i * 13) },
      { key: 'make.execution.centicredits', value: int(100 + (i % 9)) },
      { key: 'make.execution.author_id', value: int(4000 + (i % 31)) },
    ];
    if (i % 10 === 7) attributes.push({ key: 'webhook.api_token', value: str(`tok_${i}_secret`) });
    if (i % 10 === 3) attributes.push({ key: 'http.request.header.authorization', value: str(`Bearer eyJhbGciOi.${i}.sig`) });
    const who = i % 4 === 0 ? ` (owner jane.doe${i}@example.com)` : '';
    return {
      timeUnixNano: now + BigInt(i),
      observedTimeUnixNano: now + BigInt(i),
      severityNumber: status === 'error' ? 17 : status === 'warning' ? 13 : 9,
      severityText: status === 'warning' ? '' : status === 'error' ? 'ERROR' : 'INFO',
      body: str(`Scenario "Sync CRM contacts" execution ${i}: ${status}, ${duration} ms, ${i % 17} operations${who}`),
      attributes,
      droppedAttributesCount: 0,
      flags: 0,
      traceId: new Uint8Array(0),
      spanId: new Uint8Array(0),
      eventName: 'make.scenario.execution',
    };
  });
  const resource = {
    attributes: [
      { key: 'service.name', value: str('make') },
      { key: 'make.organization.id', value: int(12) },
      { key: 'make.team.id', value: int(34) },
      { key: 'make.scenario.id', value: int(5678) },
      { key: 'make.scenario.name', value: str('Sync CRM contacts') },
      { key: 'make.zone', value: str('eu1.make.com') },
    ],
    droppedAttributesCount: 0,
  };
  return Buffer.from(
    encodeLogs({
      resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'make-otel-gateway/receiver/make', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords, schemaUrl: '' }], schemaUrl: '' }],
    }),
  );
}
