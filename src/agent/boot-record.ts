// The boot record tells a fresh boot from a restart of the agent within the
// same boot. On a fresh boot nothing of ours in the kernel can be valid yet;
// on a restart everything in the kernel is adopted. An unreadable record is
// treated as "same boot": keeping routes is recoverable, wiping them is an
// outage at the routers.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type Config } from '../config/index.ts';
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

// The kernel settings of the last good boot phase: which table, route
// protocol and interface are the agent's. `cleanup` runs when the agent has
// failed for good, and the usual cause is a configuration an administrator
// broke; it then still has to know what is ours. The boot phase writes them
// here once it has used them; `cleanup` reads them only when the
// configuration cannot be loaded. A record is trusted only if the same values
// would pass as a configuration: a damaged file can never point cleanup at
// the main table or at another daemon's protocol.

export const KERNEL_RECORD_FILE = 'kernel.json';

export interface RecordedKernel {
  readonly table: number;
  readonly protocol: number;
  readonly interfaceName: string;
}

export type KernelRecordRead =
  | { readonly state: 'absent'; readonly file: string }
  | { readonly state: 'unreadable'; readonly file: string; readonly error: string }
  | { readonly state: 'read'; readonly file: string; readonly kernel: RecordedKernel; readonly bootId?: string };

/** Atomic, like the boot record. */
export function writeKernelRecord(stateDir: string, kernel: RecordedKernel, bootId?: string): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o750 });
    const file = join(stateDir, KERNEL_RECORD_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    const body = { table: kernel.table, protocol: kernel.protocol, interfaceName: kernel.interfaceName, ...(bootId ? { bootId } : {}) };
    writeFileSync(tmp, JSON.stringify(body) + '\n', { mode: 0o640 });
    renameSync(tmp, file);
  } catch (cause) {
    throw new AgentError('STATE', `cannot write the kernel settings record in ${stateDir}: ${(cause as Error).message}`, { cause });
  }
}

export function readKernelRecord(stateDir: string): KernelRecordRead {
  const file = join(stateDir, KERNEL_RECORD_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent', file };
    return { state: 'unreadable', file, error: (e as Error).message };
  }
  const problem = (error: string): KernelRecordRead => ({ state: 'unreadable', file, error });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return problem(`not JSON: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return problem('not a JSON object');
  const { table, protocol, interfaceName, bootId } = body as Record<string, unknown>;
  if (!Number.isSafeInteger(table) || !Number.isSafeInteger(protocol) || typeof interfaceName !== 'string') {
    return problem('needs an integer table, an integer protocol and a string interfaceName');
  }
  // The configuration's own rules decide whether these values may be touched.
  const toml = `[routing]\ntable = ${table as number}\nprotocol = ${protocol as number}\n[interface]\nname = ${JSON.stringify(interfaceName)}\n`;
  let config: Config;
  try {
    config = parseConfig(toml, file);
  } catch (e) {
    return problem((e as Error).message);
  }
  const kernel = { table: config.routing.table, protocol: config.routing.protocol, interfaceName: config.interface.name };
  return typeof bootId === 'string' && /^[0-9a-f-]{36}$/.test(bootId)
    ? { state: 'read', file, kernel, bootId }
    : { state: 'read', file, kernel };
}
