// Running the CLI as a process without blocking the test's event loop (the
// stub servers the CLI talks to live on that loop), and configs that point it
// at them.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

export const NODE = join(repoRoot, 'node_modules/.bin/node');
export const MAIN = join(repoRoot, 'src/main.ts');

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `kube-lb-agent ...args`, optionally behind a prefix such as `ip netns exec NS`. */
export function runCli(args: readonly string[], prefix: readonly string[] = []): Promise<Run> {
  const argv = [...prefix, NODE, MAIN, ...args];
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { cwd: repoRoot, env: { ...process.env, JOURNAL_STREAM: '' }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** A config file whose http.listen is `listen` ("" = HTTP off), plus any extra TOML. */
export function configFile(listen: string, extra = ''): string {
  const dir = tempDir('kla-obs-');
  const path = join(dir, 'config.toml');
  writeFileSync(path, `[http]\nlisten = "${listen}"\n\n[state]\ndirectory = "${dir}/state"\n\n${extra}`);
  return path;
}
