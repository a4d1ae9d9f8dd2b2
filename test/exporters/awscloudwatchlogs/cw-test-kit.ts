import { cloudWatchLogsConfigSchema } from '../../../src/exporters/awscloudwatchlogs/config.js';
import { CloudWatchLogsSender } from '../../../src/exporters/awscloudwatchlogs/sender.js';
import { newLogRecord, type LogRecord, type Logs } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import type { Logger } from '../../../src/telemetry/logger.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { logsOf } from '../datadog/build-logs.js';

/** Shared by the awscloudwatchlogs tests: test credentials, record builders, a sender on the fake. */

export const ACCESS_KEY_ID = 'AKIDCLOUDWATCHTEST01';
export const SECRET_ACCESS_KEY = 'cw-test-secret-key/0123456789+abcdefghijkl';
export const SESSION_TOKEN = 'cw-test-session-token-IQoJb3JpZ2luX2VjEXAMPLE0123456789';

/** The fake's key table for the static test credentials (with session token). */
export const fakeKeys = () => ({ [ACCESS_KEY_ID]: { secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN } });

export const credentialsEnv = (): NodeJS.ProcessEnv => ({
  AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
  AWS_SESSION_TOKEN: SESSION_TOKEN,
  AWS_EC2_METADATA_DISABLED: 'true',
});

/** `count` records numbered by `seq`, `bodyBytes` bodies, one millisecond apart ending a minute ago. */
export function recentLogs(count: number, bodyBytes = 1024, startMs = Date.now() - 60_000 - count): Logs {
  const records: LogRecord[] = [];
  for (let i = 0; i < count; i++) {
    const prefix = `record ${i} `;
    records.push(
      newLogRecord({
        timeUnixNano: BigInt(startMs + i) * 1_000_000n,
        severityNumber: 9,
        severityText: 'INFO',
        body: { stringValue: prefix + 'x'.repeat(Math.max(0, bodyBytes - prefix.length)) },
        attributes: [attr('seq', i)],
      }),
    );
  }
  return logsOf(records);
}

export function recordAt(ms: number, body: string, seq: number): LogRecord {
  return newLogRecord({ timeUnixNano: BigInt(ms) * 1_000_000n, severityNumber: 9, body: { stringValue: body }, attributes: [attr('seq', seq)] });
}

export function cwConfig(endpoint: string, overrides: Record<string, unknown> = {}) {
  return cloudWatchLogsConfigSchema.parse({ log_group_name: 'make/executions', log_stream_name: 'gateway-1', region: 'us-east-1', endpoint, ...overrides });
}

export function cwSender(endpoint: string, overrides: Record<string, unknown> = {}, o: { env?: NodeJS.ProcessEnv; logger?: Logger; onTruncated?: (n: number) => void } = {}) {
  return new CloudWatchLogsSender(cwConfig(endpoint, overrides), { logger: o.logger ?? silentLogger, env: o.env ?? credentialsEnv(), onTruncated: o.onTruncated });
}

/** The `seq` attribute of every stored event's JSON wrapper. */
export function storedSeqs(messages: { message: string }[]): number[] {
  return messages.map((m) => (JSON.parse(m.message) as { attributes: { seq: number } }).attributes.seq);
}
