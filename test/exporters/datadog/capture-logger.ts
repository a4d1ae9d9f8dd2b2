import type { LogAttrs, Logger } from '../../../src/telemetry/logger.js';

/** A Logger that keeps every line (message and attributes) so tests can search them for secrets. */
export function captureLogger(lines: string[] = [], base: LogAttrs = {}): Logger & { lines: string[] } {
  const log = (level: string) => (msg: string, attrs?: LogAttrs) => {
    lines.push(`${level} ${msg} ${JSON.stringify({ ...base, ...attrs })}`);
  };
  return {
    lines,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (attrs) => captureLogger(lines, { ...base, ...attrs }),
  };
}
