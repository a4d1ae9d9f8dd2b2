/**
 * OTTL errors. Parse errors happen once, at start, and carry the column so the config error can
 * point at the statement and the place in it. Runtime errors happen per record and are handled
 * by the processor's `error_mode`.
 */

export class OttlParseError extends Error {
  constructor(
    readonly reason: string,
    /** 1-based column in `source`. */
    readonly column: number,
    readonly source: string,
  ) {
    super(`${reason} at column ${column} in '${source}'`);
    this.name = 'OttlParseError';
  }
}

export class OttlRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OttlRuntimeError';
  }
}
