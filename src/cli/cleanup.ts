// `kube-lb-agent cleanup`: remove every route and address that is the agent's
// (its protocol in its table, the addresses on its interface), print what was
// removed, exit 0 — like kube-router's --cleanup-config. Run by the unit's
// OnFailure= service and at package removal. `--protocol N` clears another
// owner's leftovers in the table instead (kube-vip's 248 after migrating);
// then the agent's own addresses stay. `--remove-interface` also deletes the
// interface. Other protocols, the main table, other interfaces: never.

import { InvalidArgumentError } from 'commander';
import { kernelSettings } from '../kernel/settings.ts';
import { loadContext, type GlobalFlags } from './context.ts';
import { CommandExit, EXIT } from './exit-codes.ts';

export interface CleanupOptions {
  readonly path: string;
  readonly removeInterface: boolean;
  /** Routes of this protocol instead of the configured one. */
  readonly protocol?: number;
  readonly globals: GlobalFlags;
}

/** Commander's parser for --protocol: an integer 1..255 (else a usage error). */
export function parseProtocol(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < 1 || n > 255) throw new InvalidArgumentError('a route protocol number is an integer 1..255 (kube-vip uses 248).');
  return n;
}

export async function cleanupCommand(opts: CleanupOptions): Promise<void> {
  const ctx = loadContext(opts.path, opts.globals);
  const settings = kernelSettings(ctx.config);
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
  ctx.log.debug({ op: 'cleanup', protocol, routes: report.routes.length, addresses: report.addresses.length, interfaceRemoved: report.interfaceRemoved }, 'cleanup done');
  if (report.failed.length > 0) {
    for (const f of report.failed) process.stderr.write(`kube-lb-agent: could not remove ${f.what}: ${f.errno}\n`);
    throw new CommandExit(EXIT.failure);
  }
}
