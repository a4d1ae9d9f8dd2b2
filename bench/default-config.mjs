// The shipped `otel-config.yaml` pointed at a benchmark sink: its receivers, processors
// (memory_limiter, batch) and telemetry as shipped, its `debug` exporter replaced by `otlphttp`
// to the sink with the persistent queue (`sending_queue.storage: file_storage`, fsync on, every
// other sending_queue key at its default: queue_size 1000, sizer requests, refuse when full).
// Listeners move to the given ports on 127.0.0.1; `exporters` > 1 fans the pipeline out to that
// many otlphttp exporters (each with its own queue in the same directory).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

const root = resolve(import.meta.dirname, '..');

export function defaultGatewayConfig({ port, grpcPort, healthPort, sinkPort, storageDir, exporters = 1, metrics = false, processors = true }) {
  const config = parse(readFileSync(join(root, 'otel-config.yaml'), 'utf8'));
  config.receivers.otlp.protocols.http.endpoint = `127.0.0.1:${port}`;
  if (grpcPort === undefined) delete config.receivers.otlp.protocols.grpc;
  else config.receivers.otlp.protocols.grpc.endpoint = `127.0.0.1:${grpcPort}`;
  config.extensions.health_check.endpoint = `127.0.0.1:${healthPort}`;
  config.extensions.file_storage = { directory: storageDir };
  config.service.extensions = [...config.service.extensions, 'file_storage'];
  const ids = Array.from({ length: exporters }, (_, i) => (i === 0 ? 'otlphttp' : `otlphttp/${i + 1}`));
  config.exporters = Object.fromEntries(ids.map((id) => [id, { endpoint: `http://127.0.0.1:${sinkPort}`, compression: 'none', sending_queue: { storage: 'file_storage' } }]));
  config.service.pipelines.logs.exporters = ids;
  // `processors: false`: the bare pipeline (receiver → exporter) a config without the batch processor has.
  if (!processors) {
    delete config.processors;
    delete config.service.pipelines.logs.processors;
  }
  // The metrics endpoint would want :8888; the benchmark reads nothing from it.
  config.service.telemetry.metrics = metrics ? { address: `127.0.0.1:${metrics}` } : { level: 'none' };
  config.service.telemetry.logs = { level: 'warn' };
  return stringify(config);
}
