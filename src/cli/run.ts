import { runBootPhase } from '../agent/boot.ts';
import { kernelSettings } from '../kernel/settings.ts';
import { loadContext, type GlobalFlags } from './context.ts';

export interface RunOptions {
  readonly path: string;
  readonly globals: GlobalFlags;
}

/** `boot`: the boot phase alone, as the unit's ExecStartPre. */
export async function bootCommand(opts: RunOptions): Promise<void> {
  const ctx = loadContext(opts.path, opts.globals);
  for (const w of ctx.warnings) ctx.log.warn({ op: 'config' }, w);
  await runBootPhase({ stateDirectory: ctx.config.state.directory, log: ctx.log, kernel: kernelSettings(ctx.config) });
}

/**
 * `run`: the agent (src/agent/lifecycle.ts: the boot phase again — idempotent,
 * so after ExecStartPre it adopts — then the loop) until SIGTERM/SIGINT, then
 * the stop sequence. A second signal during the stop sequence is logged and
 * ignored: systemd's TimeoutStopSec bounds it.
 */
export async function runCommand(opts: RunOptions): Promise<void> {
  const ctx = loadContext(opts.path, opts.globals);
  for (const w of ctx.warnings) ctx.log.warn({ op: 'config' }, w);
  // Handlers first: a SIGTERM that arrives while the agent starts must reach
  // them, not the default action.
  const stopped = untilSignal(['SIGTERM', 'SIGINT']);
  const { Agent } = await import('../agent/lifecycle.ts');
  let agent;
  try {
    agent = await Agent.start({ config: ctx.config, log: ctx.log });
  } catch (e) {
    ctx.log.fatal({ op: 'run', err: (e as Error).message }, 'cannot start the agent');
    throw e;
  }
  const signal = await stopped;
  ctx.log.info({ op: 'stop', signal }, `${signal} received: stopping`);
  const again = (s: NodeJS.Signals) => ctx.log.warn({ op: 'stop', signal: s }, `${s} received again: still stopping`);
  process.on('SIGTERM', again).on('SIGINT', again);
  await agent.close('signal');
}

function untilSignal(signals: NodeJS.Signals[]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    // Signal listeners do not keep the event loop alive; this timer does.
    const keepAlive = setInterval(() => {}, 1 << 30);
    const on = (s: NodeJS.Signals) => {
      clearInterval(keepAlive);
      for (const x of signals) process.removeListener(x, on);
      resolve(s);
    };
    for (const s of signals) process.on(s, on);
  });
}
