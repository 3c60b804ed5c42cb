// `kube-lb-agent render bird|frr`: print the routing daemon's configuration
// matched to the agent's (src/render/, loaded only when the command runs).
// Exit codes: 0 ok; 2 usage (an option that does not fit the daemon, the
// configuration or the other options); 3 bad configuration.

import { Command, Option } from 'commander';
import { buildInfo } from '../build-info.ts';
import { loadConfig } from '../config/index.ts';
import { isAgentError } from '../errors.ts';
import type { Daemon, RawRenderOptions, RenderOptions } from '../render/index.ts';
import { CommandExit, EXIT } from './exit-codes.ts';

const SOURCES: Record<Daemon, { choices: string[]; help: string }> = {
  bird: {
    choices: ['kernel', 'direct'],
    help: 'kernel: `protocol kernel` learning routing.table (routing.method routes/both); direct: `protocol direct` on the interface (addresses)',
  },
  frr: {
    choices: ['import-table', 'connected'],
    help: 'import-table: `ip import-table` of routing.table (routes/both; IPv4 only in FRR 8.4); connected: `redistribute connected` of the interface (addresses)',
  },
};

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function daemonCommand(daemon: Daemon, withConfig: (c: Command) => Command): Command {
  const cmd = withConfig(new Command(daemon))
    .description(
      daemon === 'bird'
        ? 'print a BIRD 2 configuration (bird.conf) that learns the agent\'s routes and exports only the pools over BGP'
        : 'print an FRR configuration (frr.conf for zebra and bgpd) that learns the agent\'s routes and exports only the pools over BGP',
    )
    .addOption(new Option('--source <source>', `where the daemon learns the agent's IPs (default from routing.method); ${SOURCES[daemon].help}`).choices(SOURCES[daemon].choices))
    .option('--router-id <ip>', 'BGP router ID (an IPv4 address; default: the daemon picks one)')
    .option('--local-as <n>', 'this node\'s AS number')
    .option('--peer-as <n>', 'the neighbours\' AS number')
    .addOption(new Option('--neighbor <address>', 'a BGP neighbour (IPv4 or IPv6; repeatable); each session carries its address\'s family').argParser(collect))
    .action(async (opts: RawRenderOptions & { config: string }) => {
      await renderCommand({ ...opts, daemon, path: opts.config });
    });
  return cmd.exitOverride();
}

/** `render` with its two subcommands; `withConfig` adds -c/--config as every command has it. */
export function renderCommandTree(withConfig: (c: Command) => Command): Command {
  const render = new Command('render')
    .description('print a BIRD or FRR configuration matched to the agent\'s configuration (table, protocol, interface, pools)')
    .addCommand(daemonCommand('bird', withConfig))
    .addCommand(daemonCommand('frr', withConfig))
    // No daemon, or one we do not know: a usage error (exit 2) with the help.
    .argument('[bird|frr]')
    .usage('bird|frr [options]')
    .action((daemon?: string) => {
      if (daemon !== undefined) process.stderr.write(`error: unknown routing daemon '${daemon}' — use bird or frr\n`);
      render.outputHelp({ error: true });
      throw new CommandExit(EXIT.usage);
    });
  return render.exitOverride();
}

export interface RenderCommandOptions extends RawRenderOptions {
  readonly daemon: Daemon;
  readonly path: string;
}

export async function renderCommand(opts: RenderCommandOptions): Promise<void> {
  const { config, warnings } = loadConfig(opts.path);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  const { renderBird, renderFrr, resolveRenderOptions } = await import('../render/index.ts');
  let options: RenderOptions;
  try {
    options = resolveRenderOptions(opts.daemon, opts, { config, configPath: opts.path, version: buildInfo.version });
  } catch (e) {
    if (!isAgentError(e, 'USAGE')) throw e;
    process.stderr.write(`kube-lb-agent render ${opts.daemon}: ${e.message}\n`);
    throw new CommandExit(EXIT.usage);
  }
  const rendered = opts.daemon === 'bird' ? renderBird(config, options) : renderFrr(config, options);
  for (const w of rendered.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(rendered.text);
}
