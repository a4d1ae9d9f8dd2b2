// The benchmark gateway's config (bench/run.mjs, bench/gateway-gc.mjs): the OTLP/HTTP receiver
// and an otlphttp exporter to the sink, with the in-memory sending queue, or the persistent one
// when `storageDir` is given (fsync on unless `fsync: 'off'`), or no queue (`queue: false`).
// With `grpcPort`, OTLP/gRPC is enabled on that port too.
export function gatewayConfig({ port, grpcPort, sinkPort, storageDir, queue = true, queueSize = 1000, numConsumers = 10, batch = 'default', fsync = 'on' }) {
  const persistent = storageDir !== undefined;
  const queueLines = queue
    ? [
        `      queue_size: ${queueSize}`,
        `      num_consumers: ${numConsumers}`,
        // Backpressure instead of 429s: the closed loop then measures the path, not refusals.
        '      block_on_overflow: true',
        ...(batch === 'off' ? [] : [`      batch: ${batch === 'default' ? '{}' : batch}`]),
      ]
    : ['      enabled: false'];
  return [
    'receivers:',
    '  otlp:',
    '    protocols:',
    ...(grpcPort !== undefined ? ['      grpc:', `        endpoint: 127.0.0.1:${grpcPort}`] : []),
    '      http:',
    `        endpoint: 127.0.0.1:${port}`,
    'exporters:',
    '  otlphttp:',
    `    endpoint: http://127.0.0.1:${sinkPort}`,
    '    compression: none',
    '    sending_queue:',
    ...queueLines,
    ...(persistent ? ['      storage: file_storage', 'extensions:', '  file_storage:', `    directory: ${storageDir}`, ...(fsync === 'off' ? ['    fsync: false'] : [])] : []),
    'service:',
    ...(persistent ? ['  extensions: [file_storage]'] : []),
    '  pipelines:',
    '    logs:',
    '      receivers: [otlp]',
    '      exporters: [otlphttp]',
    '  telemetry:',
    '    logs:',
    '      level: warn',
    '    metrics:',
    '      level: none',
    '',
  ].join('\n');
}
