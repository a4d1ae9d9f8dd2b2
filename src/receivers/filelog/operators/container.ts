import type { Logger } from '../../../telemetry/logger.js';
import type { OperatorConfig } from './config.js';
import { getField, parseField, type Entry, type FieldRef } from './entry.js';
import { onError, type Operator } from './parser.js';
import { timestampParser } from './timestamp.js';

/**
 * stanza's `container` operator: a line written by a container runtime becomes the application's
 * log line. Formats (detected per line when `format` is unset):
 * - docker: `{"log":"text\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}`
 * - cri-o / containerd (CRI): `2024-01-02T03:04:05.123456789Z stdout F text` where `P` marks a
 *   partial line the runtime split; partials are joined until the `F` line, per stream.
 * The body becomes the text, `log.iostream` the stream, the record time the runtime's time. With
 * `add_metadata_from_filepath` the Kubernetes path `/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log`
 * (from `log.file.path`, so set `include_file_path`) gives `k8s.namespace.name`, `k8s.pod.name`,
 * `k8s.pod.uid`, `k8s.container.name`, `k8s.container.restart_count` on the resource.
 */

const CRI_LINE = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/s;
const POD_PATH = /\/var\/log\/pods\/([^_/]+)_([^_/]+)_([^/]+)\/([^/._]+)\/(\d+)\.log$/;
const rfc3339 = timestampParser({ parse_from: 'body', layout_type: 'gotime', layout: '2006-01-02T15:04:05.999999999Z07:00' });

type ContainerConfig = Extract<OperatorConfig, { type: 'container' }>;

export class ContainerOperator implements Operator {
  private readonly from: FieldRef;
  /** Partial CRI lines waiting for their final piece, per stream. */
  private readonly partial = new Map<string, string>();

  constructor(
    private readonly config: ContainerConfig,
    private readonly logger: Logger,
  ) {
    this.from = parseField(config.parse_from);
  }

  process(e: Entry): Entry | undefined {
    try {
      const line = getField(e, this.from);
      if (typeof line !== 'string') throw new Error(`container: expected a string, got ${typeof line}`);
      const format = this.config.format ?? (line.startsWith('{') ? 'docker' : 'crio');
      const parsed = format === 'docker' ? docker(line) : this.cri(line);
      if (!parsed) return undefined;
      e.body = parsed.text;
      e.attributes['log.iostream'] = parsed.stream;
      e.timeUnixNano = rfc3339(parsed.time);
      if (this.config.add_metadata_from_filepath) this.addPathMetadata(e);
      return e;
    } catch (err) {
      return onError(this.config, this.logger, e, err);
    }
  }

  private cri(line: string): { text: string; stream: string; time: string } | undefined {
    const m = CRI_LINE.exec(line);
    if (!m) throw new Error('container: not a CRI log line (time stream P|F text)');
    const [, time, stream, tag, text] = m as unknown as [string, string, string, string, string];
    const joined = (this.partial.get(stream) ?? '') + text;
    if (tag === 'P') {
      this.partial.set(stream, joined);
      return undefined;
    }
    this.partial.delete(stream);
    return { text: joined, stream, time };
  }

  private addPathMetadata(e: Entry): void {
    const path = e.attributes['log.file.path'];
    const m = typeof path === 'string' ? POD_PATH.exec(path) : null;
    if (!m) return;
    Object.assign(e.resource, {
      'k8s.namespace.name': m[1],
      'k8s.pod.name': m[2],
      'k8s.pod.uid': m[3],
      'k8s.container.name': m[4],
      'k8s.container.restart_count': m[5],
    });
  }
}

function docker(line: string): { text: string; stream: string; time: string } {
  const j = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
  if (typeof j.log !== 'string' || typeof j.time !== 'string') throw new Error('container: not a docker json-file line (log, stream, time)');
  return { text: j.log.replace(/\r?\n$/, ''), stream: typeof j.stream === 'string' ? j.stream : '', time: j.time };
}
