// Reading the configuration file: text → TOML tree → checked, typed, frozen
// Config. Problems are thrown together as one ConfigError; warnings returned.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { crossCheck } from './cross-checks.ts';
import { ConfigError, Findings, formatProblem, type ConfigProblem } from './problems.ts';
import { parseToml } from './toml.ts';
import type { Config, LoadedConfig } from './types.ts';
import { readConfigTree } from './validate.ts';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);
}

/** Parses and checks TOML text; `file` names it in messages. Throws ConfigError. */
export function parseConfigWithWarnings(text: string, file: string): LoadedConfig {
  const root = parseToml(text, file);
  const findings = new Findings();
  const { config, context } = readConfigTree(root, findings);
  crossCheck(config, context);
  if (findings.problems.length > 0) {
    throw new ConfigError('CONFIG_INVALID', file, findings.problems.toSorted(byPosition));
  }
  return deepFreeze({ config, warnings: findings.warnings.toSorted(byPosition).map((w) => formatProblem(file, w)) });
}

export function parseConfig(text: string, file: string): Config {
  return parseConfigWithWarnings(text, file).config;
}

const READ_HINTS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file — create it (the package installs /etc/kube-lb-agent/config.toml) or pass --config PATH',
  EACCES: 'permission denied — make it readable by the user the agent runs as, or run as root',
  EISDIR: 'is a directory — pass the path of the file',
};

/** Reads and checks the file at `path`; the result carries the warnings for `check-config` and the log. */
export function loadConfig(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const message = `cannot read the configuration: ${READ_HINTS[code] ?? `${(e as Error).message} — check the path and its permissions`}`;
    throw new ConfigError('CONFIG_READ', path, [{ path: '', message }], { cause: e });
  }
  return parseConfigWithWarnings(text, path);
}

/** The defaults of every key, as an empty file gives them. */
export const defaultConfig: Config = parseConfig('', '<defaults>');

/** The Kubernetes Node name: `node.name`, or the host name lower-cased, as kubelet derives it. */
export function resolveNodeName(config: Config, host: string = hostname()): string {
  return config.node.name || host.trim().toLowerCase();
}
