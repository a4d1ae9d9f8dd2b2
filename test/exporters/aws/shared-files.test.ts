import { describe, expect, it } from 'vitest';
import { parseIni, profileCredentials } from '../../../src/exporters/aws/shared-files.js';
import { errorTypeOf, scrub } from '../../../src/exporters/awscloudwatchlogs/client.js';

describe('shared credentials/config file parsing', () => {
  it('reads sections and keys as the AWS CLI writes them, skipping comments and nested blocks', () => {
    const ini = parseIni(['# comment', '[default]', 'aws_access_key_id = AKID1', 'AWS_Secret_Access_Key=secret1', '; another', '', '[profile ci]', 'region = eu-central-1', 's3 =', '  max_concurrent_requests = 20', 'output=json'].join('\n'));
    expect(ini.get('default')).toEqual({ aws_access_key_id: 'AKID1', aws_secret_access_key: 'secret1' });
    expect(ini.get('profile ci')).toEqual({ region: 'eu-central-1', s3: '', output: 'json' });
  });

  it('takes a profile without both keys as having no static credentials', () => {
    expect(profileCredentials({ aws_access_key_id: 'AKID' }, 'x')).toBeUndefined();
    expect(profileCredentials({ aws_access_key_id: 'AKID', aws_secret_access_key: 's', aws_session_token: 't' }, 'x')).toMatchObject({ sessionToken: 't', source: 'shared files, profile x' });
  });
});

describe('AWS JSON error answers', () => {
  it('strips the namespace and the documentation suffix from the error type, as the SDKs do', () => {
    expect(errorTypeOf('ThrottlingException:http://internal.amazon.com/coral/com.amazonaws.logs/', {})).toBe('ThrottlingException');
    expect(errorTypeOf(null, { __type: 'com.amazonaws.logs#ResourceNotFoundException' })).toBe('ResourceNotFoundException');
    expect(errorTypeOf(null, {})).toBe('UnknownError');
  });

  it('scrubs the secret key and session token out of an echoed message', () => {
    const creds = { accessKeyId: 'AKID', secretAccessKey: 'the-secret-key-value', sessionToken: 'the-session-token-value', source: 't' };
    expect(scrub("x-amz-security-token:the-session-token-value\nkey the-secret-key-value", creds)).toBe('x-amz-security-token:[REDACTED]\nkey [REDACTED]');
  });
});
