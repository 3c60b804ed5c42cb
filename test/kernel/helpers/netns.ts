// Network namespaces for kernel tests: each test creates its own, named
// kla-<purpose>-<pid>, and removes it afterwards, also when the test fails.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export function requireRoot(): void {
  if (process.getuid?.() !== 0) assert.fail('needs root: creates network namespaces');
}

export interface Netns {
  readonly name: string;
  /** Runs `ip -n <name> ...args` and returns its stdout. */
  ip(...args: string[]): Promise<string>;
  remove(): Promise<void>;
}

export async function createNetns(purpose: string): Promise<Netns> {
  requireRoot();
  const name = `kla-${purpose}-${process.pid}`;
  await exec('ip', ['netns', 'add', name]);
  return {
    name,
    async ip(...args) {
      return (await exec('ip', ['-n', name, ...args], { maxBuffer: 64 << 20 })).stdout;
    },
    async remove() {
      await exec('ip', ['netns', 'del', name]).catch(() => {});
    },
  };
}
