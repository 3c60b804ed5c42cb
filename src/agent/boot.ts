// The boot phase: everything that must be true before the unit counts as
// started (kubelet is ordered after it). It runs as the unit's ExecStartPre
// and again at the start of `run`; it is idempotent, because the second run
// finds the record the first one wrote and adopts instead of wiping.
//
// Steps:
//   1. read the kernel's boot id and the record in the state directory;
//   2. decide fresh boot vs restart (boot-record.ts);
//   3. kernel: on a fresh boot delete every route of ours in the table and
//      every address on the interface (nothing of ours can be valid yet); on
//      a restart keep them all for the reconciler to adopt; either way the
//      interface exists and is up (kernel/sweep.ts bootKernel);
//   4. record the current boot id — only after 3 succeeded, so that a failed
//      sweep is tried again by the next start instead of being skipped as
//      "same boot" — and the kernel settings just used, which `cleanup`
//      falls back to when the configuration is broken later.

import type { Logger } from '../system/logger.ts';
import type { KernelSettings } from '../kernel/settings.ts';
import type { BootKernelReport } from '../kernel/sweep.ts';
import { classifyBoot, readCurrentBootId, readRecord, writeKernelRecord, writeRecord, type BootVerdict } from './boot-record.ts';

export interface BootPhaseOptions {
  readonly stateDirectory: string;
  readonly log: Logger;
  /** For tests: where the kernel's boot id is read from. */
  readonly bootIdPath?: string;
  /** The kernel layer's settings; absent: no kernel step (tests of the record alone). */
  readonly kernel?: KernelSettings;
}

export type BootPhaseResult = BootVerdict & { readonly bootId: string; readonly kernel?: BootKernelReport };

export async function runBootPhase(opts: BootPhaseOptions): Promise<BootPhaseResult> {
  const bootId = readCurrentBootId(opts.bootIdPath);
  const record = readRecord(opts.stateDirectory);
  const verdict = classifyBoot(record, bootId);
  if (record.state === 'unreadable') {
    opts.log.warn({ op: 'boot', reason: verdict.why, err: record.error }, 'boot record unreadable: treating this start as a restart within the same boot (keeping kernel state)');
  }
  // Loaded here, not at the top: it loads the netlink addon.
  const kernel = opts.kernel ? await (await import('../kernel/sweep.ts')).bootKernel(opts.kernel, verdict.kind === 'fresh', opts.log) : undefined;
  writeRecord(opts.stateDirectory, bootId);
  if (opts.kernel) {
    // For `cleanup` when the configuration is broken later (boot-record.ts).
    try {
      writeKernelRecord(opts.stateDirectory, opts.kernel, bootId);
    } catch (e) {
      opts.log.warn({ op: 'boot', err: (e as Error).message }, 'cannot record the kernel settings: cleanup will need a readable configuration');
    }
  }
  const swept = kernel?.swept;
  opts.log.info(
    {
      op: 'boot',
      boot: verdict.kind,
      reason: verdict.why,
      bootId,
      ...(swept ? { routesRemoved: swept.routes.length, addressesRemoved: swept.addresses.length } : {}),
      ...(kernel ? { interface: kernel.interface.name, ifindex: kernel.interface.index, created: kernel.interface.created } : {}),
    },
    verdict.kind === 'fresh' ? 'fresh boot' : 'restart within the same boot',
  );
  return kernel ? { ...verdict, bootId, kernel } : { ...verdict, bootId };
}
