// Runs the CLI as a separate process — the source tree through Node 24, or the
// built single executable — and the exit-code table both must satisfy.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export type Cli = (args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string }) => SpawnSyncReturns<string>;

export function cliFor(command: string[]): Cli {
  return (args, opts = {}) =>
    spawnSync(command[0]!, [...command.slice(1), ...args], {
      encoding: 'utf8',
      cwd: opts.cwd ?? repoRoot,
      env: opts.env ?? { ...process.env, JOURNAL_STREAM: '' },
      input: opts.input ?? '',
      timeout: 30_000,
    });
}

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A config file in a temporary directory, removed when the test process exits. */
export function tempConfig(extra = ''): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kla-cli-'));
  made.push(dir);
  const path = join(dir, 'config.toml');
  writeFileSync(path, `[state]\ndirectory = "${dir}/state"\n\n[log]\nformat = "json"\n${extra}`);
  return { dir, path };
}

interface ExitCase {
  readonly name: string;
  readonly args: (cfg: { path: string; dir: string }) => string[];
  readonly code: number;
  readonly out?: RegExp;
  readonly err?: RegExp;
}

export const exitCases: readonly ExitCase[] = [
  { name: 'no command → usage', args: () => [], code: 2, err: /Usage: kube-lb-agent/ },
  { name: 'unknown command → usage', args: () => ['annouce'], code: 2, err: /unknown command 'annouce'/ },
  { name: 'unknown option → usage', args: () => ['version', '--colour'], code: 2, err: /unknown option '--colour'/ },
  { name: 'bad --log-format choice → usage', args: () => ['--log-format', 'xml', 'version'], code: 2, err: /Allowed choices are auto, text, json/ },
  { name: '--help → ok', args: () => ['--help'], code: 0, out: /check-config/ },
  { name: 'version → ok', args: () => ['version'], code: 0, out: /^kube-lb-agent \d+\.\d+\.\d+\ncommit: \S+\nnode: v24\./ },
  { name: 'check-config of the shipped default → ok', args: () => ['check-config', '--config', join(repoRoot, 'packaging/config.toml')], code: 0, out: /config\.toml: OK/ },
  { name: 'check-config of a minimal file → ok', args: (c) => ['check-config', '-c', c.path], code: 0, out: /OK/ },
  { name: 'check-config of a missing file → bad config', args: (c) => ['check-config', '-c', join(c.dir, 'nope.toml')], code: 3, err: /nope\.toml/ },
  {
    name: 'check-config with a typo → bad config naming file, line and a hint',
    args: (c) => {
      writeFileSync(join(c.dir, 'typo.toml'), '[routing]\ntabel = 198\n');
      return ['check-config', '-c', join(c.dir, 'typo.toml')];
    },
    code: 3,
    err: /typo\.toml:2:\d+: routing\.tabel.*did you mean "?table"?/,
  },
  {
    name: 'run with a syntax error → bad config',
    args: (c) => {
      writeFileSync(join(c.dir, 'broken.toml'), '[log\nlevel = "info"\n');
      return ['run', '-c', join(c.dir, 'broken.toml')];
    },
    code: 3,
    err: /broken\.toml:1:\d+/,
  },
];

export function assertExitCase(cli: Cli, c: ExitCase): void {
  const cfg = tempConfig();
  const r = cli(c.args(cfg));
  const detail = `exit ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.equal(r.status, c.code, detail);
  if (c.out) assert.match(r.stdout, c.out, detail);
  if (c.err) assert.match(r.stderr, c.err, detail);
}
