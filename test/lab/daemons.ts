// A node's routing daemon, in one of the four variants we ship configs for.
// Its configuration is always rendered by the agent binary under test from
// the node's own agent config — `kube-lb-agent render bird|frr -c CONFIG
// --source … --router-id … --local-as 65001 --peer-as 65000 --neighbor
// <router v4> --neighbor <router v6>` — so what we ship is what we test.
//
//   bird-kernel       BIRD protocol kernel on table 198      (routing.method routes)
//   bird-direct       BIRD protocol direct on kube-lb0       (routing.method addresses)
//   frr-import-table  FRR ip import-table 198                (routing.method routes; IPv4 only in FRR 8.4)
//   frr-connected     FRR redistribute connected, kube-lb0   (routing.method addresses)

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Bird } from './bird.ts';
import { Frr } from './frr.ts';
import { NODE_AS, ROUTER_AS, ROUTER_V4, ROUTER_V6, type LabNode } from './net.ts';
import type { Reaper } from './reaper.ts';

const exec = promisify(execFile);

export const VARIANTS = ['bird-kernel', 'bird-direct', 'frr-import-table', 'frr-connected'] as const;
export type Variant = (typeof VARIANTS)[number];

export function variantMethod(v: Variant): 'routes' | 'addresses' {
  return v === 'bird-kernel' || v === 'frr-import-table' ? 'routes' : 'addresses';
}

export function variantFamilies(v: Variant): readonly (4 | 6)[] {
  // FRR 8.4 has no `ipv6 import-table`: the rendered file says so, and announces IPv4 only.
  return v === 'frr-import-table' ? [4] : [4, 6];
}

function renderArgs(v: Variant, config: string, node: LabNode): string[] {
  const [daemon, source] = v.startsWith('bird-') ? ['bird', v.slice(5)] : ['frr', v.slice(4)];
  return ['render', daemon!, '-c', config, '--source', source!, '--router-id', node.v4, '--local-as', String(NODE_AS), '--peer-as', String(ROUTER_AS), '--neighbor', ROUTER_V4, '--neighbor', ROUTER_V6];
}

/** The rendered configuration, and the command that made it (for the demo and the README). */
export async function render(bin: string, v: Variant, config: string, node: LabNode): Promise<{ text: string; command: string; warnings: string }> {
  const args = renderArgs(v, config, node);
  try {
    const { stdout, stderr } = await exec(bin, args, { maxBuffer: 4 << 20 });
    return { text: stdout, command: `kube-lb-agent ${args.join(' ')}`, warnings: stderr };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`kube-lb-agent ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

export interface NodeRouting {
  readonly variant: Variant;
  readonly node: LabNode;
  readonly rendered: string;
  readonly pids: readonly number[];
  /** What the daemon holds to announce (BIRD: `show route`; FRR: the BGP tables), as text. */
  learned(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startNodeRouting(o: { reaper: Reaper; bin: string; variant: Variant; node: LabNode; config: string; dir: string }): Promise<NodeRouting> {
  const { text } = await render(o.bin, o.variant, o.config, o.node);
  if (o.variant.startsWith('bird-')) {
    const bird = await Bird.start({ reaper: o.reaper, ns: o.node.ns, name: o.node.name, dir: o.dir, conf: text });
    return { variant: o.variant, node: o.node, rendered: text, pids: [bird.pid], learned: () => bird.birdc('show', 'route'), stop: (s) => bird.stop(s) };
  }
  const frr = await Frr.start({ reaper: o.reaper, ns: o.node.ns, name: o.node.name, dir: o.dir, conf: text });
  return {
    variant: o.variant,
    node: o.node,
    rendered: text,
    pids: frr.pids,
    learned: () => frr.vtysh('-c', 'show bgp ipv4 unicast', '-c', 'show bgp ipv6 unicast'),
    stop: (s) => frr.stop(s),
  };
}
