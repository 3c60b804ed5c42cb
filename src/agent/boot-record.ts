// The boot record tells a fresh boot from a restart of the agent within the
// same boot. On a fresh boot nothing of ours in the kernel can be valid yet;
// on a restart everything in the kernel is adopted. An unreadable record is
// treated as "same boot": keeping routes is recoverable, wiping them is an
// outage at the routers.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../errors.ts';

export const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';
export const RECORD_FILE = 'boot_id';

export type RecordRead =
  | { readonly state: 'absent' }
  | { readonly state: 'unreadable'; readonly error: string }
  | { readonly state: 'read'; readonly bootId: string };

export type BootKind = 'fresh' | 'same';

export interface BootVerdict {
  readonly kind: BootKind;
  readonly why: 'no-record' | 'boot-id-changed' | 'boot-id-matches' | 'record-unreadable';
}

/** Pure: what the record and the kernel's current boot id say about this start. */
export function classifyBoot(record: RecordRead, currentBootId: string): BootVerdict {
  switch (record.state) {
    case 'absent':
      return { kind: 'fresh', why: 'no-record' };
    case 'unreadable':
      return { kind: 'same', why: 'record-unreadable' };
    case 'read':
      return record.bootId === currentBootId
        ? { kind: 'same', why: 'boot-id-matches' }
        : { kind: 'fresh', why: 'boot-id-changed' };
  }
}

export function readCurrentBootId(path = BOOT_ID_PATH): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new AgentError('STATE', `cannot read the kernel's boot id from ${path}`, { cause });
  }
}

export function readRecord(stateDir: string): RecordRead {
  const file = join(stateDir, RECORD_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    return { state: 'unreadable', error: (e as Error).message };
  }
  const bootId = text.trim();
  if (!/^[0-9a-f-]{36}$/.test(bootId)) return { state: 'unreadable', error: `${file} does not hold a boot id` };
  return { state: 'read', bootId };
}

/** Atomic: a crash mid-write leaves either the old record or the new one. */
export function writeRecord(stateDir: string, bootId: string): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o750 });
    const file = join(stateDir, RECORD_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, bootId + '\n', { mode: 0o640 });
    renameSync(tmp, file);
  } catch (cause) {
    throw new AgentError('STATE', `cannot write the boot record in ${stateDir}: ${(cause as Error).message}`, { cause });
  }
}
