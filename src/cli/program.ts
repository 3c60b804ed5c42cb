// Commander wiring only: every command calls into the rooms below src/.
// Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 bad config.

import { Command, CommanderError, Option } from 'commander';
import { buildInfo } from '../build-info.ts';
import { isAgentError } from '../errors.ts';
import { CommandExit, EXIT, type ExitCode } from './exit-codes.ts';
import { versionCommand } from './version.ts';
import { checkConfigCommand } from './check-config.ts';
import { bootCommand, runCommand } from './run.ts';
import { DEFAULT_CONFIG_PATH } from './context.ts';
// plan, status and explain are loaded when run: they pull in the cluster
// parser, the HTTP client and the kernel layer (the netlink addon), which
// `version` and `check-config` have no use for.
import { cleanupCommand, parseProtocol } from './cleanup.ts';
import { renderCommandTree } from './render.ts';

export interface GlobalOptions {
  config: string;
  logFormat?: 'auto' | 'text' | 'json';
  logLevel?: string;
}

export function buildProgram(): Command {
  const program = new Command('kube-lb-agent')
    .description('Announces Kubernetes LoadBalancer IPs as routes in a kernel table for BIRD/FRR')
    .version(`${buildInfo.version}`, '-V, --version-number', 'print the version number only')
    .addOption(new Option('--log-format <format>', 'log line format').choices(['auto', 'text', 'json']))
    .addOption(
      new Option('--log-level <level>', 'log level (overrides log.level)').choices([
        'trace',
        'debug',
        'info',
        'warn',
        'error',
        'fatal',
        'silent',
      ]),
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const withConfig = (cmd: Command) =>
    cmd.option('-c, --config <path>', 'configuration file', DEFAULT_CONFIG_PATH);

  program
    .command('version')
    .description('print version, Node.js version and git commit')
    .option('-v, --verbose', 'also load the netlink addon and list the network links it sees')
    .action(async (opts: { verbose?: boolean }) => versionCommand({ verbose: Boolean(opts.verbose) }));

  withConfig(program.command('check-config'))
    .description('validate the configuration file and print what it means')
    .option('--print', 'print the effective configuration as JSON')
    .action(async (opts: { config: string; print?: boolean }, cmd: Command) =>
      checkConfigCommand({ path: opts.config, print: Boolean(opts.print), globals: cmd.optsWithGlobals() }),
    );

  withConfig(program.command('boot'))
    .description('run the boot phase (fresh boot or restart?) and exit; the unit runs it before it counts as started')
    .action(async (opts: { config: string }, cmd: Command) => bootCommand({ path: opts.config, globals: cmd.optsWithGlobals() }));

  withConfig(program.command('run'))
    .description('run the agent: the boot phase, then serve until SIGTERM')
    .action(async (opts: { config: string }, cmd: Command) => runCommand({ path: opts.config, globals: cmd.optsWithGlobals() }));

  withConfig(program.command('plan'))
    .description('run the planner offline on a file of Services, EndpointSlices, Nodes and Leases; print JSON (a bad objects file exits 2)')
    .requiredOption('--objects <file>', 'YAML or JSON: documents, or a List as `kubectl get -o yaml` prints')
    .option('--node <name>', 'the node to plan for (default: node.name, else the host name)')
    .option('--now <time>', 'judge the agents\' Leases at this RFC 3339 time (default: now)')
    .action(async (opts: { config: string; objects: string; node?: string; now?: string }) =>
      (await import('./plan.ts')).planCommand({ path: opts.config, objects: opts.objects, node: opts.node, now: opts.now }),
    );

  withConfig(program.command('status'))
    .description("show the running agent's state (phase, API, lease, guard, kernel, announcements); with the agent down, what the kernel holds")
    .option('--json', 'print the status as JSON')
    .option('--timeout <ms>', 'how long to wait for the agent', '2000')
    .action(async (opts: { config: string; json?: boolean; timeout: string }) =>
      (await import('./status.ts')).statusCommand({ path: opts.config, json: Boolean(opts.json), timeoutMs: Number(opts.timeout) || 2000 }),
    );

  withConfig(program.command('explain'))
    .description('say why this node does or does not announce each IP of a Service (asks the running agent)')
    .argument('<service>', 'NAMESPACE/NAME')
    .option('--timeout <ms>', 'how long to wait for the agent', '2000')
    .action(async (service: string, opts: { config: string; timeout: string }) =>
      (await import('./explain.ts')).explainCommand({ path: opts.config, service, timeoutMs: Number(opts.timeout) || 2000 }),
    );

  withConfig(program.command('cleanup'))
    .description('remove every route (table, protocol) and address (interface) of the agent, print what was removed')
    .option('--remove-interface', 'also delete the interface')
    .option('--protocol <n>', "remove this protocol's routes from the table instead (another owner's leftovers, e.g. kube-vip's 248); the agent's addresses stay", parseProtocol)
    .option('--state-directory <dir>', "with an unusable configuration, read the kernel settings the last boot phase recorded here (default /var/lib/kube-lb-agent)")
    .action(async (opts: { config: string; removeInterface?: boolean; protocol?: number; stateDirectory?: string }, cmd: Command) =>
      cleanupCommand({
        path: opts.config,
        removeInterface: Boolean(opts.removeInterface),
        ...(opts.protocol !== undefined ? { protocol: opts.protocol } : {}),
        ...(opts.stateDirectory !== undefined ? { stateDirectory: opts.stateDirectory } : {}),
        globals: cmd.optsWithGlobals(),
      }),
    );

  program.addCommand(renderCommandTree(withConfig));

  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Parses argv, runs the command and returns the process exit code. */
export async function main(argv: string[]): Promise<ExitCode> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof CommandExit) return e.exitCode;
    if (isAgentError(e) && (e.code === 'CONFIG_INVALID' || e.code === 'CONFIG_SYNTAX' || e.code === 'CONFIG_READ')) {
      process.stderr.write(`kube-lb-agent: ${e.message}\n`);
      return EXIT.badConfig;
    }
    process.stderr.write(`kube-lb-agent: ${(e as Error).message ?? String(e)}\n`);
    return EXIT.failure;
  }
}
