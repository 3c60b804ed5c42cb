// The delay inhibitor's child process, with a stand-in systemd-inhibit first
// on PATH (no logind on this machine): its arguments, held until released,
// gone after release, gone when the agent dies, failures reported. The real
// systemd-inhibit's --help proves the arguments exist.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DelayInhibitor, inhibitArgs } from '../../src/system/inhibitor.ts';
import { memoryLogger } from './helpers/log.ts';
import { childrenOf, cmdline, isGone, waitFor } from './helpers/procs.ts';

const fakeBin = resolve(import.meta.dirname, 'fixtures', 'bin');
const holder = resolve(import.meta.dirname, 'fixtures', 'inhibitor-holder.ts');

let dir: string;
let logFile: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kla-inhibit-'));
  logFile = join(dir, 'inhibit.log');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, FAKE_INHIBIT_LOG: logFile, ...extra };
}

function records(): string[][] {
  return existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').map((l) => l.split('\t')) : [];
}

function realInhibitPath(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v systemd-inhibit'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' } });
  return r.status === 0 ? r.stdout.trim() : null;
}

describe('systemd-inhibit arguments', () => {
  const real = realInhibitPath();
  test('every option passed exists in the real systemd-inhibit, with these values', { skip: real ? false : 'systemd-inhibit not installed' }, () => {
    const help = spawnSync(real!, ['--help'], { encoding: 'utf8' }).stdout;
    const args = inhibitArgs();
    assert.deepEqual(args, ['--what=shutdown', '--mode=delay', '--who=kube-lb-agent', '--why=withdraw routes before shutdown', 'cat']);
    for (const a of args.filter((x) => x.startsWith('--'))) {
      const opt = a.slice(0, a.indexOf('='));
      assert.match(help, new RegExp(`^\\s+${opt}=`, 'm'), `${opt} in --help`);
    }
    assert.match(help, /--what=WHAT[\s\S]*\bshutdown\b/, 'shutdown is a WHAT');
    assert.match(help, /--mode=MODE\s+One of block or delay/, 'delay is a MODE');
    assert.match(help, /^systemd-inhibit \[OPTIONS\.\.\.\] COMMAND/m, 'the command follows the options');
  });
});

describe('DelayInhibitor (stand-in systemd-inhibit)', () => {
  test('take: held once the command runs; arguments as given; release ends it by PID', async () => {
    const { log, lines } = memoryLogger();
    const inh = new DelayInhibitor({ log, env: env() });
    const r = await inh.take();
    assert.ok(r.held, JSON.stringify(r));
    assert.equal(inh.held, true);
    const pid = r.pid;
    assert.equal(inh.pid, pid);
    const rec = records().find((x) => x[0] === 'args' && x[1] === String(pid));
    assert.deepEqual(rec?.slice(2), inhibitArgs());
    const kids = childrenOf(pid);
    assert.equal(kids.length, 1);
    assert.deepEqual(cmdline(kids[0]!), ['cat']);
    assert.ok(lines.some((l) => l.msg === 'shutdown delay inhibitor held' && l.pid === pid));

    // Idempotent while held.
    const again = await inh.take();
    assert.ok(again.held && again.pid === pid);

    await inh.release();
    assert.equal(inh.held, false);
    assert.ok(isGone(pid), 'systemd-inhibit gone');
    await waitFor('cat gone', () => isGone(kids[0]!), 2000);
    assert.ok(lines.some((l) => l.msg === 'shutdown delay inhibitor released'));
    await inh.release(); // idempotent
  });

  test('taken again after a release: a new child', async () => {
    const inh = new DelayInhibitor({ log: memoryLogger().log, env: env() });
    const a = await inh.take();
    await inh.release();
    const b = await inh.take();
    assert.ok(a.held && b.held && a.pid !== b.pid);
    await inh.close();
    assert.ok(isGone(b.pid));
    assert.deepEqual(await inh.take(), { held: false, reason: 'closed', detail: 'inhibitor closed' });
  });

  test('the agent killed with SIGKILL: the inhibitor child exits too', async () => {
    const h = spawn(process.execPath, [holder], { env: env(), stdio: ['ignore', 'pipe', 'inherit'] });
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
      const cat = childrenOf(pid)[0]!;
      assert.ok(!isGone(pid) && !isGone(cat));
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(!isGone(pid), 'held while the agent lives');
      process.kill(h.pid!, 'SIGKILL');
      await waitFor('systemd-inhibit child to exit', () => isGone(pid), 3000);
      await waitFor('cat to exit', () => isGone(cat), 3000);
      assert.ok(records().some((x) => x[0] === 'end' && x[1] === String(pid) && x[2] === '0'), 'the command saw EOF and ended cleanly');
    } finally {
      if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
    }
  });

  test('logind says no (polkit): not held, the reason kept; the next take tries again', async () => {
    const inh = new DelayInhibitor({ log: memoryLogger().log, env: env({ FAKE_INHIBIT_DENY: '1' }) });
    const r = await inh.take();
    assert.equal(r.held, false);
    assert.ok(!r.held && r.reason === 'exited' && /Access denied/.test(r.detail), JSON.stringify(r));
    const r2 = await inh.take();
    assert.ok(!r2.held && r2.reason === 'exited');
    await inh.close();
  });

  test('systemd-inhibit missing: spawn-failed', async () => {
    const inh = new DelayInhibitor({ log: memoryLogger().log, command: 'kla-no-such-systemd-inhibit', env: env() });
    const r = await inh.take();
    assert.ok(!r.held && r.reason === 'spawn-failed' && /ENOENT/.test(r.detail), JSON.stringify(r));
    await inh.close();
  });

  test('logind slow to grant: timeout, the child ended', async () => {
    const inh = new DelayInhibitor({ log: memoryLogger().log, env: env({ FAKE_INHIBIT_GRANT_DELAY: '10' }), readyTimeoutMs: 200 });
    const t = inh.take();
    await waitFor('child', () => inh.pid !== undefined, 1000);
    const pid = inh.pid!;
    const r = await t;
    assert.ok(!r.held && r.reason === 'timeout', JSON.stringify(r));
    await waitFor('child gone', () => isGone(pid), 2000);
    await inh.close();
  });

  test('the child killed from outside: onLost', async () => {
    const inh = new DelayInhibitor({ log: memoryLogger().log, env: env() });
    const lost: string[] = [];
    inh.onLost((d) => lost.push(d));
    const r = await inh.take();
    assert.ok(r.held);
    process.kill(r.pid, 'SIGKILL');
    await waitFor('onLost', () => lost.length === 1, 2000);
    assert.match(lost[0]!, /signal SIGKILL/);
    assert.equal(inh.held, false);
    await inh.close();
  });
});
