/**
 * A last line of defence for "secrets never appear in logs, errors or metrics": config loading
 * registers every secret value it sees (api keys, tokens, client secrets, auth headers), and the
 * logger and CLI error output pass text through `redact` before writing it.
 */
const secrets = new Set<string>();

/** Values shorter than this are not scrubbed: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

export function redact(text: string): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  return out;
}

/** Config keys whose values are secrets wherever they appear. */
export const SECRET_KEY_PATTERN = /(^|_)(api_?key|apikey|token|secret|password|client_secret|authorization|api-key|dd-api-key|x-make-apikey)$/i;
