// `kube-lb-agent cleanup`: remove every route and address that is the agent's
// (its protocol in its table, the addresses on its interface), print what was
// removed, exit 0 — like kube-router's --cleanup-config. Run by the unit's
// OnFailure= service and at package removal. `--protocol N` clears another
// owner's leftovers in the table instead (kube-vip's 248 after migrating);
// then the agent's own addresses stay. `--remove-interface` also deletes the
// interface. Other protocols, the main table, other interfaces: never.
//
// A broken configuration is the usual reason the agent failed for good, and
// then its routes must still go. So when the configuration cannot be loaded,
// cleanup falls back to the table, protocol and interface the last good boot
// phase recorded in the state directory (agent/boot-record.ts), and says so
// in the log. With neither a usable configuration nor a record it refuses
// (exit 3): guessing could touch what is not ours.

import { InvalidArgumentError } from 'commander';
import { readKernelRecord } from '../agent/boot-record.ts';
import { defaultConfig, type Config } from '../config/index.ts';
import { isAgentError } from '../errors.ts';
import { DEFAULT_TIMEOUT_MS, kernelSettings } from '../kernel/settings.ts';
import { createLogger, type Logger } from '../system/logger.ts';
import { loadContext, type GlobalFlags } from './context.ts';
import { CommandExit, EXIT } from './exit-codes.ts';

export interface CleanupOptions {
  readonly path: string;
  readonly removeInterface: boolean;
  /** Routes of this protocol instead of the configured one. */
  readonly protocol?: number;
  /** Where the boot phase's record is read when the configuration cannot be (default: the default state.directory). */
  readonly stateDirectory?: string;
  readonly globals: GlobalFlags;
}

interface CleanupTarget {
  readonly interfaceName: string;
  readonly table: number;
  readonly protocol: number;
  readonly timeoutMs: number;
  readonly log: Logger;
}

const CONFIG_CODES = new Set(['CONFIG_READ', 'CONFIG_SYNTAX', 'CONFIG_INVALID']);

/** What is ours: from the configuration, else from the boot phase's record, else a refusal (the config error). */
function cleanupTarget(opts: CleanupOptions): CleanupTarget {
  try {
    const ctx = loadContext(opts.path, opts.globals);
    return { ...kernelSettings(ctx.config), log: ctx.log };
  } catch (e) {
    if (!isAgentError(e) || !CONFIG_CODES.has(e.code)) throw e;
    const log = createLogger({
      level: (opts.globals.logLevel as Config['log']['level'] | 'silent' | undefined) ?? defaultConfig.log.level,
      format: opts.globals.logFormat ?? defaultConfig.log.format,
    });
    const stateDirectory = opts.stateDirectory ?? defaultConfig.state.directory;
    const record = readKernelRecord(stateDirectory);
    if (record.state !== 'read') {
      const why = record.state === 'absent' ? `no record of the last boot phase's kernel settings in ${record.file}` : `the record ${record.file} is unusable: ${record.error}`;
      log.error({ op: 'cleanup', reason: 'config-unusable', file: opts.path, record: record.file }, `the configuration cannot be used and ${why}: refusing to guess what is ours; nothing removed`);
      throw e;
    }
    const k = record.kernel;
    log.warn(
      { op: 'cleanup', reason: 'config-unusable', file: opts.path, record: record.file, table: k.table, protocol: k.protocol, interface: k.interfaceName, err: e.message },
      `the configuration cannot be used (${e.message.split('\n')[0]}): using the kernel settings the last boot phase recorded in ${record.file} (table ${k.table}, protocol ${k.protocol}, interface ${k.interfaceName})`,
    );
    return { ...k, timeoutMs: DEFAULT_TIMEOUT_MS, log };
  }
}

/** Commander's parser for --protocol: an integer 1..255 (else a usage error). */
export function parseProtocol(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < 1 || n > 255) throw new InvalidArgumentError('a route protocol number is an integer 1..255 (kube-vip uses 248).');
  return n;
}

export async function cleanupCommand(opts: CleanupOptions): Promise<void> {
  const settings = cleanupTarget(opts);
  const protocol = opts.protocol ?? settings.protocol;
  const ours = protocol === settings.protocol;
  // Loaded here: it loads the netlink addon (after loadContext told it where).
  const { sweep, describeRoute, describeAddress } = await import('../kernel/sweep.ts');
  const report = await sweep({
    interfaceName: settings.interfaceName,
    table: settings.table,
    protocol,
    keepAddresses: !ours,
    removeInterface: opts.removeInterface,
    timeoutMs: settings.timeoutMs,
  });
  const lines = [
    ...report.routes.map((r) => `removed ${describeRoute(r)}`),
    ...report.addresses.map((a) => `removed ${describeAddress(a, settings.interfaceName)}`),
    ...(report.interfaceRemoved ? [`removed interface ${settings.interfaceName}`] : []),
  ];
  const what = [
    `${report.routes.length} route${report.routes.length === 1 ? '' : 's'} (table ${settings.table}, proto ${protocol})`,
    ...(ours ? [`${report.addresses.length} address${report.addresses.length === 1 ? '' : 'es'} (${settings.interfaceName})`] : []),
    ...(opts.removeInterface ? [report.interfaceRemoved ? 'the interface' : `no interface (${settings.interfaceName} did not exist)`] : []),
  ];
  lines.push(`cleanup: removed ${what.join(', ')}`);
  process.stdout.write(lines.join('\n') + '\n');
  settings.log.debug({ op: 'cleanup', protocol, routes: report.routes.length, addresses: report.addresses.length, interfaceRemoved: report.interfaceRemoved }, 'cleanup done');
  if (report.failed.length > 0) {
    for (const f of report.failed) process.stderr.write(`kube-lb-agent: could not remove ${f.what}: ${f.errno}\n`);
    throw new CommandExit(EXIT.failure);
  }
}
