// What every command that reads the configuration starts from: the loaded,
// frozen Config, its warnings, and a logger set up from it (command-line
// flags win over the file).

import { loadConfig, type Config } from '../config/index.ts';
import { createLogger, type Logger, type LogFormat } from '../system/logger.ts';
import { setAddonDirectory } from '../system/sea-addon.ts';

export const DEFAULT_CONFIG_PATH = '/etc/kube-lb-agent/config.toml';

export interface GlobalFlags {
  readonly logFormat?: LogFormat;
  readonly logLevel?: string;
}

export interface CliContext {
  readonly configPath: string;
  readonly config: Config;
  readonly warnings: readonly string[];
  readonly log: Logger;
}

export function loadContext(path: string, flags: GlobalFlags): CliContext {
  const { config, warnings } = loadConfig(path);
  const log = createLogger({
    level: (flags.logLevel as Config['log']['level'] | 'silent' | undefined) ?? config.log.level,
    format: flags.logFormat ?? config.log.format,
  });
  setAddonDirectory(config.state.addonDirectory);
  return { configPath: path, config, warnings, log };
}
