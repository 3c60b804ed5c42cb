// The command prints exactly what the pure renderer gives for the build's
// version (so the goldens speak for the command), and the man page documents
// `render` — every command, in fact. Exit codes: test/render/cli-cases.ts,
// run from test/unit/cli.test.ts and test/binary/cli.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInfo } from '../../src/build-info.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { cliFor, repoRoot } from '../helpers/cli.ts';
import { caseArgs, cases, renderCase } from './cases.ts';

const cli = cliFor([process.execPath, join(repoRoot, 'src/main.ts')]);

for (const c of cases) {
  test(`kube-lb-agent ${caseArgs(c).join(' ')} prints the ${c.name} rendering`, () => {
    const r = cli(caseArgs(c));
    assert.equal(r.status, 0, r.stderr);
    const expected = renderCase(c, buildInfo.version);
    assert.equal(r.stdout, expected.text);
    assert.equal(r.stderr, expected.warnings.map((w) => `warning: ${w}\n`).join(''));
  });
}

test('the man page documents every command, render bird and render frr included', () => {
  const man = readFileSync(join(repoRoot, 'debian/kube-lb-agent.8'), 'utf8');
  // An entry is a line `.B <command>` (a hyphen may be written \-).
  const entry = (words: string) => new RegExp(`^\\.B ${words.replace(/-/g, '\\\\?-')}(\\s|$)`, 'm');
  const commands = buildProgram().commands.map((c) => c.name());
  assert.ok(commands.includes('render'));
  for (const name of commands) assert.match(man, entry(name), `debian/kube-lb-agent.8 has no ".B ${name}" entry`);
  for (const words of ['render bird', 'render frr']) assert.match(man, entry(words));
  // Options are written with escaped hyphens: \-\-router\-id.
  for (const flag of ['source', 'router-id', 'local-as', 'peer-as', 'neighbor']) assert.ok(man.includes(`--${flag}`.replaceAll('-', '\\-')), `--${flag} is documented`);
});
