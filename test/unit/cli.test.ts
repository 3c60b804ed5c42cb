// The CLI from the source tree (fast feedback); test/binary runs the same
// table against the built single executable.
import { test } from 'node:test';
import { join } from 'node:path';
import { assertExitCase, cliFor, exitCases, repoRoot } from '../helpers/cli.ts';
import { assertRenderExitCase, renderExitCases } from '../render/cli-cases.ts';

const cli = cliFor([process.execPath, join(repoRoot, 'src/main.ts')]);

for (const c of exitCases) {
  test(`source CLI: ${c.name}`, () => assertExitCase(cli, c));
}

// render bird|frr: exit codes and messages (test/render/cli-cases.ts).
for (const c of renderExitCases) {
  test(`source CLI: ${c.name}`, () => assertRenderExitCase(cli, c));
}
