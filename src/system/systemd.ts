// Why are we being stopped? At SIGTERM the agent asks systemd which job is
// stopping its unit: a restart job means the next process adopts the routes,
// a stop job (or a system that is shutting down) means withdraw them. Anything
// that cannot be answered quickly is `unknown`, and unknown keeps the routes:
// a crash-like stop must not flap the data centre's routes.
//
// The unit is found by our PID (GetUnitByPID), not by name: a renamed copy, a
// template instance or a `systemd-run` transient unit is still the unit that
// holds this process, and the stop job is queued for that unit.
//
// systemd collapses `try-restart` and `reload-or-restart` into `restart` when
// it installs the job, so a running job reads `restart`; the other spellings
// are accepted for safety.

import type { WithdrawPolicy } from '../config/types.ts';
import { isBusError, type BusClient } from './dbus.ts';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const UNIT = 'org.freedesktop.systemd1.Unit';
const JOB = 'org.freedesktop.systemd1.Job';

export type StopKind = 'restart' | 'stop' | 'unknown';

export type StopReason =
  | 'restart-job' // a restart job is stopping the unit
  | 'stop-job' // a stop job is stopping the unit
  | 'system-stopping' // the manager is shutting down (SystemState "stopping")
  | 'no-job' // no job on the unit: the signal came from elsewhere (kill, systemctl kill)
  | 'other-job' // a job of another type (start, reload, ...)
  | 'no-bus' // no system bus, or nobody answering as systemd on it
  | 'timeout' // systemd did not answer in time
  | 'dbus-error'; // systemd answered with an error (e.g. the PID is in no unit)

export interface StopAnswer {
  readonly kind: StopKind;
  readonly reason: StopReason;
  /** The unit holding this process, when systemd said. */
  readonly unit?: string;
  readonly jobId?: number;
  readonly jobType?: string;
  readonly systemState?: string;
  /** For the log: what failed. */
  readonly detail?: string;
}

const RESTART_JOBS: ReadonlySet<string> = new Set(['restart', 'try-restart', 'reload-or-restart']);

/** Pure: the stop kind from what systemd said. The manager shutting down wins over the job. */
export function classifyStop(facts: { readonly jobType: string | null; readonly systemState: string | null }): { kind: StopKind; reason: StopReason } {
  if (facts.systemState === 'stopping') return { kind: 'stop', reason: 'system-stopping' };
  if (facts.jobType === null) return { kind: 'unknown', reason: 'no-job' };
  if (RESTART_JOBS.has(facts.jobType)) return { kind: 'restart', reason: 'restart-job' };
  if (facts.jobType === 'stop') return { kind: 'stop', reason: 'stop-job' };
  return { kind: 'unknown', reason: 'other-job' };
}

export interface AskStopKindOptions {
  /** The process whose unit is asked about; default this process. */
  readonly pid?: number;
  /**
   * Bound on the whole question; default 5000 ms. A busy systemd (a package
   * upgrade, a shutdown with many units) answered later than 1 s in the VM
   * test, and a timeout keeps the routes; 5 s stays well inside the unit's
   * TimeoutStopSec=20s with the drain after it.
   */
  readonly timeoutMs?: number;
}

interface JobFacts {
  readonly unit: string | undefined;
  readonly jobId: number;
  readonly jobType: string | null;
}

/**
 * Ask systemd which job is stopping the unit of this process. Never throws;
 * resolves within `timeoutMs` (plus a few ms).
 */
export async function askStopKind(bus: BusClient, opts: AskStopKindOptions = {}): Promise<StopAnswer> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const pid = opts.pid ?? process.pid;
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());

  const state = bus.getProperty(SYSTEMD, MANAGER_PATH, MANAGER, 'SystemState', timeoutMs).then((v) => (typeof v === 'string' ? v : null));
  const job = readJob(bus, pid, left);
  // Either answer may fail alone; a shutting-down manager decides without the job.
  state.catch(() => {});
  job.catch(() => {});

  const early = await Promise.race([state.then((s) => (s === 'stopping' ? s : null), () => null), job.then(() => null, () => null)]);
  if (early === 'stopping') return { ...classifyStop({ jobType: null, systemState: early }), systemState: early };

  const [s, j] = await Promise.allSettled([state, job]);
  const systemState = s.status === 'fulfilled' ? s.value : null;
  if (j.status === 'rejected') {
    if (systemState === 'stopping') return { ...classifyStop({ jobType: null, systemState }), systemState };
    return failed(j.reason, systemState);
  }
  const facts = j.value;
  const verdict = classifyStop({ jobType: facts.jobType, systemState });
  return {
    ...verdict,
    ...(facts.unit !== undefined ? { unit: facts.unit } : {}),
    ...(facts.jobId !== 0 ? { jobId: facts.jobId } : {}),
    ...(facts.jobType !== null ? { jobType: facts.jobType } : {}),
    ...(systemState !== null ? { systemState } : {}),
  };
}

async function readJob(bus: BusClient, pid: number, left: () => number): Promise<JobFacts> {
  const [unitPath] = await bus.call({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member: 'GetUnitByPID', signature: 'u', body: [pid] }, left());
  if (typeof unitPath !== 'string') throw new Error('GetUnitByPID returned no object path');
  const [id, job] = await Promise.all([
    bus.getProperty(SYSTEMD, unitPath, UNIT, 'Id', left()).catch(() => undefined),
    bus.getProperty(SYSTEMD, unitPath, UNIT, 'Job', left()),
  ]);
  const unit = typeof id === 'string' ? id : undefined;
  // Job is (uo): (0, "/") when the unit has no job.
  const [jobId, jobPath] = Array.isArray(job) ? (job as [unknown, unknown]) : [0, '/'];
  if (typeof jobId !== 'number' || jobId === 0 || typeof jobPath !== 'string' || jobPath === '/') return { unit, jobId: 0, jobType: null };
  const jobType = await bus.getProperty(SYSTEMD, jobPath, JOB, 'JobType', left());
  return { unit, jobId, jobType: typeof jobType === 'string' ? jobType : null };
}

function failed(e: unknown, systemState: string | null): StopAnswer {
  const extra = systemState !== null ? { systemState } : {};
  const detail = e instanceof Error ? e.message : String(e);
  if (isBusError(e, 'timeout')) return { kind: 'unknown', reason: 'timeout', detail, ...extra };
  if (isBusError(e, 'remote')) {
    // Nobody owns org.freedesktop.systemd1: as good as no bus for this question.
    const absent = e.dbusName === 'org.freedesktop.DBus.Error.ServiceUnknown' || e.dbusName === 'org.freedesktop.DBus.Error.NameHasNoOwner';
    return { kind: 'unknown', reason: absent ? 'no-bus' : 'dbus-error', detail, ...extra };
  }
  if (isBusError(e)) return { kind: 'unknown', reason: 'no-bus', detail, ...extra };
  return { kind: 'unknown', reason: 'dbus-error', detail, ...extra };
}

export type StopAction = 'keep' | 'withdraw';
export type StopDecisionReason = 'policy-always' | 'policy-never' | 'auto-restart' | 'auto-stop' | 'auto-unknown';

export interface StopDecision {
  readonly action: StopAction;
  readonly reason: StopDecisionReason;
}

/** Pure: what to do with the announcements at stop. With `always` or `never` systemd need not be asked. */
export function decideStop(policy: WithdrawPolicy, kind: StopKind): StopDecision {
  if (policy === 'always') return { action: 'withdraw', reason: 'policy-always' };
  if (policy === 'never') return { action: 'keep', reason: 'policy-never' };
  if (kind === 'stop') return { action: 'withdraw', reason: 'auto-stop' };
  if (kind === 'restart') return { action: 'keep', reason: 'auto-restart' };
  return { action: 'keep', reason: 'auto-unknown' };
}

/** Pure: the log line for a stop decision (the caller logs it with op "stop"). */
export function describeStop(decision: StopDecision, answer: StopAnswer | null): string {
  const doing = decision.action === 'withdraw' ? 'withdrawing routes' : 'keeping routes';
  if (decision.reason === 'policy-always' || decision.reason === 'policy-never') {
    return `shutdown.withdraw = ${decision.reason === 'policy-always' ? 'always' : 'never'}: ${doing}`;
  }
  if (!answer) return `no answer from systemd: ${doing}`;
  const unit = answer.unit ?? 'our unit';
  const job = answer.jobId !== undefined ? `${answer.jobType ?? 'a'} job ${answer.jobId}` : `a ${answer.jobType ?? ''} job`;
  switch (answer.reason) {
    case 'restart-job':
      return `${job} is restarting ${unit}: ${doing} for the next process to adopt`;
    case 'stop-job':
      return `${job} is stopping ${unit}: ${doing}`;
    case 'system-stopping':
      return `the system is shutting down: ${doing}`;
    case 'no-job':
      return `no systemd job is stopping ${unit} (signal from elsewhere): ${doing}`;
    case 'other-job':
      return `${job} on ${unit} is not a stop or restart: ${doing}`;
    case 'no-bus':
      return `no system bus: ${doing}`;
    case 'timeout':
      return `systemd did not answer in time: ${doing}`;
    case 'dbus-error':
      return `systemd could not say which job stops ${unit}: ${doing}`;
  }
}
