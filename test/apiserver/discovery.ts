// API discovery: the legacy documents (`/api`, `/api/v1`, `/apis`,
// `/apis/<group>`, `/apis/<group>/<version>`), aggregated discovery
// (`apidiscovery.k8s.io/v2` and `v2beta1`, which kubectl 1.32 asks for
// first) and `/version`, all generated from the resource table.

import { createHash } from 'node:crypto';
import { allResources, groups, type ResourceDef } from './resources.ts';

export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kla-test',
  gitCommit: 'kube-lb-agent-test-apiserver',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'node',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

function gv(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(g: { group: string; version: string }): Record<string, unknown> {
  const v = { groupVersion: gv(g), version: g.version };
  return { name: g.group, versions: [v], preferredVersion: v };
}

export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().filter((g) => g.group).map(apiGroup) };
}

export function apiGroupDoc(group: string): Record<string, unknown> | undefined {
  const g = groups().find((x) => x.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) } : undefined;
}

export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const g = groups().find((x) => x.group === group && x.version === version);
  if (!g) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of [...g.resources].sort((a, b) => a.plural.localeCompare(b.plural))) {
    const main: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs };
    if (r.shortNames.length) main.shortNames = r.shortNames;
    if (r.categories.length) main.categories = r.categories;
    main.storageVersionHash = r.storageVersionHash;
    resources.push(main);
    for (const s of r.subresources) resources.push({ name: `${r.plural}/${s}`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
  }
  // The core group's list carries no apiVersion on a real server; the others do.
  return group ? { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv(g), resources } : { kind: 'APIResourceList', groupVersion: 'v1', resources };
}

function discoveryResource(r: ResourceDef): Record<string, unknown> {
  const out: Record<string, unknown> = {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames.length) out.shortNames = r.shortNames;
  if (r.categories.length) out.categories = r.categories;
  if (r.subresources.length)
    out.subresources = r.subresources.map((s) => ({ subresource: s, responseKind: { group: r.group, version: r.version, kind: r.kind }, verbs: ['get', 'patch', 'update'] }));
  return out;
}

/** The aggregated document for `/api` (core) or `/apis` (named groups). */
export function aggregated(core: boolean, version: 'v2' | 'v2beta1'): Record<string, unknown> {
  const items = groups()
    .filter((g) => (g.group === '') === core)
    .map((g) => ({
      metadata: core ? { creationTimestamp: null } : { name: g.group, creationTimestamp: null },
      versions: [{ version: g.version, resources: [...g.resources].sort((a, b) => a.plural.localeCompare(b.plural)).map(discoveryResource), freshness: 'Current' }],
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

export function etag(body: string): string {
  return `"${createHash('sha512').update(body).digest('hex').slice(0, 64).toUpperCase()}"`;
}

export const served = allResources;
