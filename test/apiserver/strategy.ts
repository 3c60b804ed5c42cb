// What the real registries do to an object on its way into storage, per
// resource: defaulting (the Service fields kubectl and the agent read),
// cluster IP and node port allocation, status reset on create, the status
// subresource split, generation, MicroTime normalisation, and the
// validation a test is most likely to trip over. Not the full validation.

import type { ResourceDef } from './resources.ts';
import { canonical, type KubeObject } from './store.ts';
import { ApiError, errors } from './status.ts';

type Obj = Record<string, any>;

export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime as Go writes it: UTC, exactly six fractional digits. */
export function microTime(v: unknown, field: string): string {
  if (typeof v !== 'string') throw errors.badRequest(`${field}: expected a timestamp string, got ${JSON.stringify(v)}`);
  const m = v.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/);
  if (!m) throw errors.badRequest(`parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse`);
  const whole = new Date(`${m[1]}${m[3]}`);
  if (Number.isNaN(whole.getTime())) throw errors.badRequest(`parsing time ${JSON.stringify(v)}: invalid date`);
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return `${whole.toISOString().slice(0, 19)}.${frac}Z`;
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type Cause = { field: string; type: string; detail?: string; value?: unknown };

function nameCauses(r: ResourceDef, meta: Obj): Cause[] {
  const causes: Cause[] = [];
  const name: string = meta.name ?? '';
  if (!name) {
    causes.push({ field: 'metadata.name', type: 'Required value', detail: 'name or generateName is required' });
  } else if (r.kind === 'Service' || r.kind === 'Namespace') {
    if (!dns1035Label.test(name) || name.length > 63)
      causes.push({ field: 'metadata.name', type: 'Invalid value', value: name, detail: "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')" });
  } else if (!dns1123Subdomain.test(name) || name.length > 253) {
    causes.push({ field: 'metadata.name', type: 'Invalid value', value: name, detail: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" });
  }
  if (r.namespaced) {
    const ns: string = meta.namespace ?? '';
    if (!ns) causes.push({ field: 'metadata.namespace', type: 'Required value' });
    else if (!dns1123Label.test(ns) || ns.length > 63) causes.push({ field: 'metadata.namespace', type: 'Invalid value', value: ns });
  }
  return causes;
}

function isIP(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  if (/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(s)) return true;
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s) && (s.match(/::/g) ?? []).length <= 1;
}

function specCauses(r: ResourceDef, o: Obj): Cause[] {
  const causes: Cause[] = [];
  if (r.kind === 'Service') {
    const spec = o.spec ?? {};
    const headless = spec.clusterIP === 'None';
    if (spec.type !== 'ExternalName' && !headless && (!Array.isArray(spec.ports) || spec.ports.length === 0)) causes.push({ field: 'spec.ports', type: 'Required value' });
    if (spec.type !== undefined && !['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(spec.type))
      causes.push({ field: 'spec.type', type: 'Unsupported value', value: spec.type, detail: 'supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"' });
    (spec.ports ?? []).forEach((p: Obj, i: number) => {
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) causes.push({ field: `spec.ports[${i}].port`, type: 'Invalid value', value: p.port, detail: 'must be between 1 and 65535, inclusive' });
    });
    (o.status?.loadBalancer?.ingress ?? []).forEach((ing: Obj, i: number) => {
      if (ing.ip !== undefined && !isIP(ing.ip)) causes.push({ field: `status.loadBalancer.ingress[${i}].ip`, type: 'Invalid value', value: ing.ip, detail: 'must be a valid IP address' });
    });
  }
  if (r.kind === 'EndpointSlice') {
    if (!['IPv4', 'IPv6', 'FQDN'].includes(o.addressType)) causes.push(o.addressType === undefined ? { field: 'addressType', type: 'Required value' } : { field: 'addressType', type: 'Unsupported value', value: o.addressType, detail: 'supported values: "FQDN", "IPv4", "IPv6"' });
    (o.endpoints ?? []).forEach((e: Obj, i: number) => {
      if (!Array.isArray(e.addresses) || e.addresses.length < 1 || e.addresses.length > 100) causes.push({ field: `endpoints[${i}].addresses`, type: 'Required value', detail: 'must contain at least 1 address' });
    });
  }
  if (r.kind === 'Event') {
    // legacyValidateEvent, for Events without eventTime (what core/v1 clients post).
    const ns: string = o.metadata?.namespace ?? '';
    const involved: string = o.involvedObject?.namespace ?? '';
    if (!o.eventTime && (involved ? ns !== involved : ns !== '' && ns !== 'default'))
      causes.push({ field: 'involvedObject.namespace', type: 'Invalid value', value: involved, detail: 'does not match event.namespace' });
  }
  if (r.kind === 'Lease') {
    const d = o.spec?.leaseDurationSeconds;
    if (d !== undefined && d !== null && !(Number.isInteger(d) && d > 0)) causes.push({ field: 'spec.leaseDurationSeconds', type: 'Invalid value', value: d, detail: 'must be greater than 0' });
    const t = o.spec?.leaseTransitions;
    if (t !== undefined && t !== null && !(Number.isInteger(t) && t >= 0)) causes.push({ field: 'spec.leaseTransitions', type: 'Invalid value', value: t, detail: 'must be greater than or equal to 0' });
  }
  return causes;
}

export function validate(r: ResourceDef, o: KubeObject): void {
  const causes = [...nameCauses(r, o.metadata as Obj), ...specCauses(r, o as Obj)];
  if (causes.length) throw errors.invalid(r.kind, r.group, o.metadata.name ?? '', causes);
}

/** Hands out Service cluster IPs and node ports as the apiserver's allocators do (first free). */
export class Allocator {
  private readonly used4 = new Set<string>();
  private readonly used6 = new Set<string>();
  private readonly usedPorts = new Set<number>();
  private next4 = 10;
  private next6 = 10;
  private nextPort = 30000;

  reserve(svc: Obj): void {
    for (const ip of svc.spec?.clusterIPs ?? []) (String(ip).includes(':') ? this.used6 : this.used4).add(ip);
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) this.usedPorts.add(p.nodePort);
  }
  release(svc: Obj): void {
    for (const ip of svc.spec?.clusterIPs ?? []) (String(ip).includes(':') ? this.used6 : this.used4).delete(ip);
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) this.usedPorts.delete(p.nodePort);
  }
  ipv4(): string {
    for (;;) {
      const n = this.next4++;
      const ip = `10.96.${(n >> 8) & 255}.${n & 255}`;
      if (!this.used4.has(ip)) return ip;
    }
  }
  ipv6(): string {
    for (;;) {
      const ip = `fd00:10:96::${(this.next6++).toString(16)}`;
      if (!this.used6.has(ip)) return ip;
    }
  }
  /** The next free port of 30000–32767 (not in `taken` either); a full range fails as kube-apiserver's does (an InternalError, not a loop). */
  nodePort(field: string, taken: Set<number>): number {
    for (let tries = 0; tries <= 32767 - 30000; tries++) {
      const p = this.nextPort++;
      if (this.nextPort > 32767) this.nextPort = 30000;
      if (!this.usedPorts.has(p) && !taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
    throw errors.internal(`${field}: Invalid value: 0: range is full`);
  }
}

function defaultService(o: Obj, alloc: Allocator, old: Obj | undefined): void {
  const spec = (o.spec ??= {});
  spec.type ??= 'ClusterIP';
  if (old) {
    // Allocated values omitted on update are carried over, as the registry does.
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = old.spec?.clusterIP;
    if (spec.clusterIPs === undefined) spec.clusterIPs = old.spec?.clusterIPs;
    if (spec.ipFamilies === undefined) spec.ipFamilies = old.spec?.ipFamilies;
    if (spec.ipFamilyPolicy === undefined) spec.ipFamilyPolicy = old.spec?.ipFamilyPolicy;
    for (const p of spec.ports ?? []) {
      const was = (old.spec?.ports ?? []).find((q: Obj) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (!p.nodePort && was?.nodePort && spec.type !== 'ClusterIP') p.nodePort = was.nodePort;
    }
  }
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') spec.sessionAffinityConfig ??= { clientIP: { timeoutSeconds: 10800 } };
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (spec.type === 'ExternalName') return;
  spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    spec.externalTrafficPolicy ??= 'Cluster';
    const taken = new Set<number>(); // this Service's own, not yet reserved
    for (const [i, p] of (spec.ports ?? []).entries()) if (!p.nodePort && (spec.type === 'NodePort' || spec.allocateLoadBalancerNodePorts !== false)) p.nodePort = alloc.nodePort(`spec.ports[${i}].nodePort`, taken);
  }
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.clusterIP === 'None') {
    spec.clusterIPs ??= ['None'];
    spec.ipFamilies ??= ['IPv4'];
  } else {
    const ips: string[] = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
    const families: string[] = spec.ipFamilies ?? [];
    const dual = spec.ipFamilyPolicy === 'RequireDualStack' || spec.ipFamilyPolicy === 'PreferDualStack';
    if (ips.length === 0) {
      const want = families.length ? families : dual ? ['IPv4', 'IPv6'] : ['IPv4'];
      for (const f of want) ips.push(f === 'IPv6' ? alloc.ipv6() : alloc.ipv4());
    } else if (dual && ips.length === 1) {
      ips.push(ips[0]!.includes(':') ? alloc.ipv4() : alloc.ipv6());
    }
    spec.clusterIP = ips[0];
    spec.clusterIPs = ips;
    spec.ipFamilies = ips.map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4'));
  }
  spec.ipFamilyPolicy ??= spec.clusterIPs.length > 1 ? 'RequireDualStack' : 'SingleStack';
  o.status ??= {};
  o.status.loadBalancer ??= {};
}

function defaultEndpointSlice(o: Obj): void {
  for (const p of o.ports ?? []) {
    p.protocol ??= 'TCP';
    p.name ??= '';
  }
  // `endpoints` and `ports` have no omitempty in the Go types: empty means null on the wire.
  o.endpoints ??= null;
  o.ports ??= null;
  for (const e of o.endpoints ?? []) e.conditions ??= {};
}

function defaultNode(o: Obj): void {
  o.spec ??= {};
  const status = (o.status ??= {});
  status.daemonEndpoints ??= { kubeletEndpoint: { Port: 0 } };
  const info = (status.nodeInfo ??= {});
  for (const k of ['machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion', 'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture']) info[k] ??= '';
}

function defaultLease(o: Obj): void {
  const spec = (o.spec ??= {});
  for (const f of ['acquireTime', 'renewTime'])
    if (spec[f] !== undefined && spec[f] !== null) spec[f] = microTime(spec[f], `spec.${f}`);
}

export function applyDefaults(r: ResourceDef, o: KubeObject, alloc: Allocator, old?: KubeObject): void {
  if (r.kind === 'Service') defaultService(o as Obj, alloc, old as Obj | undefined);
  if (r.kind === 'EndpointSlice') defaultEndpointSlice(o as Obj);
  if (r.kind === 'Lease') defaultLease(o as Obj);
  if (r.kind === 'Node') defaultNode(o as Obj);
  if (r.kind === 'Namespace') defaultNamespace(o as Obj);
  if (r.kind === 'Event') defaultEvent(o as Obj);
}

/** Fields of core/v1 Event without omitempty: Go writes them even when zero. */
function defaultEvent(o: Obj): void {
  o.involvedObject ??= {};
  for (const f of ['firstTimestamp', 'lastTimestamp', 'eventTime']) o[f] ??= null;
  if (o.eventTime !== null) o.eventTime = microTime(o.eventTime, 'eventTime');
  o.reportingComponent ??= '';
  o.reportingInstance ??= '';
}

function defaultNamespace(o: Obj): void {
  o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name };
  o.spec ??= {};
  o.spec.finalizers ??= ['kubernetes'];
  o.status ??= {};
  o.status.phase ??= 'Active';
}

/** Everything but metadata (and status for resources with a status subresource). */
function specPart(r: ResourceDef, o: Obj): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return canonical(r.subresources.includes('status') ? rest : { ...rest, status: _s });
}

export interface PrepareOptions {
  /** Control-API writes: keep status as given, skip validation. */
  raw: boolean;
  subresource?: string;
}

/** The registry's PrepareForCreate for this resource. */
export function prepareForCreate(r: ResourceDef, o: KubeObject, opts: PrepareOptions): void {
  if (!opts.raw && r.kind === 'Service') delete (o as Obj).status;
  if (r.tracksGeneration) o.metadata.generation = 1;
}

/** The registry's PrepareForUpdate: the main resource keeps the old status, `/status` keeps everything else. */
export function prepareForUpdate(r: ResourceDef, o: KubeObject, old: KubeObject, opts: PrepareOptions): KubeObject {
  let out = o;
  if (opts.subresource === 'status') {
    const { status } = o as Obj;
    out = { ...structuredClone(old), metadata: o.metadata };
    if (status === undefined) delete (out as Obj).status;
    else (out as Obj).status = status;
  } else if (!opts.raw && r.subresources.includes('status')) {
    if ((old as Obj).status === undefined) delete (out as Obj).status;
    else (out as Obj).status = structuredClone((old as Obj).status);
  }
  if (r.tracksGeneration) {
    const g = old.metadata.generation ?? 1;
    out.metadata.generation = specPart(r, out as Obj) === specPart(r, old as Obj) ? g : g + 1;
  } else if (old.metadata.generation !== undefined) out.metadata.generation = old.metadata.generation;
  return out;
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
