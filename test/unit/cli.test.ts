// The CLI from the source tree (fast feedback); test/binary runs the same
// table against the built single executable.
import { test } from 'node:test';
import { join } from 'node:path';
import { assertExitCase, cliFor, exitCases, repoRoot } from '../helpers/cli.ts';

const cli = cliFor([process.execPath, join(repoRoot, 'src/main.ts')]);

for (const c of exitCases) {
  test(`source CLI: ${c.name}`, () => assertExitCase(cli, c));
}
