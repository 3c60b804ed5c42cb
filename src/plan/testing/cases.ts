// Table-driven planner tests: each case is a cluster, a config and the
// decisions and announcements expected, written as one line each so a table
// reads like the rule it checks. Not used by the agent.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointSliceView, NodeView, ServiceView } from '../../cluster/snapshot.ts';
import { plan } from '../plan.ts';
import type { Plan, WarningCode } from '../types.ts';
import { config, snapshot } from './fixtures.ts';

export interface PlanCase {
  readonly name: string;
  /** TOML lines such as `[announce]\nelection = "leader"`. */
  readonly config?: string;
  /** `[pools.*]` tables replacing the fixtures' POOLS ('' = no pools). */
  readonly pools?: string;
  readonly services: readonly ServiceView[];
  readonly slices?: readonly EndpointSliceView[];
  readonly nodes?: readonly NodeView[];
  /** This node; node-a when absent. */
  readonly node?: string;
  readonly live?: readonly string[] | null;
  readonly synced?: boolean;
  readonly nameWinners?: boolean;
  /** Every decision, as `service ip source reason` (plus ` winner=…` / ` conflicts=a,b`), in plan order. */
  readonly decisions?: readonly string[];
  /** Every announcement, as `ip/prefix pool service,service`. */
  readonly announced?: readonly string[];
  /** Warning codes, in plan order. */
  readonly warnings?: readonly WarningCode[];
}

export function runCase(c: PlanCase): Plan {
  return plan({
    config: c.pools === undefined ? config(c.config ?? '') : config(c.config ?? '', c.pools),
    snapshot: snapshot({ services: c.services, slices: c.slices ?? [], ...(c.nodes ? { nodes: c.nodes } : {}), synced: c.synced ?? true }),
    nodeName: c.node ?? 'node-a',
    liveAgents: c.live === undefined || c.live === null ? null : new Set(c.live),
    nameWinners: c.nameWinners ?? false,
  });
}

export function decisionLines(p: Plan): string[] {
  return p.decisions.map((d) => {
    let line = `${d.service} ${d.ip} ${d.source} ${d.reason}`;
    if (d.winner !== undefined) line += ` winner=${d.winner}`;
    if (d.conflictsWith) line += ` conflicts=${d.conflictsWith.join(',')}`;
    assert.equal(d.announce, d.reason === 'announced', `announce flag of ${line}`);
    return line;
  });
}

export function announcementLines(p: Plan): string[] {
  return p.announcements.map((a) => {
    assert.equal(a.prefix, a.family === 4 ? 32 : 128);
    return `${a.ip}/${a.prefix} ${a.pool} ${a.services.join(',')}`;
  });
}

/** One node:test test per case. */
export function planCases(cases: readonly PlanCase[]): void {
  for (const c of cases) {
    test(c.name, () => {
      const p = runCase(c);
      if (c.decisions) assert.deepEqual(decisionLines(p), c.decisions);
      if (c.announced) assert.deepEqual(announcementLines(p), c.announced);
      if (c.warnings) assert.deepEqual(p.warnings.map((w) => w.code), c.warnings);
    });
  }
}
