// `kube-lb-agent plan`: the planner run offline on a file of objects — what
// this node would announce, and why, for a cluster dumped with
// `kubectl get services,endpointslices,nodes -A -o yaml` (plus
// `kubectl get leases -n <lease_namespace> -o yaml`). The file is read with
// the informers' own parse functions (src/cluster/objects-file.ts).
//
// Output (stdout): {"announcements":[{ip,prefix,family,services,pool}],
// "decisions":[{service,ip,announce,reason,source,…}]}; planner warnings and
// ignored kinds go to stderr.
// Exit codes: 0 ok; 3 bad configuration; 2 a bad objects file or --now —
// input given on the command line that the command cannot use, the same
// class as a missing argument (the message names the file, the document and
// the item); 1 anything else.

import { loadConfig, resolveNodeName } from '../config/index.ts';
import { isAgentError } from '../errors.ts';
// Direct imports: the plan command needs no API connection (nor KubeConfig's load time).
import { liveAgents } from '../cluster/live-agents.ts';
import { readObjectsFile, type ObjectsFile } from '../cluster/objects-file.ts';
import { plan } from '../plan/index.ts';
import { CommandExit, EXIT } from './exit-codes.ts';

export interface PlanCommandOptions {
  readonly path: string;
  readonly objects: string;
  readonly node?: string;
  /** RFC 3339; judges the freshness of the agents' Leases (default: the current time). */
  readonly now?: string;
}

export async function planCommand(opts: PlanCommandOptions): Promise<void> {
  const { config, warnings } = loadConfig(opts.path);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  const nowMs = opts.now === undefined ? Date.now() : Date.parse(opts.now);
  if (!Number.isFinite(nowMs)) usage(`--now ${JSON.stringify(opts.now)} is not a time: write it as RFC 3339, such as 2026-11-22T10:00:00Z`);

  let file: ObjectsFile;
  try {
    file = readObjectsFile(opts.objects, { leaseNamespace: config.kubernetes.leaseNamespace });
  } catch (e) {
    if (isAgentError(e, 'OBJECTS_FILE')) usage(e.message);
    throw e;
  }
  if (file.ignored.size > 0) {
    const what = [...file.ignored].map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : 's'}`).join(', ');
    process.stderr.write(`note: ignored ${what} (not read by the planner)\n`);
  }

  const { snapshot } = file;
  // No agent Lease in the file: nothing is known of the agents, so Ready alone decides (as the planner documents).
  const live = snapshot.agentLeases.size > 0 ? liveAgents(snapshot.agentLeases, nowMs) : null;
  const result = plan({ config, snapshot, nodeName: opts.node ?? resolveNodeName(config), liveAgents: live, nameWinners: true });
  for (const w of result.warnings) process.stderr.write(`warning: ${w.service ? `${w.service}: ` : ''}${w.message}\n`);

  const out = {
    announcements: result.announcements.map((a) => ({ ip: a.ip, prefix: a.prefix, family: a.family, services: a.services, pool: a.pool })),
    decisions: result.decisions.map((d) => ({ service: d.service, ip: d.ip, announce: d.announce, reason: d.reason, source: d.source, ...optional(d) })),
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

function optional(d: { conflictsWith?: readonly string[]; winner?: string | null }): object {
  return {
    ...(d.conflictsWith !== undefined ? { conflictsWith: d.conflictsWith } : {}),
    ...(d.winner !== undefined ? { winner: d.winner } : {}),
  };
}

function usage(message: string): never {
  process.stderr.write(`kube-lb-agent plan: ${message}\n`);
  throw new CommandExit(EXIT.usage);
}
