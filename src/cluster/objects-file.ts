// A Snapshot from a file instead of the API, for `kube-lb-agent plan`: a
// multi-document YAML, or the List that `kubectl get -o yaml|json` prints
// (JSON is YAML too), holding Services, EndpointSlices, Nodes and Leases.
// Objects are read with the informers' own parse functions, so the planner
// sees a file exactly as it would see the same objects from the API.

import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { AgentError } from '../errors.ts';
import { isProblem, objectKey, parseAgentLease, parseEndpointSlice, parseNode, parseService, type Parsed } from './parse.ts';
import { agentLeasesPart, endpointSlicesPart, freezeSnapshot, nodesPart, servicesPart } from './snapshot-build.ts';
import type { AgentLeaseView, EndpointSliceView, NodeView, ServiceView, Snapshot } from './snapshot.ts';

export interface ObjectsFile {
  /** Marked synced: a file is a complete view by definition. */
  readonly snapshot: Snapshot;
  /** Objects of other kinds (Pods, Deployments…) and Leases not of agents, counted by kind; not errors. */
  readonly ignored: ReadonlyMap<string, number>;
}

const MAX_PROBLEMS_SHOWN = 20;

/** Reads and parses a file; every problem names the file, the document (1-based) and the item. Throws AgentError OBJECTS_FILE. */
export interface ObjectsFileOptions {
  /** Leases elsewhere are ignored, as the agent watches only this namespace. */
  readonly leaseNamespace?: string;
}

export function readObjectsFile(path: string, opts: ObjectsFileOptions = {}): ObjectsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AgentError('OBJECTS_FILE', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseObjectsText(text, path, opts);
}

export function parseObjectsText(text: string, name: string, opts: ObjectsFileOptions = {}): ObjectsFile {
  const problems: string[] = [];
  const services = new Map<string, ServiceView>();
  const slices = new Map<string, EndpointSliceView>();
  const nodes = new Map<string, NodeView>();
  const leases = new Map<string, AgentLeaseView>();
  const seen = new Map<string, string>();
  const ignored = new Map<string, number>();

  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, d) => {
    const where = `${name}: document ${d + 1}`;
    if (doc.errors.length > 0) {
      problems.push(`${where}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return;
    if (!isObject(value)) {
      problems.push(`${where}: expected a Kubernetes object or List, found ${Array.isArray(value) ? 'a sequence' : typeof value}`);
      return;
    }
    const kind = value.kind;
    if (typeof kind === 'string' && kind.endsWith('List') && 'items' in value) {
      if (!Array.isArray(value.items)) {
        problems.push(`${where}: ${kind}.items is not a sequence`);
        return;
      }
      value.items.forEach((item, i) => add(item, `${where}, items[${i}]`, typeof kind === 'string' && kind !== 'List' ? kind.slice(0, -4) : null));
    } else {
      add(value, where, null);
    }
  });

  function add(obj: unknown, where: string, listKind: string | null): void {
    if (!isObject(obj)) {
      problems.push(`${where}: expected an object`);
      return;
    }
    // kubectl omits kind/apiVersion inside typed lists (ServiceList): take the list's.
    const kind = typeof obj.kind === 'string' ? obj.kind : listKind;
    const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : null;
    if (kind === null) {
      problems.push(`${where}: no kind`);
      return;
    }
    const key = objectKey(obj) ?? '?';
    const label = `${where} (${kind} ${key})`;
    switch (kind) {
      case 'Service':
        return put(services, parseService(obj), key, label, 'Service', apiVersion, ['v1']);
      case 'EndpointSlice':
        return put(slices, parseEndpointSlice(obj), key, label, 'EndpointSlice', apiVersion, ['discovery.k8s.io/v1']);
      case 'Node':
        return put(nodes, parseNode(obj), key, label, 'Node', apiVersion, ['v1']);
      case 'Lease': {
        const ns = (obj.metadata as { namespace?: unknown } | undefined)?.namespace;
        const elsewhere = opts.leaseNamespace !== undefined && ns !== undefined && ns !== opts.leaseNamespace;
        const view = elsewhere ? null : parseAgentLease(obj);
        if (view === null) count('Lease');
        return put(leases, view, key, label, 'Lease', apiVersion, ['coordination.k8s.io/v1']);
      }
      default:
        count(kind);
    }
  }

  function put<V>(store: Map<string, V>, view: Parsed<V>, key: string, label: string, kind: string, apiVersion: string | null, versions: string[]) {
    if (apiVersion !== null && !versions.includes(apiVersion)) {
      problems.push(`${label}: apiVersion ${apiVersion} is not ${versions.join(' or ')}`);
      return;
    }
    if (isProblem(view)) {
      problems.push(`${label}: ${view.problem}`);
      return;
    }
    if (view === null) return;
    const id = `${kind} ${key}`;
    const before = seen.get(id);
    if (before !== undefined) {
      problems.push(`${label}: the same ${kind} is also at ${before}`);
      return;
    }
    seen.set(id, label.replace(/ \(.*\)$/, ''));
    store.set(key, view);
  }

  function count(kind: string) {
    ignored.set(kind, (ignored.get(kind) ?? 0) + 1);
  }

  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
    if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more`);
    throw new AgentError('OBJECTS_FILE', shown.join('\n'));
  }
  return {
    snapshot: freezeSnapshot({
      synced: true,
      services: servicesPart(services.values()),
      endpointSlices: endpointSlicesPart(slices.values()),
      nodes: nodesPart(nodes.values()),
      agentLeases: agentLeasesPart(leases.values()),
    }),
    ignored,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
