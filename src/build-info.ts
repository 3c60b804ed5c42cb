// Version and commit of this build. The single-executable build defines
// __KLA_BUILD__; running from the source tree reads package.json and git.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

declare const __KLA_BUILD__: BuildInfo | undefined;

export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
}

function fromSourceTree(): BuildInfo {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // not a git checkout: keep "unknown"
  }
  return { version: pkg.version, commit };
}

export const buildInfo: BuildInfo = typeof __KLA_BUILD__ !== 'undefined' ? __KLA_BUILD__ : fromSourceTree();
