import { describe, expect, it } from 'vitest';
import { cloudWatchLogsConfigSchema, regionOfEndpoint, serviceUrl } from '../../../src/exporters/awscloudwatchlogs/config.js';

const parse = (c: Record<string, unknown>) => cloudWatchLogsConfigSchema.safeParse({ log_group_name: 'g', log_stream_name: 's', ...c });
const messages = (c: Record<string, unknown>) => {
  const r = parse(c);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('awscloudwatchlogs config', () => {
  it('takes the contrib README\'s "all configuration options" example', () => {
    const r = cloudWatchLogsConfigSchema.parse({
      log_group_name: 'testing-logs',
      log_stream_name: 'testing-integrations-stream',
      region: 'us-east-1',
      role_arn: 'arn:aws:iam::123456789:role/monitoring-application-logs',
      endpoint: 'logs.us-east-1.amazonaws.com',
      log_retention: 365,
      tags: { sampleKey: 'sampleValue' },
      sending_queue: { queue_size: 50 },
      retry_on_failure: { enabled: true, initial_interval: '10ms' },
    });
    expect(r).toMatchObject({ log_retention: 365, tags: { sampleKey: 'sampleValue' }, raw_log: false, timeout: 30_000 });
    expect(r.sending_queue.queue_size).toBe(50);
    expect(r.retry_on_failure.initial_interval).toBe(10);
  });

  it('takes the AWS components\' request_timeout_seconds as the timeout unless timeout is set', () => {
    expect(cloudWatchLogsConfigSchema.parse({ log_group_name: 'g', log_stream_name: 's', request_timeout_seconds: 12 }).timeout).toBe(12_000);
    expect(cloudWatchLogsConfigSchema.parse({ log_group_name: 'g', log_stream_name: 's', request_timeout_seconds: 12, timeout: '3s' }).timeout).toBe(3_000);
    expect(cloudWatchLogsConfigSchema.parse({ log_group_name: 'g', log_stream_name: 's', num_workers: 8, local_mode: true })).toMatchObject({ num_workers: 8, local_mode: true });
  });

  it('requires log_group_name and log_stream_name', () => {
    expect(cloudWatchLogsConfigSchema.safeParse({ log_stream_name: 's' }).success).toBe(false);
    expect(cloudWatchLogsConfigSchema.safeParse({ log_group_name: 'g' }).success).toBe(false);
  });

  it('refuses retention values CloudWatch does not accept, bad tags, names and unknown keys', () => {
    expect(messages({ log_retention: 2 })[0]).toMatch(/^log_retention: expected 0 \(never expire\) or one of 1, 3, 5/);
    expect(messages({ log_retention: 0 })).toEqual([]);
    expect(messages({ tags: { 'aws:reserved': 'x' } })[0]).toMatch(/reserved/);
    expect(messages({ tags: { 'bad!key': 'x' } })[0]).toMatch(/^tags.bad!key: a tag key/);
    expect(messages({ tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) })[0]).toMatch(/at most 50 tags/);
    expect(messages({ log_group_name: 'has space' })[0]).toMatch(/^log_group_name:/);
    expect(messages({ log_stream_name: 'a:b' })[0]).toMatch(/^log_stream_name:/);
    expect(messages({ region: 'mars' })[0]).toMatch(/^region:/);
    expect(messages({ role_arn: 'not-an-arn' })[0]).toMatch(/^role_arn:/);
    expect(messages({ log_group: 'g' })[0]).toMatch(/log_group/);
  });

  it('takes the endpoint as a bare host (https) or a URL, and reads the region from an AWS host', () => {
    expect(serviceUrl('logs.us-east-1.amazonaws.com', 'us-east-1', {}).href).toBe('https://logs.us-east-1.amazonaws.com/');
    expect(serviceUrl('http://127.0.0.1:4566', 'us-east-1', {}).href).toBe('http://127.0.0.1:4566/');
    expect(serviceUrl(undefined, 'eu-west-1', {}).href).toBe('https://logs.eu-west-1.amazonaws.com/');
    expect(serviceUrl(undefined, 'cn-north-1', {}).href).toBe('https://logs.cn-north-1.amazonaws.com.cn/');
    expect(serviceUrl(undefined, 'eu-west-1', { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: 'http://localhost:4566' }).href).toBe('http://localhost:4566/');
    expect(regionOfEndpoint('logs.ap-southeast-2.amazonaws.com')).toBe('ap-southeast-2');
    expect(regionOfEndpoint('http://127.0.0.1:1234')).toBeUndefined();
    expect(messages({ endpoint: 'ftp://x' })[0]).toMatch(/^endpoint:/);
  });
});
