// Writes the DEP-5 paragraphs of the npm packages that are inside
// /usr/bin/kube-lb-agent into the package's copyright file.
//
//   node packaging/copyright-npm.mjs --list             the packages, one a line
//   node packaging/copyright-npm.mjs --write FILE       insert them into FILE
//
// Which packages: the ones esbuild reaches from the entry point with the
// options of scripts/build-sea.mjs (node-gyp-build excepted: the build swaps
// it for our own addon loader), plus node-addon-api, whose headers are
// compiled into the netlink addon embedded as an asset. Each paragraph carries
// the package's licence file verbatim, so every notice travels with the binary.
// A licence named by a package must have its text in a stand-alone paragraph
// of debian/copyright; if it has none, this fails and says which to add.
// Run it with the project's Node 24 (node_modules/.bin/node).

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Packages whose package.json names no licence; each checked by hand.
const UNDECLARED = {
  jsbi: 'Apache-2.0', // LICENSE: Apache License 2.0 (Google)
  'map-stream': 'MIT', // LICENCE: MIT, Dominic Tarr
};

function fail(msg) {
  console.error(`copyright-npm: ${msg}`);
  process.exit(1);
}

async function bundledPackages() {
  // The bundle's own record of its inputs, written by scripts/build-sea.mjs:
  // exactly what the binary holds, plugins and all.
  const metaFile = join(root, 'build', 'sea', 'metafile.json');
  if (!existsSync(metaFile)) fail(`${metaFile} is missing: run npm run build first`);
  const result = { metafile: JSON.parse(readFileSync(metaFile, 'utf8')) };
  const paths = new Set();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) paths.add(m[1]);
  }
  if (paths.has('node_modules/netlink')) paths.add('node_modules/node-addon-api');
  return [...paths].sort();
}

/** The licence as the package declares it, in Debian's short names. */
function licence(path, pkg) {
  let spdx = pkg.license;
  if (Array.isArray(pkg.licenses)) spdx = pkg.licenses.map((l) => l.type ?? l).join(' OR ');
  if (Array.isArray(spdx)) spdx = spdx.join(' OR ');
  if (typeof spdx === 'object' && spdx !== null) spdx = spdx.type;
  if (typeof spdx !== 'string') spdx = UNDECLARED[pkg.name];
  if (typeof spdx !== 'string') fail(`${path} declares no licence: read its licence file and add it to UNDECLARED`);
  return spdx
    .replace(/^\((.*)\)$/, '$1')
    .split(/\s+(OR|AND)\s+/)
    .map((w) => ({ OR: 'or', AND: 'and', MIT: 'Expat', 'MIT/X11': 'Expat', Apache2: 'Apache-2.0' })[w] ?? w)
    .join(' ');
}

function licenceFiles(dir) {
  return readdirSync(dir)
    .filter((f) => /^(licen[cs]e|copying|unlicense)(\.(md|txt|markdown))?$/i.test(f))
    .sort();
}

function copyrightLines(dir, pkg, files) {
  const lines = [];
  for (const f of files) {
    for (const raw of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const t = raw.trim();
      if (/^(copyright\b|\(c\)|©)/i.test(t) && !/notice|holders|license\.|license to|owner|you must/i.test(t)) {
        lines.push(t.replace(/^copyright\s*(\(c\)|©)?\s*/i, '').replace(/^\(c\)\s*/i, ''));
      }
    }
  }
  if (lines.length > 0) return [...new Set(lines)];
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
  return [author ?? `the authors of ${pkg.name}`];
}

/** Text as DEP-5 continuation lines: one leading space, empty lines as " .". */
function continuation(text) {
  return text
    .replace(/\r/g, '')
    .replace(/\t/g, '    ')
    .trimEnd()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.trimEnd()}`))
    .join('\n');
}

function paragraph(path) {
  const dir = join(root, path);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const files = licenceFiles(dir);
  const holders = copyrightLines(dir, pkg, files);
  const lic = licence(path, pkg);
  const out = [`Files: ${path}/*`, `Copyright: ${holders.join('\n           ')}`, `License: ${lic}`];
  if (files.length === 0) {
    out.push(`Comment: ${pkg.name} ${pkg.version}. It ships no licence file; its package.json declares ${lic}.`);
  } else {
    out.push(`Comment: ${pkg.name} ${pkg.version}. Its licence file (${files.join(', ')}), verbatim:`, ' .');
    out.push(files.map((f) => continuation(readFileSync(join(dir, f), 'utf8'))).join('\n .\n'));
  }
  return { text: out.join('\n') + '\n', licence: lic };
}

/** Short names that have a stand-alone License paragraph in the copyright file. */
function definedLicences(copyright) {
  return new Set([...copyright.matchAll(/^License: (\S+)\n /gm)].map((m) => m[1]));
}

const [mode, file] = process.argv.slice(2);
const packages = await bundledPackages();
if (mode === '--list') {
  console.log(packages.join('\n'));
} else if (mode === '--write' && file) {
  const copyright = readFileSync(file, 'utf8');
  const defined = definedLicences(copyright);
  const paragraphs = packages.map(paragraph);
  const missing = new Set();
  for (const p of paragraphs) {
    for (const name of p.licence.split(/\s+(?:and|or)\s+/)) if (!defined.has(name)) missing.add(name);
  }
  if (missing.size > 0) {
    fail(`no licence text in debian/copyright for: ${[...missing].join(', ')} — add a stand-alone "License: NAME" paragraph with its text`);
  }
  // Files paragraphs go before the first stand-alone License paragraph.
  const at = copyright.search(/\n\nLicense: /);
  if (at < 0) fail(`${file} has no stand-alone License paragraph to insert before`);
  const body = paragraphs.map((p) => p.text).join('\n');
  writeFileSync(file, `${copyright.slice(0, at)}\n\n${body}${copyright.slice(at + 1)}`);
  console.log(`copyright-npm: ${paragraphs.length} npm packages written into ${file}`);
} else {
  fail('usage: copyright-npm.mjs --list | --write FILE');
}
