// Pure: does a change the monitor reports depart from the desired state
// (and so ask for a pass), or is it what we wanted — the echo of our own
// writes, another owner's business? And what does a link change mean for
// our interface?

import { addressKey, routeKey, type KernelDesired } from './desired.ts';
import { addressConforms, routeConforms, type DiffSettings } from './diff.ts';
import type { ChangeOp } from './monitor.ts';
import type { AddressFields, LinkFields, RouteFields } from './wire.ts';

/** The route's key when the change departs from `desired`, else undefined. */
export function routeDeparts(op: ChangeOp, r: RouteFields, desired: KernelDesired, s: DiffSettings): string | undefined {
  const key = routeKey(r.dst, r.prefix);
  const d = desired.routes.get(key);
  let departs: boolean;
  if (r.protocol !== s.protocol) departs = op === 'del' && d !== undefined; // a slot another owner held may be free now
  else if (op === 'del') departs = d !== undefined && d.metric === r.metric && r.tos === 0;
  else departs = d === undefined || d.metric !== r.metric || r.tos !== 0 || !routeConforms(r, s);
  return departs ? key : undefined;
}

/** The address's key when the change departs from `desired`, else undefined. */
export function addressDeparts(op: ChangeOp, a: AddressFields, desired: KernelDesired, s: DiffSettings): string | undefined {
  const key = addressKey(a.ip, a.prefix);
  const wanted = desired.addresses.has(key);
  const departs = op === 'del' ? wanted : !wanted || !addressConforms(a, s);
  return departs ? key : undefined;
}

/**
 * What a link change means for our interface (`ifindex` 0: none known):
 * 'ignore' — another link, or nothing that matters; 'gone' — deleted or
 * renamed (forget its index); 'resync' — replaced by a new link of our name,
 * or taken down (the kernel then drops IPv4 routes through it silently).
 */
export function linkVerdict(op: ChangeOp, l: LinkFields, ifindex: number, name: string): 'ignore' | 'gone' | 'resync' {
  if (l.family !== 0) return 'ignore'; // per-family news (IPv6, bridge) about a link, not the link
  const known = ifindex !== 0 && l.index === ifindex;
  if (!known && l.name !== name) return 'ignore';
  if (op === 'del') return known ? 'gone' : 'ignore';
  if (!known) return 'resync';
  if (l.name !== name) return 'gone';
  return l.up ? 'ignore' : 'resync';
}
