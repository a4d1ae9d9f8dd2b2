import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CredentialsError, type AwsCredentials } from './credentials.js';

/**
 * The shared credentials and config files (`~/.aws/credentials`, `~/.aws/config`), as the AWS
 * SDKs and CLI read them: INI sections, `[name]` in the credentials file and `[profile name]` (or
 * `[default]`) in the config file; the profile from AWS_PROFILE, else `default`; the paths from
 * AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE. A key in the credentials file wins over the same
 * key in the config file. Own code rather than a library: the format is a dozen lines of INI and
 * the SDK's loader (@smithy/shared-ini-file-loader) would pull in the SDK's provider stack.
 */

export type Profile = Readonly<Record<string, string>>;

/** `[section]` → key → value. Comments (`#`, `;`) and blank lines skipped; keys lower-cased. */
export function parseIni(text: string): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (section) {
      current = {};
      sections.set(section[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    // A line indented under a key (nested `s3 =` blocks) or without "=" is not a credential key.
    if (!current || eq <= 0 || /^\s/.test(raw)) continue;
    current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return sections;
}

export function profileName(env: NodeJS.ProcessEnv): string {
  return env.AWS_PROFILE || 'default';
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CredentialsError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, false);
  }
}

/** The merged profile from both files, or undefined when neither has it. */
export async function loadProfile(env: NodeJS.ProcessEnv, name = profileName(env)): Promise<Profile | undefined> {
  const home = env.HOME || homedir();
  const credentialsPath = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials');
  const configPath = env.AWS_CONFIG_FILE || join(home, '.aws', 'config');
  const [credentialsText, configText] = await Promise.all([readOptional(credentialsPath), readOptional(configPath)]);
  const fromConfig = configText ? parseIni(configText).get(name === 'default' ? 'default' : `profile ${name}`) : undefined;
  const fromCredentials = credentialsText ? parseIni(credentialsText).get(name) : undefined;
  if (!fromConfig && !fromCredentials) return undefined;
  return { ...fromConfig, ...fromCredentials };
}

/** Static keys of the profile, or undefined when it has none. */
export function profileCredentials(profile: Profile, name: string): AwsCredentials | undefined {
  const accessKeyId = profile.aws_access_key_id;
  const secretAccessKey = profile.aws_secret_access_key;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken: profile.aws_session_token || undefined, source: `shared files, profile ${name}` };
}
