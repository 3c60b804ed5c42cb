// Server-side printing: the `meta.k8s.io/v1` Table that `kubectl get` asks
// for (Accept `application/json;as=Table;v=v1;g=meta.k8s.io`), with the
// columns and cell formats of kube's printers for these four kinds, and the
// PartialObjectMetadata form of metadata-only clients.

import type { ResourceDef } from './resources.ts';
import type { KubeObject } from './store.ts';

type Obj = Record<string, any>;

export interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

function col(name: string, description: string, extra: Partial<Column> = {}): Column {
  return { name, type: 'string', format: '', description, priority: 0, ...extra };
}

const nameCol = col('Name', 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.', { format: 'name' });
const ageCol = col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.trunc(days / 365)}y` : `${Math.trunc(days / 365)}y${days % 365}d`;
  return `${Math.trunc(days / 365)}y`;
}

function age(o: Obj, now: Date): string {
  const t = o.metadata?.creationTimestamp;
  if (!t) return '<unknown>';
  return humanDuration(now.getTime() - new Date(t).getTime());
}

function listWithMore(list: string[], count: number, max: number): string {
  const s = list.join(',');
  if (count > max) return `${s} + ${count - max} more...`;
  return s === '' ? '<unset>' : s;
}

function formatLabels(m: Record<string, string> | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${m![k]}`).join(',') : '<none>';
}

function serviceExternalIP(svc: Obj, wide: boolean): string {
  const spec = svc.spec ?? {};
  const external: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'ExternalName':
      return spec.externalName ?? '';
    case 'LoadBalancer': {
      const ingress: string[] = (svc.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip || i.hostname || '').filter((s: string) => s !== '');
      let lb = ingress.join(',');
      if (!wide && lb.length > 16) lb = `${lb.slice(0, 13)}...`;
      const all = [...(lb ? [lb] : []), ...external];
      return all.length ? all.join(',') : '<pending>';
    }
    default:
      return '<unknown>';
  }
}

function servicePorts(ports: Obj[] | undefined): string {
  if (!ports?.length) return '<none>';
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',');
}

function nodeStatus(n: Obj): string {
  const ready = (n.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
  const out = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (n.spec?.unschedulable) out.push('SchedulingDisabled');
  return out.join(',');
}

function nodeRoles(n: Obj): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries<string>(n.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function nodeAddress(n: Obj, type: string): string {
  return (n.status?.addresses ?? []).find((a: Obj) => a.type === type)?.address ?? '<none>';
}

function orUnknown(s: unknown): string {
  return typeof s === 'string' && s !== '' ? s : '<unknown>';
}

interface Printer {
  columns: Column[];
  cells(o: Obj, now: Date): unknown[];
}

const printers: Record<string, Printer> = {
  Namespace: {
    columns: [nameCol, col('Status', 'The status of the namespace'), ageCol],
    cells: (n, now) => [n.metadata.name, n.status?.phase ?? '', age(n, now)],
  },
  Service: {
    columns: [
      nameCol,
      col('Type', 'type determines how the Service is exposed.'),
      col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      col('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      col('Port(s)', 'The list of ports that are exposed by this service.'),
      ageCol,
      col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', { priority: 1 }),
    ],
    cells: (s, now) => [s.metadata.name, s.spec?.type ?? '', s.spec?.clusterIP || '<none>', serviceExternalIP(s, false), servicePorts(s.spec?.ports), age(s, now), formatLabels(s.spec?.selector)],
  },
  Node: {
    columns: [
      nameCol,
      col('Status', 'The status of the node'),
      col('Roles', 'The roles of the node'),
      ageCol,
      col('Version', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', { priority: 1 }),
      col('External-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', { priority: 1 }),
      col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', { priority: 1 }),
      col('Kernel-Version', 'Kernel Version reported by the node from \'uname -r\' (e.g. 3.16.0-0.bpo.4-amd64).', { priority: 1 }),
      col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', { priority: 1 }),
    ],
    cells: (n, now) => {
      const info = n.status?.nodeInfo ?? {};
      return [n.metadata.name, nodeStatus(n), nodeRoles(n), age(n, now), info.kubeletVersion ?? '', nodeAddress(n, 'InternalIP'), nodeAddress(n, 'ExternalIP'), orUnknown(info.osImage), orUnknown(info.kernelVersion), orUnknown(info.containerRuntimeVersion)];
    },
  },
  EndpointSlice: {
    columns: [
      nameCol,
      col('AddressType', 'The IP protocol for this slice'),
      col('Ports', 'The ports for this slice'),
      col('Endpoints', 'The endpoints for this slice'),
      ageCol,
    ],
    cells: (e, now) => {
      const ports: Obj[] = e.ports ?? [];
      const portList = ports.slice(0, 3).map((p) => (p.port != null ? String(p.port) : p.name != null ? p.name : '*'));
      const addrs: string[] = (e.endpoints ?? []).flatMap((x: Obj) => x.addresses ?? []);
      return [e.metadata.name, e.addressType ?? '', listWithMore(portList, ports.length, 3), listWithMore(addrs.slice(0, 3), addrs.length, 3), age(e, now)];
    },
  },
  // kube's printEvent, as the server runs it (Wide: every column, kubectl hides priority 1).
  Event: {
    columns: [
      col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
      col('Reason', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
      col('Object', 'The object that this event is about.'),
      col('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', { priority: 1 }),
      col('Source', 'The component reporting this event. Should be a short machine understandable string.', { priority: 1 }),
      col('Message', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', { priority: 1 }),
      col('Count', 'The number of times this event has occurred.', { priority: 1 }),
      col('Name', 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.', { priority: 1, format: 'name' }),
    ],
    cells: (e, now) => {
      const since = (t: unknown) => (typeof t === 'string' && t ? humanDuration(now.getTime() - new Date(t).getTime()) : '<unknown>');
      const first = e.firstTimestamp ? since(e.firstTimestamp) : since(e.eventTime);
      let last = e.lastTimestamp ? since(e.lastTimestamp) : first;
      let count: number = e.count ?? 0;
      if (e.series) {
        last = since(e.series.lastObservedTime);
        count = e.series.count ?? 0;
      } else if (count === 0) count = 1;
      const io = e.involvedObject ?? {};
      const target = io.name ? `${String(io.kind ?? '').toLowerCase()}/${io.name}` : String(io.kind ?? '').toLowerCase();
      const component = e.source?.component || e.reportingComponent || '';
      const instance = e.source?.host || e.reportingInstance || '';
      const source = instance ? `${component}, ${instance}` : component;
      return [last, e.type ?? '', e.reason ?? '', target, io.fieldPath ?? '', source, String(e.message ?? '').trim(), first, count, e.metadata.name];
    },
  },
  Lease: {
    columns: [nameCol, col('Holder', 'The holder of the lease'), ageCol],
    cells: (l, now) => [l.metadata.name, l.spec?.holderIdentity ?? '', age(l, now)],
  },
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function partialObjectMetadata(o: KubeObject, version = 'v1'): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata };
}

export interface TableOptions {
  version: string; // v1 or v1beta1
  includeObject: IncludeObject;
  noHeaders: boolean;
  now: Date;
  listMeta: Record<string, unknown>;
}

export function toTable(r: ResourceDef, objects: KubeObject[], o: TableOptions): Record<string, unknown> {
  const p = printers[r.kind];
  if (!p) throw new Error(`no printer for ${r.kind}`);
  const table: Record<string, unknown> = { kind: 'Table', apiVersion: `meta.k8s.io/${o.version}`, metadata: o.listMeta };
  if (!o.noHeaders) table.columnDefinitions = p.columns;
  table.rows = objects.map((obj) => {
    const row: Record<string, unknown> = { cells: p.cells(obj as Obj, o.now) };
    if (o.includeObject === 'Object') row.object = obj;
    else if (o.includeObject === 'Metadata') row.object = partialObjectMetadata(obj, o.version);
    return row;
  });
  return table;
}
