// The real systemd-inhibit against a logind stand-in that hands out a real
// lock file descriptor (Python, since dbus-next cannot pass descriptors): the
// lock is granted with our arguments, held while the agent lives, and closed
// (EOF at the stand-in, which is how logind notices) on release and when the
// agent is killed with SIGKILL. polkit is not in this picture: the VM test
// covers it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { DelayInhibitor, INHIBIT_WHO, INHIBIT_WHY } from '../../src/system/inhibitor.ts';
import { startPrivateBus, type PrivateBus } from './helpers/private-bus.ts';
import { memoryLogger } from './helpers/log.ts';
import { childrenOf, isGone, waitFor } from './helpers/procs.ts';

const standin = resolve(import.meta.dirname, 'fixtures', 'logind-fd-standin.py');
const holder = resolve(import.meta.dirname, 'fixtures', 'inhibitor-holder.ts');
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = !have('python3') ? 'python3 not installed' : !have('systemd-inhibit') ? 'systemd-inhibit not installed' : false;

interface Event {
  event: string;
  who?: string;
  what?: string;
  why?: string;
  mode?: string;
  sender?: string;
}

class Logind {
  readonly events: Event[] = [];
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  constructor(socketPath: string, deny = false) {
    this.child = spawn('python3', [standin, socketPath, ...(deny ? ['deny'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        this.events.push(JSON.parse(out.slice(0, nl)) as Event);
        out = out.slice(nl + 1);
      }
    });
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => process.stderr.write(`logind stand-in: ${d}`));
  }
  count(event: string): number {
    return this.events.filter((e) => e.event === event).length;
  }
  /** Kill it and wait, so that the name is free for the next one. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const closed = new Promise((res) => this.child.once('close', res));
    this.child.kill('SIGKILL');
    await closed;
  }
}

describe('real systemd-inhibit, fd-passing logind stand-in', { skip }, () => {
  let pb: PrivateBus;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    pb = await startPrivateBus();
    env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: pb.address };
  });
  after(() => pb?.dispose());

  test('granted with our arguments; held until released; release closes the lock', async () => {
    const logind = new Logind(pb.socketPath);
    try {
      await waitFor('stand-in ready', () => logind.count('ready') === 1, 5000);
      const inh = new DelayInhibitor({ log: memoryLogger().log, env });
      const r = await inh.take();
      assert.ok(r.held, JSON.stringify(r));
      const grant = logind.events.find((e) => e.event === 'inhibit');
      assert.deepEqual(
        { what: grant?.what, who: grant?.who, why: grant?.why, mode: grant?.mode },
        { what: 'shutdown', who: INHIBIT_WHO, why: INHIBIT_WHY, mode: 'delay' },
      );
      const cat = childrenOf(r.pid)[0]!;
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(logind.count('released'), 0, 'held while we live');
      await inh.release();
      await waitFor('lock released at logind', () => logind.count('released') === 1, 2000);
      assert.ok(isGone(r.pid));
      await waitFor('cat gone', () => isGone(cat), 2000);
    } finally {
      await logind.stop();
    }
  });

  test('the agent killed with SIGKILL: the lock is closed and the children are gone', async () => {
    const logind = new Logind(pb.socketPath);
    await waitFor('stand-in ready', () => logind.count('ready') === 1, 5000);
    const h = spawn(process.execPath, [holder], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((res, rej) => {
        let out = '';
        h.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('\n')) res(out.trim());
        });
        h.once('close', (c) => rej(new Error(`holder exited ${c}`)));
      });
      const { pid } = JSON.parse(line) as { pid: number };
      assert.ok(pid, line);
      assert.equal(logind.count('inhibit'), 1);
      const cat = childrenOf(pid)[0]!;
      process.kill(h.pid!, 'SIGKILL');
      await waitFor('lock released at logind', () => logind.count('released') === 1, 3000);
      await waitFor('systemd-inhibit gone', () => isGone(pid), 3000);
      await waitFor('cat gone', () => isGone(cat), 3000);
    } finally {
      if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
      await logind.stop();
    }
  });

  test('logind refuses (as without polkit): not held, the error kept for the log', async () => {
    const logind = new Logind(pb.socketPath, true);
    try {
      await waitFor('stand-in ready', () => logind.count('ready') === 1, 5000);
      const inh = new DelayInhibitor({ log: memoryLogger().log, env });
      const r = await inh.take();
      assert.ok(!r.held && r.reason === 'exited' && /Failed to inhibit: Access denied/.test(r.detail), JSON.stringify(r));
      await inh.close();
    } finally {
      await logind.stop();
    }
  });

  test('no logind on the bus: not held, systemd-inhibit says why', async () => {
    const inh = new DelayInhibitor({ log: memoryLogger().log, env });
    const r = await inh.take();
    assert.ok(!r.held && r.reason === 'exited' && /Failed to inhibit/.test(r.detail), JSON.stringify(r));
    await inh.close();
  });
});
