// The boot phase: everything that must be true before the unit counts as
// started (kubelet is ordered after it). It runs as the unit's ExecStartPre
// and again at the start of `run`; it is idempotent, because the second run
// finds the record the first one wrote and adopts instead of wiping.
//
// Steps:
//   1. read the kernel's boot id and the record in the state directory;
//   2. decide fresh boot vs restart (boot-record.ts);
//   3. record the current boot id.
// The kernel layer adds its sweep of stale routes between 2 and 3.

import type { Logger } from '../system/logger.ts';
import { classifyBoot, readCurrentBootId, readRecord, writeRecord, type BootVerdict } from './boot-record.ts';

export interface BootPhaseOptions {
  readonly stateDirectory: string;
  readonly log: Logger;
  /** For tests: where the kernel's boot id is read from. */
  readonly bootIdPath?: string;
}

export function runBootPhase(opts: BootPhaseOptions): BootVerdict & { bootId: string } {
  const bootId = readCurrentBootId(opts.bootIdPath);
  const record = readRecord(opts.stateDirectory);
  const verdict = classifyBoot(record, bootId);
  if (record.state === 'unreadable') {
    opts.log.warn({ op: 'boot', reason: verdict.why, err: record.error }, 'boot record unreadable: treating this start as a restart within the same boot (keeping kernel state)');
  }
  writeRecord(opts.stateDirectory, bootId);
  opts.log.info({ op: 'boot', boot: verdict.kind, reason: verdict.why, bootId }, verdict.kind === 'fresh' ? 'fresh boot' : 'restart within the same boot');
  return { ...verdict, bootId };
}
