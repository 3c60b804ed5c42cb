import { ifla, type rt } from 'netlink';
import { DEFAULT_TIMEOUT_MS, withRtnl } from './rtnl.ts';

export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND (`dummy`, `bridge`, `ifb`, ...); absent for devices without one, such as `lo` or most NICs. */
  kind?: string;
  /** Administratively up (IFF_UP), whether or not it has a carrier. */
  up: boolean;
}

export interface ListLinksOptions {
  timeoutMs?: number;
}

/** Every link of the current network namespace, by index. */
export async function listLinks(opts: ListLinksOptions = {}): Promise<Link[]> {
  const msgs = await withRtnl('listing links', opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, (sock) => sock.getLinks());
  return msgs.map(toLink).sort((a, b) => a.index - b.index);
}

function toLink(msg: rt.LinkMessage): Link {
  const link: Link = { index: msg.data.index ?? 0, name: msg.attrs.ifname ?? '', up: msg.data.flags?.up === true };
  const kind = msg.attrs.linkinfo && ifla.parseInfo(msg.attrs.linkinfo).kind;
  if (kind) link.kind = kind;
  return link;
}
