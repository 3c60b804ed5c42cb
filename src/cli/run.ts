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
 * `run`: the boot phase (idempotent, so a second run after ExecStartPre adopts
 * what the first one kept), then serve until SIGTERM/SIGINT.
 */
export async function runCommand(opts: RunOptions): Promise<void> {
  const ctx = loadContext(opts.path, opts.globals);
  for (const w of ctx.warnings) ctx.log.warn({ op: 'config' }, w);
  const boot = await runBootPhase({ stateDirectory: ctx.config.state.directory, log: ctx.log, kernel: kernelSettings(ctx.config) });
  // Handlers first: a SIGTERM that arrives right after "running" is announced
  // must reach them, not the default action.
  const stopped = untilSignal(['SIGTERM', 'SIGINT']);
  ctx.log.info({ op: 'run', boot: boot.kind, config: ctx.configPath }, 'agent running');
  const signal = await stopped;
  ctx.log.info({ op: 'stop', signal }, 'stopping');
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
