// config/ — reads /etc/kube-lb-agent/config.toml into one typed, deeply frozen
// Config. Every key has its default, type and meaning in one table
// (schema.ts); all problems in a file are reported at once as one ConfigError
// (`FILE:LINE:COL: key.path: what is wrong — what to do`), with the same data
// in `error.problems`. Non-fatal findings come back as `warnings`.

export { loadConfig, parseConfig, parseConfigWithWarnings, defaultConfig, resolveNodeName } from './load.ts';
export { ConfigError, formatProblem, type ConfigProblem } from './problems.ts';
export { sections, poolSpec, type KeySpec, type SectionSpec } from './schema.ts';
export { parseCidr, parseIp, formatIp, cidrContains, cidrsOverlap, type Cidr, type IpAddress, type IpFamily } from './cidr.ts';
export { parseDuration, formatDuration } from './duration.ts';
export { matchesSelector, type LabelSelector, type SelectorRequirement } from './selector.ts';
export type * from './types.ts';
