// Stand-ins for systemd (org.freedesktop.systemd1) and logind
// (org.freedesktop.login1) on a private bus: the objects, properties, methods,
// errors and signals the agent uses, shaped as the real services answer
// (systemd 252): object paths escaped as sd-bus does, Unit.Job as (uo) with
// (0, "/") for no job, Job.JobType strings, the real error names.

import { sessionBus, Message, Variant, type MessageBus } from 'dbus-next';

const PROPS = 'org.freedesktop.DBus.Properties';
const METHOD_CALL = 1;

type Value = { readonly sig: string; readonly value: unknown };
type Reply = { readonly sig: string; readonly body: unknown[] };

export class DBusFault extends Error {
  readonly dbusName: string;
  constructor(dbusName: string, text: string) {
    super(text);
    this.dbusName = dbusName;
  }
}

/** sd-bus's bus_label_escape: every byte outside [A-Za-z0-9] becomes _xx. */
export function busLabelEscape(s: string): string {
  if (s === '') return '_';
  let out = '';
  for (const ch of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(ch);
    out += /[A-Za-z0-9]/.test(c) && !(out === '' && /[0-9]/.test(c)) ? c : `_${ch.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export async function connect(address: string): Promise<MessageBus> {
  const socket = /unix:path=([^,;]+)/.exec(address)?.[1];
  if (!socket) throw new Error(`no unix path in ${address}`);
  const bus = sessionBus({ busAddress: `unix:socket=${socket}` });
  await new Promise<void>((resolve, reject) => {
    bus.once('connect', () => resolve());
    bus.once('error', reject);
  });
  bus.on('error', () => {}); // the bus may be killed under us in tests
  return bus;
}

export function uniqueName(bus: MessageBus): string {
  return (bus as unknown as { name: string }).name;
}

/** A service on the bus: objects with properties and methods, replies optionally delayed. */
class StandIn {
  readonly bus: MessageBus;
  readonly calls: string[] = [];
  /** Delay before every reply, to play a slow service. */
  delayMs = 0;
  /** When set, method calls are never answered. */
  silent = false;
  /** Members (e.g. GetUnitByPID) that are never answered. */
  readonly silentMembers = new Set<string>();
  protected readonly objects = new Map<string, Map<string, Map<string, () => Value>>>();
  protected readonly methods = new Map<string, (args: unknown[]) => Reply>();

  constructor(bus: MessageBus) {
    this.bus = bus;
    bus.addMethodHandler((msg: Message) => this.#handle(msg));
  }

  protected async own(name: string): Promise<void> {
    const r = await this.bus.requestName(name, 4 /* DO_NOT_QUEUE */);
    if (r !== 1) throw new Error(`could not own ${name}: ${r}`);
  }

  #handle(msg: Message): boolean {
    if ((msg.type as unknown as number) !== METHOD_CALL) return false;
    this.calls.push(`${msg.interface}.${msg.member} ${msg.path}`);
    if (this.silent || this.silentMembers.has(msg.member)) return true;
    let reply: Message;
    try {
      const r = this.#answer(msg);
      reply = Message.newMethodReturn(msg, r.sig, r.body);
    } catch (e) {
      const name = e instanceof DBusFault ? e.dbusName : 'org.freedesktop.DBus.Error.Failed';
      reply = Message.newError(msg as unknown as string, name, (e as Error).message);
    }
    if (this.delayMs > 0) setTimeout(() => this.#send(reply), this.delayMs);
    else this.#send(reply);
    return true;
  }

  #send(m: Message): void {
    try {
      this.bus.send(m);
    } catch {
      // bus gone
    }
  }

  #answer(msg: Message): Reply {
    const obj = this.objects.get(msg.path);
    if (!obj) throw new DBusFault('org.freedesktop.DBus.Error.UnknownObject', `Unknown object '${msg.path}'.`);
    if (msg.interface === PROPS) {
      if (msg.member === 'Get') {
        const [iface, prop] = msg.body as [string, string];
        const props = obj.get(iface);
        if (!props) throw new DBusFault('org.freedesktop.DBus.Error.UnknownInterface', `Unknown interface '${iface}'.`);
        const get = props.get(prop);
        if (!get) throw new DBusFault('org.freedesktop.DBus.Error.UnknownProperty', `Unknown property '${prop}'.`);
        const v = get();
        return { sig: 'v', body: [new Variant(v.sig, v.value)] };
      }
      if (msg.member === 'GetAll') {
        const [iface] = msg.body as [string];
        const out: Record<string, Variant> = {};
        for (const [k, get] of obj.get(iface) ?? []) {
          const v = get();
          out[k] = new Variant(v.sig, v.value);
        }
        return { sig: 'a{sv}', body: [out] };
      }
    }
    const m = this.methods.get(`${msg.interface}.${msg.member}`);
    if (!m || !obj.has(msg.interface)) throw new DBusFault('org.freedesktop.DBus.Error.UnknownMethod', `Unknown method ${msg.member} or interface ${msg.interface}.`);
    return m(msg.body);
  }

  close(): void {
    try {
      this.bus.disconnect();
    } catch {
      // gone
    }
  }
}

const SD_PATH = '/org/freedesktop/systemd1';
const SD_MANAGER = 'org.freedesktop.systemd1.Manager';
const SD_UNIT = 'org.freedesktop.systemd1.Unit';
const SD_JOB = 'org.freedesktop.systemd1.Job';

export class SystemdStandIn extends StandIn {
  systemState = 'running';
  /** PID → unit name, as the cgroup tree would say. */
  readonly pidUnits = new Map<number, string>();
  #jobs = new Map<string, { id: number; type: string }>(); // unit → job
  #nextJob = 100;

  static async start(address: string): Promise<SystemdStandIn> {
    const s = new SystemdStandIn(await connect(address));
    await s.own('org.freedesktop.systemd1');
    return s;
  }

  constructor(bus: MessageBus) {
    super(bus);
    this.objects.set(SD_PATH, new Map([[SD_MANAGER, new Map([['SystemState', () => ({ sig: 's', value: this.systemState })], ['Version', () => ({ sig: 's', value: '252' })]])]]));
    this.methods.set(`${SD_MANAGER}.GetUnitByPID`, ([pid]) => {
      const unit = this.pidUnits.get(pid as number);
      if (!unit) throw new DBusFault('org.freedesktop.systemd1.NoUnitForPID', `PID ${pid} does not belong to any loaded unit.`);
      return { sig: 'o', body: [unitPath(unit)] };
    });
    this.methods.set(`${SD_MANAGER}.GetUnit`, ([name]) => {
      if (!this.objects.has(unitPath(name as string))) throw new DBusFault('org.freedesktop.systemd1.NoSuchUnit', `Unit ${name} not loaded.`);
      return { sig: 'o', body: [unitPath(name as string)] };
    });
  }

  /** A loaded unit holding these PIDs. */
  addUnit(name: string, pids: number[]): void {
    for (const pid of pids) this.pidUnits.set(pid, name);
    this.objects.set(
      unitPath(name),
      new Map([
        [
          SD_UNIT,
          new Map<string, () => Value>([
            ['Id', () => ({ sig: 's', value: name })],
            ['ActiveState', () => ({ sig: 's', value: this.#jobs.has(name) ? 'deactivating' : 'active' })],
            ['Job', () => {
              const j = this.#jobs.get(name);
              return { sig: '(uo)', value: j ? [j.id, jobPath(j.id)] : [0, '/'] };
            }],
          ]),
        ],
      ]),
    );
  }

  /** Queue (and run) a job of this type on the unit; null clears it. Returns the job id. */
  setJob(unit: string, type: string | null): number {
    const old = this.#jobs.get(unit);
    if (old) this.objects.delete(jobPath(old.id));
    if (type === null) {
      this.#jobs.delete(unit);
      return 0;
    }
    const id = this.#nextJob++;
    this.#jobs.set(unit, { id, type });
    this.objects.set(
      jobPath(id),
      new Map([
        [
          SD_JOB,
          new Map<string, () => Value>([
            ['Id', () => ({ sig: 'u', value: id })],
            ['JobType', () => ({ sig: 's', value: type })],
            ['State', () => ({ sig: 's', value: 'running' })],
            ['Unit', () => ({ sig: '(so)', value: [unit, unitPath(unit)] })],
          ]),
        ],
      ]),
    );
    return id;
  }

  /** The job object disappears but the unit still points at it (a job that just finished). */
  dropJobObject(unit: string): void {
    const j = this.#jobs.get(unit);
    if (j) this.objects.delete(jobPath(j.id));
  }
}

export function unitPath(name: string): string {
  return `${SD_PATH}/unit/${busLabelEscape(name)}`;
}

function jobPath(id: number): string {
  return `${SD_PATH}/job/${id}`;
}

const LOGIND_PATH = '/org/freedesktop/login1';
const LOGIND_MANAGER = 'org.freedesktop.login1.Manager';

export class LogindStandIn extends StandIn {
  preparingForShutdown = false;

  static async start(address: string): Promise<LogindStandIn> {
    const s = new LogindStandIn(await connect(address));
    await s.own('org.freedesktop.login1');
    return s;
  }

  constructor(bus: MessageBus) {
    super(bus);
    this.objects.set(LOGIND_PATH, new Map([[LOGIND_MANAGER, new Map([['PreparingForShutdown', () => ({ sig: 'b', value: this.preparingForShutdown })]])]]));
  }

  /** As logind does at poweroff (true) and when the shutdown is cancelled (false): property, then a broadcast signal. */
  prepareForShutdown(active: boolean): void {
    this.preparingForShutdown = active;
    this.bus.send(Message.newSignal(LOGIND_PATH, LOGIND_MANAGER, 'PrepareForShutdown', 'b', [active]));
  }
}

/** Someone else on the bus sending logind's signal: broadcast, or straight to `destination`. */
export async function spoofPrepareForShutdown(address: string, active: boolean, destination?: string): Promise<void> {
  const bus = await connect(address);
  const m = Message.newSignal(LOGIND_PATH, LOGIND_MANAGER, 'PrepareForShutdown', 'b', [active]);
  if (destination) (m as unknown as { destination: string }).destination = destination;
  bus.send(m);
  // Let it leave before disconnecting.
  await new Promise((r) => setTimeout(r, 50));
  bus.disconnect();
}
