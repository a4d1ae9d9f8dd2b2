import { parse, type ScalarTag, type Tags } from 'yaml';

/**
 * YAML as the Collector reads it. The Collector parses configs with Go's yaml.v3, whose plain
 * integers may carry `_` digit separators (`send_batch_size: 5_000`); YAML 1.2's core schema, the
 * `yaml` package's default, reads that as the string "5_000". One extra implicit tag, tried before
 * the core ones, restores Go's reading for plain (unquoted) scalars only: a quoted "5_000" stays a
 * string, as in Go.
 */
const underscoredInt: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: /^[-+]?[0-9][0-9_]*_[0-9_]*$/,
  resolve: (text) => Number(text.replace(/_/g, '')),
};

const collectorTags = (tags: Tags): Tags => [underscoredInt, ...tags];

/** Parses YAML with the Collector's scalar rules; keys must be unique. Throws the parser's error. */
export function parseCollectorYaml(text: string): unknown {
  return parse(text, { uniqueKeys: true, customTags: collectorTags });
}
