import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { validateConfig } from '../../../src/config/validate.js';
import { ConfigError } from '../../../src/errors.js';
import { defaultRegistry } from '../../../src/registry.js';

/** Configs shaped like the contrib READMEs' examples for filelog, fluentforward and resourcedetection. */
const yaml = (extensions: string) => `
extensions:
  file_storage:
    directory: /tmp/filelog-config-test
receivers:
  filelog:
    include: [/var/log/pods/*/*/*.log]
    exclude: [/var/log/pods/*/otel-collector/*.log]
    start_at: end
    include_file_path: true
    include_file_name: false
    storage: file_storage
    operators:
      - type: container
        id: container-parser
  filelog/multi:
    include: [/var/log/app/*.log]
    multiline:
      line_start_pattern: ^\\d{4}-\\d{2}-\\d{2}
    encoding: utf-8
    fingerprint_size: 1kb
    max_log_size: 1MiB
    poll_interval: 200ms
    operators:
      - type: regex_parser
        regex: '^(?P<time>\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}) (?P<sev>[A-Z]*) (?P<msg>.*)$'
        timestamp:
          parse_from: attributes.time
          layout: '%Y-%m-%d %H:%M:%S'
        severity:
          parse_from: attributes.sev
      - type: json_parser
        parse_from: attributes.msg
        on_error: send_quiet
  fluentforward:
    endpoint: 0.0.0.0:0
processors:
  resourcedetection/system:
    detectors: ["env", "system"]
    timeout: 2s
    override: false
    system:
      hostname_sources: ["os"]
exporters:
  debug: {}
service:
  extensions: [${extensions}]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs:
      receivers: [filelog, filelog/multi, fluentforward]
      processors: [resourcedetection/system]
      exporters: [debug]
`;

function issues(text: string): readonly string[] {
  try {
    validateConfig(parseConfigText(text, 'c.yaml'), defaultRegistry);
    return [];
  } catch (err) {
    return (err as ConfigError).issues;
  }
}

describe('filelog, fluentforward and resourcedetection in a Collector config', () => {
  it('validates a config written with the contrib keys', () => {
    expect(issues(yaml('file_storage'))).toEqual([]);
  });

  it('checks the filelog storage reference like every other one', () => {
    expect(issues(yaml(''))).toContain('receivers.filelog.storage: extension "file_storage" is not listed in service.extensions (add it there so it starts)');
  });
});
