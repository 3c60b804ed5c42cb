// OpenAPI v3 as far as kubectl 1.32 reads it: the root index
// (`/openapi/v3`) and one document per group-version with the paths, their
// operations tagged `x-kubernetes-group-version-kind` / `x-kubernetes-action`,
// and the query parameters. `kubectl apply` looks up the PATCH operation's
// `fieldValidation` parameter there to decide that the server validates
// fields itself (else it wants /openapi/v2 to validate on the client).
// Component schemas are left out (kubectl then computes strategic merge
// patches from its compiled-in types, which carry the same patch metadata);
// `kubectl explain` therefore has nothing to show.

import { createHash } from 'node:crypto';
import { groups, type ResourceDef } from './resources.ts';

type Obj = Record<string, unknown>;

function q(name: string, description: string, type = 'string'): Obj {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const p = {
  dryRun: q('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: q('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: - Ignore - Warn (default) - Strict'),
  force: q('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.', 'boolean'),
  pretty: q('pretty', "If 'true', then the output is pretty printed."),
  allowWatchBookmarks: q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  continue: q('continue', 'The continue option should be set when retrieving more results from the server.'),
  fieldSelector: q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: q('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  resourceVersion: q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  resourceVersionMatch: q('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  sendInitialEvents: q('sendInitialEvents', '`sendInitialEvents=true` may be set together with `watch=true`.', 'boolean'),
  timeoutSeconds: q('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  watch: q('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
  propagationPolicy: q('propagationPolicy', 'Whether and how garbage collection will be performed.'),
  name: { name: 'name', in: 'path', description: 'name of the resource', required: true, schema: { type: 'string', uniqueItems: true } },
  namespace: { name: 'namespace', in: 'path', description: 'object name and auth scope, such as for teams and projects', required: true, schema: { type: 'string', uniqueItems: true } },
};

const listParams = [p.allowWatchBookmarks, p.continue, p.fieldSelector, p.labelSelector, p.limit, p.resourceVersion, p.resourceVersionMatch, p.sendInitialEvents, p.timeoutSeconds, p.watch];
const json = { 'application/json': { schema: { type: 'object' } }, 'application/yaml': { schema: { type: 'object' } } };
const patchBody = {
  content: Object.fromEntries(
    ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'].map((t) => [
      t,
      { schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } },
    ]),
  ),
  required: true,
};

function op(r: ResourceDef, action: string, id: string, parameters: Obj[], extra: Obj = {}): Obj {
  return {
    tags: [r.group ? `${r.group.split('.')[0]}_${r.version}` : `core_${r.version}`],
    operationId: id,
    parameters,
    ...extra,
    responses: { '200': { description: 'OK', content: json } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
  };
}

function opId(verb: string, r: ResourceDef, scope: string, sub = ''): string {
  const g = r.group ? r.group.split('.')[0]!.replace(/^./, (c) => c.toUpperCase()) : 'Core';
  return `${verb}${g}${r.version.replace(/^./, (c) => c.toUpperCase())}${scope}${r.kind}${sub}`;
}

function pathsFor(r: ResourceDef): Record<string, Obj> {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const scope = r.namespaced ? 'Namespaced' : '';
  const coll = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
  const scopeParams = r.namespaced ? [p.namespace] : [];
  const out: Record<string, Obj> = {};
  out[coll] = {
    get: op(r, 'list', opId('list', r, scope), listParams),
    post: op(r, 'post', opId('create', r, scope), [p.dryRun, p.fieldManager, p.fieldValidation], { requestBody: { content: json, required: true } }),
    delete: op(r, 'deletecollection', opId('deleteCollection', r, scope), [...listParams, p.dryRun, p.gracePeriodSeconds, p.propagationPolicy]),
    parameters: [...scopeParams, p.pretty],
  };
  const item = (sub: string, subId: string, withDelete: boolean): Obj => {
    const ops: Obj = {
      get: op(r, 'get', opId('read', r, scope, subId), []),
      put: op(r, 'put', opId('replace', r, scope, subId), [p.dryRun, p.fieldManager, p.fieldValidation], { requestBody: { content: json, required: true } }),
      patch: op(r, 'patch', opId('patch', r, scope, subId), [p.dryRun, p.fieldManager, p.fieldValidation, p.force], { requestBody: patchBody }),
      parameters: [p.name, ...scopeParams, p.pretty],
    };
    if (withDelete) ops.delete = op(r, 'delete', opId('delete', r, scope, subId), [p.dryRun, p.gracePeriodSeconds, p.propagationPolicy]);
    return ops;
  };
  out[`${coll}/{name}`] = item('', '', true);
  for (const s of r.subresources) out[`${coll}/{name}/${s}`] = item(s, s.replace(/^./, (c) => c.toUpperCase()), false);
  if (r.namespaced) out[`${base}/${r.plural}`] = { get: op(r, 'list', opId('list', r, '', 'ForAllNamespaces'), listParams) };
  return out;
}

function gvPath(g: { group: string; version: string }): string {
  return g.group ? `apis/${g.group}/${g.version}` : `api/${g.version}`;
}

const docs = new Map<string, string>();
for (const g of groups()) {
  const paths: Record<string, Obj> = {};
  for (const r of g.resources) Object.assign(paths, pathsFor(r));
  const doc = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: { 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' } } },
  };
  docs.set(gvPath(g), JSON.stringify(doc));
}

function hash(s: string): string {
  return createHash('sha512').update(s).digest('hex').toUpperCase().slice(0, 128);
}

export function openapiRoot(): Obj {
  const paths: Record<string, Obj> = {};
  for (const [k, v] of docs) paths[k] = { serverRelativeURL: `/openapi/v3/${k}?hash=${hash(v)}` };
  return { paths };
}

/** The document for `api/v1` or `apis/<group>/<version>`, as JSON text. */
export function openapiDoc(gv: string): string | undefined {
  return docs.get(gv);
}
