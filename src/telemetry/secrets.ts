/**
 * A last line of defence for "secrets never appear in logs, errors or metrics": config loading
 * registers every secret value it sees (api keys, tokens, client secrets, auth headers, URL
 * credentials), and the logger, error output, dead-letter reasons and CLI output pass text through
 * `redact` before writing it.
 *
 * A secret travels in more forms than the one configured, and a failing backend may echo any of
 * them: `Authorization: Bearer X` is echoed as `X`; `https://user:pass@host` goes out as
 * `Basic base64(user:pass)`; a percent-encoded password is decoded before use. So each value is
 * registered with the forms derived from it (the token after a scheme, the decoded Basic pair and
 * its password, URL userinfo raw and decoded, its base64, secret query-string values).
 */
const secrets = new Set<string>();
/** `secrets`, longest first, so a secret containing another is replaced whole. Rebuilt lazily. */
let ordered: string[] | undefined;

/** Values shorter than this are not scrubbed: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

/** `Bearer X`, `Basic X`, `Token X`, `ApiKey X` (the schemes backends and Make use). */
const SCHEME_TOKEN = /^\s*(bearer|basic|token|apikey|api-key|splunk|dsn)\s+(\S+)\s*$/i;

/** Query-string keys whose values are credentials (`?api_key=…`, `?sig=…` in SAS URLs). */
const SECRET_QUERY_KEY = /^(api[-_]?key|apikey|key|token|access[-_]?token|auth|password|secret|client[-_]?secret|sig|signature|code)$/i;

/** Config keys whose values are secrets wherever they appear. */
export const SECRET_KEY_PATTERN = /(^|_)(api_?key|apikey|token|secret|password|client_secret|authorization|api-key|dd-api-key|x-make-apikey)$/i;

function add(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  ordered = undefined;
}

const base64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A `user:pass` pair and every form it travels in: itself, the password, base64 (Basic). */
function addCredentialPair(user: string, pass: string): void {
  const pair = `${user}:${pass}`;
  add(pair);
  add(pass);
  add(base64(pair));
}

/**
 * Registers a secret value and the forms derived from it: for `Bearer X` (and the other schemes)
 * also `X`; for `Basic b64` also the decoded `user:pass` and the password.
 */
export function registerSecret(value: string | undefined): void {
  if (!value) return;
  add(value);
  add(value.trim());
  const m = SCHEME_TOKEN.exec(value);
  if (!m) return;
  const token = m[2];
  add(token);
  if (m[1].toLowerCase() === 'basic') {
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 && base64(decoded).replace(/=+$/, '') === token.replace(/=+$/, '')) addCredentialPair(decoded.slice(0, colon), decoded.slice(colon + 1));
  }
}

/**
 * Registers the credentials a URL carries: userinfo (raw and percent-decoded, the pair, the
 * password, and base64 of the pair as it goes out in `Authorization: Basic`), and the values of
 * secret-looking query-string keys. Anything that is not a URL is ignored.
 */
export function registerUrlSecrets(text: string | undefined): void {
  if (!text || !/^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim())) return;
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return;
  }
  if (url.username || url.password) {
    addCredentialPair(url.username, url.password);
    addCredentialPair(decodeURIComponentSafe(url.username), decodeURIComponentSafe(url.password));
    // A user name alone (a token as the user, as some backends take it) is the secret itself.
    if (!url.password) add(decodeURIComponentSafe(url.username));
  }
  for (const [key, value] of url.searchParams) {
    if (!SECRET_QUERY_KEY.test(key)) continue;
    add(value);
    add(encodeURIComponent(value));
  }
}

/** `scheme://user:pass@` anywhere in text, registered or not: the credentials part is never shown. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

export function redact(text: string): string {
  let out = text.replace(URL_USERINFO, '$1[REDACTED]@');
  if (secrets.size === 0) return out;
  ordered ??= [...secrets].sort((a, b) => b.length - a.length);
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  return out;
}
