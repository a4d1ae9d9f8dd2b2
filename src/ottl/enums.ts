/** OTTL enums usable in the log context: the OTLP SeverityNumber values, as int64. */
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

function severityEnums(): Record<string, bigint> {
  const out: Record<string, bigint> = { SEVERITY_NUMBER_UNSPECIFIED: 0n };
  LEVELS.forEach((level, i) => {
    const base = i * 4 + 1;
    out[`SEVERITY_NUMBER_${level}`] = BigInt(base);
    for (let n = 2; n <= 4; n++) out[`SEVERITY_NUMBER_${level}${n}`] = BigInt(base + n - 1);
  });
  return out;
}

export const SEVERITY_ENUMS: Readonly<Record<string, bigint>> = Object.freeze(severityEnums());
