import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, credsAuthenticator, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { z } from 'zod';
import { redact, registerSecret } from '../../telemetry/secrets.js';

/**
 * The connection keys the `nats` exporter and the `nats` receiver share (docs/nats.md): where the
 * server is, how to authenticate (token, user/password, a .creds file or an nkey seed file) and TLS.
 * Both ends of the JetStream tier connect the same way, so one schema and one `connect` serve both.
 */

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_STREAM = 'OTEL_LOGS';
export const DEFAULT_SUBJECT = 'otel.logs';

const NAME_RE = /^[^\s.*>/\\]+$/;
const SUBJECT_RE = /^[^\s]+$/;

const secret = () =>
  z
    .string()
    .min(1)
    .transform((v) => {
      registerSecret(v);
      return v;
    });

/** The NATS URL(s): `nats://`, `tls://`, or a comma-separated list of them (cluster seeds). */
export const natsUrl = () =>
  z
    .string()
    .min(1)
    .refine((v) => v.split(',').every((u) => /^(nats|tls):\/\/[^\s/]+\/?$/.test(u.trim())), 'expected nats://host:port or tls://host:port (comma-separated for several servers)')
    .refine((v) => !v.split(',').some((u) => u.includes('@')), 'put credentials in token/user/password, not in the URL, so they never reach logs');

export const natsConnectionShape = {
  url: natsUrl().default(DEFAULT_NATS_URL),
  stream: z.string().regex(NAME_RE, 'a JetStream stream name has no spaces, dots, *, > or slashes').default(DEFAULT_STREAM),
  subject: z.string().regex(SUBJECT_RE, 'a NATS subject has no spaces').default(DEFAULT_SUBJECT),
  token: secret().optional(),
  user: z.string().min(1).optional(),
  password: secret().optional(),
  /** A NATS .creds file (user JWT + nkey seed), as `nats` CLI and nsc write it. */
  creds_file: z.string().min(1).optional(),
  /** A file holding an nkey user seed (`SU...`). */
  nkey_file: z.string().min(1).optional(),
  tls: z
    .strictObject({
      ca_file: z.string().min(1).optional(),
      cert_file: z.string().min(1).optional(),
      key_file: z.string().min(1).optional(),
      /** Start TLS before the NATS INFO (servers with `handshake_first`). */
      handshake_first: z.boolean().default(false),
    })
    .optional(),
};

const natsConnectionObject = z.object(natsConnectionShape);
export type NatsConnectionConfig = z.output<typeof natsConnectionObject>;

/** The cross-key checks of the connection block; call from the component schema's superRefine. */
export function checkNatsAuth(c: NatsConnectionConfig, ctx: z.RefinementCtx): void {
  const methods = [c.token && 'token', (c.user || c.password) && 'user/password', c.creds_file && 'creds_file', c.nkey_file && 'nkey_file'].filter(Boolean);
  if (methods.length > 1) ctx.addIssue({ code: 'custom', path: ['token'], message: `choose one authentication method, not ${methods.join(' and ')}` });
  if (Boolean(c.user) !== Boolean(c.password)) ctx.addIssue({ code: 'custom', path: [c.user ? 'password' : 'user'], message: 'user and password go together' });
  if (c.tls && Boolean(c.tls.cert_file) !== Boolean(c.tls.key_file)) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls.cert_file and tls.key_file go together' });
  // Readable now, not at the first connection: `validate` is as strict as the start.
  for (const key of ['creds_file', 'nkey_file'] as const) {
    const path = c[key];
    if (!path) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: [key], message: `cannot read ${JSON.stringify(path)} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  }
}

/** Connection options for @nats-io/transport-node; reads creds/nkey files (errors name the file, never its content). */
export async function natsConnectionOptions(c: NatsConnectionConfig, name: string): Promise<ConnectionOptions> {
  const opts: ConnectionOptions = {
    servers: c.url.split(',').map((u) => u.trim()),
    name,
    // The gateway's own retry/backoff decides what happens while the server is away; the client
    // keeps reconnecting for ever so a long outage does not need a restart.
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    waitOnFirstConnect: false,
  };
  if (c.token) opts.token = c.token;
  if (c.user) {
    opts.user = c.user;
    opts.pass = c.password;
  }
  if (c.creds_file) opts.authenticator = credsAuthenticator(await readAuthFile(c.creds_file, 'creds_file'));
  if (c.nkey_file) opts.authenticator = nkeyAuthenticator(new TextEncoder().encode((await readAuthFile(c.nkey_file, 'nkey_file')).toString().trim()));
  if (c.tls) {
    opts.tls = { caFile: c.tls.ca_file, certFile: c.tls.cert_file, keyFile: c.tls.key_file, handshakeFirst: c.tls.handshake_first };
  }
  return opts;
}

async function readAuthFile(path: string, key: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`cannot read ${key} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export interface NatsSession {
  nc: NatsConnection;
  jsm: JetStreamManager;
}

/** Connects and checks JetStream is enabled; the error text is scrubbed of credentials. */
export async function openNats(c: NatsConnectionConfig, name: string): Promise<NatsSession> {
  const nc = await connect(await natsConnectionOptions(c, name)).catch((err: unknown) => {
    throw new Error(`cannot connect to NATS at ${c.url}: ${describeNatsError(err)}`);
  });
  try {
    const jsm = await jetstreamManager(nc);
    return { nc, jsm };
  } catch (err) {
    await nc.close().catch(() => {});
    throw new Error(`NATS at ${c.url} has no JetStream (start nats-server with -js): ${describeNatsError(err)}`);
  }
}

/** Makes sure `stream` exists and captures `subject`; creates it (file storage) when missing. */
export async function ensureStream(jsm: JetStreamManager, stream: string, subject: string): Promise<void> {
  let info;
  try {
    info = await jsm.streams.info(stream);
  } catch (err) {
    if (!/not found/i.test(describeNatsError(err))) throw err;
    await jsm.streams.add({ name: stream, subjects: [subject] });
    return;
  }
  const subjects = info.config.subjects ?? [];
  if (!subjects.some((s) => subjectMatches(s, subject))) {
    throw new Error(`JetStream stream ${stream} does not capture subject ${subject} (it has ${subjects.join(', ') || 'no subjects'})`);
  }
}

/** NATS subject wildcard match: `*` one token, `>` the rest. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

export function describeNatsError(err: unknown): string {
  const e = err as { message?: string; code?: string };
  return redact(e?.message ?? String(err));
}
