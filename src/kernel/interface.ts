// The agent's interface (kube-lb0): found by name and adopted whatever its
// kind, or created as the configured kind; always brought up. Our own
// settings on it: IPv4 promote_secondaries (deleting the primary address of
// an aggregated prefix must not delete the others) and IPv6 addr_gen_mode
// none (no link-local address: it carries only what the agent puts there).

import { isNetlinkError, NetlinkError } from './errors.ts';
import type { RtnlSocket } from './socket.ts';
import { decodeLink, encodeConfigureLink, encodeCreateLink, encodeDelLink, encodeGetLink, encodeSetLinkUp, RTM_NEWLINK, type LinkFields } from './wire.ts';

export interface KernelLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface InterfaceState {
  readonly index: number;
  readonly name: string;
  readonly kind: string | undefined;
  /** Created by this call (else adopted). */
  readonly created: boolean;
}

/** The link named `name`, or undefined when there is none. */
export async function getLink(sock: RtnlSocket, name: string): Promise<LinkFields | undefined> {
  let link: LinkFields | undefined;
  try {
    await sock.request(encodeGetLink(name), `looking up interface ${name}`, (buf, off, len, type) => {
      if (type === RTM_NEWLINK) link = decodeLink(buf, off, len);
    });
  } catch (e) {
    if (isNetlinkError(e, 'ENODEV')) return undefined;
    throw e;
  }
  return link;
}

export async function ensureInterface(sock: RtnlSocket, want: { name: string; kind: string }, log: KernelLog): Promise<InterfaceState> {
  let link = await getLink(sock, want.name);
  let created = false;
  if (!link) {
    try {
      await sock.request(encodeCreateLink(want.name, want.kind), `creating interface ${want.name} (${want.kind})`);
      created = true;
    } catch (e) {
      if (isNetlinkError(e, 'EOPNOTSUPP')) {
        throw new NetlinkError(`creating interface ${want.name}`, e.sysName, {
          cause: e,
          detail: `this kernel has no "${want.kind}" driver; set interface.kind = "bridge" in the configuration`,
        });
      }
      if (!isNetlinkError(e, 'EEXIST')) throw e; // someone created it meanwhile: adopt it
    }
    link = await getLink(sock, want.name);
    if (!link) throw new NetlinkError(`creating interface ${want.name}`, 'ENODEV', { detail: 'gone right after it was created' });
  }
  if (created) {
    log.info({ op: 'interface', interface: want.name, kind: want.kind, index: link.index }, 'created interface');
  } else if (link.kind !== want.kind) {
    log.info({ op: 'interface', interface: want.name, kind: link.kind ?? 'none', configured: want.kind, index: link.index }, 'adopting existing interface of another kind');
  }
  try {
    await sock.request(encodeConfigureLink(link.index), `configuring interface ${want.name}`);
  } catch (e) {
    // e.g. IPv6 disabled on this host: its settings are refused; up is what matters.
    log.warn({ op: 'interface', interface: want.name, err: (e as Error).message }, 'cannot set promote_secondaries / addr_gen_mode on the interface');
  }
  if (!link.up) await sock.request(encodeSetLinkUp(link.index), `bringing interface ${want.name} up`);
  return { index: link.index, name: want.name, kind: link.kind, created };
}

/** Deletes the interface `name`; false when there was none. */
export async function removeInterface(sock: RtnlSocket, name: string): Promise<boolean> {
  const link = await getLink(sock, name);
  if (!link) return false;
  try {
    await sock.request(encodeDelLink(link.index), `deleting interface ${name}`);
  } catch (e) {
    if (isNetlinkError(e, 'ENODEV')) return false;
    throw e;
  }
  return true;
}
