// The resource types this server serves, described the way the apiserver's
// registry and discovery describe them. Everything else (discovery, routing,
// strategies, tables) is driven from this table.

export interface ResourceDef {
  readonly group: string; // '' for core
  readonly version: string;
  readonly apiVersion: string; // 'v1' or 'group/version'
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly string[];
  /** Subresources with their own endpoint (only `status` here). */
  readonly subresources: readonly string[];
  /** Field selector labels the real registry accepts. */
  readonly fieldLabels: readonly string[];
  /** PUT of a missing object creates it (the registry's AllowCreateOnUpdate). */
  readonly allowCreateOnUpdate: boolean;
  /** DELETE answers with the deleted object rather than a Success Status. */
  readonly returnDeletedObject: boolean;
  /** metadata.generation is kept (set to 1, bumped on spec changes). */
  readonly tracksGeneration: boolean;
  /** Strategic-merge-patch list merge keys by JSON path ('' key = merge primitive list). */
  readonly mergeKeys: Readonly<Record<string, string>>;
  /** Discovery's storageVersionHash (opaque to clients; stable per resource). */
  readonly storageVersionHash: string;
}

const crud = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

const metaMergeKeys = { 'metadata.ownerReferences': 'uid', 'metadata.finalizers': '' };

export const services: ResourceDef = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  kind: 'Service',
  listKind: 'ServiceList',
  plural: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  verbs: crud,
  subresources: ['status'],
  fieldLabels: ['metadata.name', 'metadata.namespace'],
  allowCreateOnUpdate: false,
  returnDeletedObject: true,
  tracksGeneration: false,
  mergeKeys: { ...metaMergeKeys, 'spec.ports': 'port', 'status.conditions': 'type' },
  storageVersionHash: '0/CO1lhkEBI=',
};

export const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  kind: 'Node',
  listKind: 'NodeList',
  plural: 'nodes',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  categories: [],
  verbs: crud,
  subresources: ['status'],
  fieldLabels: ['metadata.name', 'spec.unschedulable'],
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  tracksGeneration: false,
  mergeKeys: { ...metaMergeKeys, 'spec.podCIDRs': '', 'status.conditions': 'type', 'status.addresses': 'type' },
  storageVersionHash: 'XwShjMxG9Fs=',
};

export const endpointSlices: ResourceDef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  listKind: 'EndpointSliceList',
  plural: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  shortNames: [],
  categories: [],
  verbs: crud,
  subresources: [],
  fieldLabels: ['metadata.name', 'metadata.namespace'],
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  tracksGeneration: true,
  mergeKeys: { ...metaMergeKeys },
  storageVersionHash: 'Nx3SIv6I0mE=',
};

export const leases: ResourceDef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  listKind: 'LeaseList',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  shortNames: [],
  categories: [],
  verbs: crud,
  subresources: [],
  fieldLabels: ['metadata.name', 'metadata.namespace'],
  allowCreateOnUpdate: true,
  returnDeletedObject: false,
  tracksGeneration: false,
  mergeKeys: { ...metaMergeKeys },
  storageVersionHash: 'gqkMMb/YqFM=',
};

/**
 * Namespaces, so that namespaced objects have somewhere to live: creates
 * over HTTP in a missing namespace get 404 as NamespaceLifecycle answers.
 * Deleting one removes its content at once (no Terminating phase).
 */
export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  categories: [],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: ['status'],
  fieldLabels: ['metadata.name', 'status.phase'],
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  tracksGeneration: false,
  mergeKeys: { ...metaMergeKeys, 'status.conditions': 'type' },
  storageVersionHash: 'Q3oi5N2YM8M=',
};

/**
 * core/v1 Events, what `kubectl get events` and `kubectl describe` read (the
 * agent posts them with kubernetes.events). The real server also serves them
 * as events.k8s.io/v1 from the same storage; kubectl resolves `events` to
 * the core group first, so that form is left out.
 */
export const events: ResourceDef = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  kind: 'Event',
  listKind: 'EventList',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  categories: [],
  verbs: crud,
  subresources: [],
  fieldLabels: [
    'metadata.name',
    'metadata.namespace',
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  allowCreateOnUpdate: true,
  returnDeletedObject: false,
  tracksGeneration: false,
  mergeKeys: { ...metaMergeKeys },
  storageVersionHash: 'r2yiGXH7wu8=',
};

export const allResources: readonly ResourceDef[] = [namespaces, services, nodes, endpointSlices, leases, events];

/** The namespaces a fresh cluster has. */
export const initialNamespaces = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

/** API groups in discovery order (core first, as the real server lists it). */
export function groups(): { group: string; version: string; resources: ResourceDef[] }[] {
  const out: { group: string; version: string; resources: ResourceDef[] }[] = [];
  for (const r of allResources) {
    let g = out.find((x) => x.group === r.group && x.version === r.version);
    if (!g) out.push((g = { group: r.group, version: r.version, resources: [] }));
    g.resources.push(r);
  }
  return out;
}

export function byPath(group: string, version: string, plural: string): ResourceDef | undefined {
  return allResources.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** The resource an object belongs to, from its apiVersion and kind (or a bare kind / plural / short name). */
export function resourceFor(ref: { apiVersion?: string; kind?: string; resource?: string }): ResourceDef {
  if (ref.resource) {
    const r = allResources.find((x) => x.plural === ref.resource || x.shortNames.includes(ref.resource!));
    if (r) return r;
    throw new Error(`unknown resource ${JSON.stringify(ref.resource)}`);
  }
  const r = allResources.find((x) => x.kind === ref.kind && (ref.apiVersion === undefined || ref.apiVersion === x.apiVersion));
  if (!r) throw new Error(`unknown kind ${JSON.stringify(ref.apiVersion ?? '')}/${JSON.stringify(ref.kind ?? '')}: this server serves ${allResources.map((x) => `${x.apiVersion} ${x.kind}`).join(', ')}`);
  return r;
}
