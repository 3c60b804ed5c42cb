// Native addons inside the single executable. A `.node` file cannot be
// required from the SEA blob, so the build embeds it as an asset; here it is
// written once to a content-hashed file in a directory that allows exec and
// loaded with process.dlopen. The file is verified against the embedded bytes
// before every load, so a stale, truncated or tampered file is replaced.

import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentError } from '../errors.ts';

export const DEFAULT_ADDON_DIRECTORY = '/var/lib/kube-lb-agent/addons';
export const ADDON_DIRECTORY_ENV = 'KUBE_LB_AGENT_ADDON_DIR';

let configuredDirectory: string | undefined;

/** Set from the config's `state.addon_directory` before the first load. */
export function setAddonDirectory(dir: string | undefined): void {
  configuredDirectory = dir || undefined;
}

function candidateDirectories(): string[] {
  const forced = process.env[ADDON_DIRECTORY_ENV];
  if (forced) return [forced];
  // The state directory belongs to the agent's user. Anyone else — root in
  // the package's prerm running `cleanup`, an operator running `version
  // --verbose` — must not load code from a directory another user can write
  // (ensurePrivateDir refuses it), and falls back to a private directory of
  // its own under the sticky temporary directory.
  const uid = process.getuid?.() ?? 0;
  return [configuredDirectory ?? DEFAULT_ADDON_DIRECTORY, join(tmpdir(), `kube-lb-agent-${uid}`, 'addons')];
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} must be a directory owned by uid ${uid} and not writable by others`);
  }
}

function materialize(dir: string, name: string, bytes: Uint8Array, hash: string): string {
  ensurePrivateDir(dir);
  const file = join(dir, `${name.replace(/\.node$/, '')}-${hash.slice(0, 16)}.node`);
  let current: Buffer | undefined;
  try {
    current = readFileSync(file);
  } catch {
    current = undefined;
  }
  if (!current || sha256(current) !== hash) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes, { mode: 0o500 });
    renameSync(tmp, file);
    chmodSync(file, 0o500);
  }
  return file;
}

/** Loads an addon embedded as SEA asset `name` and returns its exports. */
export function loadEmbeddedAddon(name: string): unknown {
  // node:sea exists only in Node >= 20; required lazily so source runs never touch it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sea = process.getBuiltinModule('node:sea');
  if (!sea.isSea()) throw new AgentError('ADDON_LOAD', `embedded addon ${name} requested outside the single executable`);
  const bytes = new Uint8Array(sea.getAsset(name));
  const hash = sha256(bytes);
  const failures: string[] = [];
  for (const dir of candidateDirectories()) {
    try {
      const file = materialize(dir, name, bytes, hash);
      const mod = { exports: {} as unknown };
      process.dlopen(mod, file);
      return mod.exports;
    } catch (e) {
      failures.push(`${dir}: ${(e as Error).message}`);
    }
  }
  throw new AgentError(
    'ADDON_LOAD',
    `cannot load the embedded native addon ${name}; tried ${failures.join('; ')}. ` +
      `Set state.addon_directory (or ${ADDON_DIRECTORY_ENV}) to a writable directory on a filesystem mounted without noexec.`,
  );
}
