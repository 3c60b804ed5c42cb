// `kube-lb-agent status` with the agent down: it reads the kernel instead, in
// a network namespace of its own (kla-obs-<pid>) seeded with `ip`: routes of
// ours in table 198, another owner's route there, one of ours in main (not
// shown), an address on kube-lb0. Needs root. No `dummy` driver on this
// kernel: a bridge stands in for kube-lb0.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { configFile, runCli } from './helpers.ts';

const exec = promisify(execFile);
const NS = `kla-obs-${process.pid}`;
const ip = (...args: string[]) => exec('ip', ['-n', NS, ...args]);
const inNs = ['ip', 'netns', 'exec', NS];

describe('status with the agent down reads the kernel', () => {
  before(async () => {
    assert.equal(process.getuid?.(), 0, 'needs root: creates a network namespace');
    await exec('ip', ['netns', 'add', NS]);
    await ip('link', 'set', 'lo', 'up');
    await ip('link', 'add', 'kube-lb0', 'type', 'bridge');
    await ip('link', 'set', 'kube-lb0', 'up');
    await ip('route', 'add', '192.0.2.10/32', 'dev', 'kube-lb0', 'table', '198', 'proto', '201');
    await ip('route', 'add', '192.0.2.9/32', 'dev', 'kube-lb0', 'table', '198', 'proto', '201');
    await ip('-6', 'route', 'add', '2001:db8::10/128', 'dev', 'kube-lb0', 'table', '198', 'proto', '201');
    await ip('route', 'add', '192.0.2.99/32', 'dev', 'kube-lb0', 'table', '198', 'proto', '248');
    await ip('route', 'add', '192.0.2.77/32', 'dev', 'kube-lb0', 'proto', '201');
    await ip('address', 'add', '192.0.2.50/32', 'dev', 'kube-lb0');
  });
  after(async () => {
    await exec('ip', ['netns', 'del', NS]).catch(() => {});
  });

  test('nothing listening: says the agent is not running, lists our routes and addresses (exit 0)', async () => {
    const r = await runCli(['status', '-c', configFile('127.0.0.1:20244')], inNs);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kube-lb-agent is NOT RUNNING here: nothing answers on 127\.0\.0\.1:20244 \(http\.listen; ECONNREFUSED/);
    assert.match(r.stdout, /\ninterface kube-lb0: up, kind bridge, index \d+\n/);
    const routes = r.stdout.split('\n').filter((l) => /^  [0-9a-f:.]+\/\d+ +\d+$/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    assert.deepEqual(routes, ['192.0.2.9/32', '192.0.2.10/32', '2001:db8::10/128'], 'ours in table 198 only, sorted');
    assert.match(r.stdout, /routes in table 198 with protocol 201 \(3\):/);
    assert.match(r.stdout, /addresses on kube-lb0 \(1\):\n  192\.0\.2\.50\/32\n/);
    assert.match(r.stdout, /other routes in table 198 \(other protocols: never touched by the agent\): 1/);
    assert.doesNotMatch(r.stdout, /192\.0\.2\.77|192\.0\.2\.99/);
  });

  test('--json: the agent did not answer (why), and the kernel holdings', async () => {
    const r = await runCli(['status', '-c', configFile('127.0.0.1:20244'), '--json'], inNs);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      headline: string;
      agent: { answered: boolean; kind: string; url: string; error: string };
      kernel: { table: number; protocol: number; link: { name: string }; routes: { dst: string; protocol: number }[]; addresses: { ip: string }[] };
    };
    assert.deepEqual([j.agent.answered, j.agent.kind, j.agent.url], [false, 'down', 'http://127.0.0.1:20244/status']);
    assert.match(j.agent.error, /ECONNREFUSED/);
    assert.match(j.headline, /^kube-lb-agent is NOT RUNNING here/);
    assert.equal(j.kernel.link.name, 'kube-lb0');
    assert.deepEqual(j.kernel.routes.map((x) => `${x.dst} ${x.protocol}`), ['192.0.2.9 201', '192.0.2.10 201', '2001:db8::10 201']);
    assert.deepEqual(j.kernel.addresses.map((a) => a.ip), ['192.0.2.50']);
  });

  test('kube-vip\'s protocol configured: its route is the one listed', async () => {
    const r = await runCli(['status', '-c', configFile('127.0.0.1:20244', '[routing]\nprotocol = 248\n')], inNs);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /routes in table 198 with protocol 248 \(1\):\n  ROUTE +METRIC\n  192\.0\.2\.99\/32 +0\n/);
  });

  test('HTTP turned off: says so and reads the kernel', async () => {
    const r = await runCli(['status', '-c', configFile('')], inNs);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kube-lb-agent cannot be asked: HTTP is turned off \(http\.listen = ""\); whether it runs: systemctl status kube-lb-agent\.\n/);
    assert.match(r.stdout, /\(3\):/);
  });

  test('another interface name: missing, and nothing of its addresses', async () => {
    const r = await runCli(['status', '-c', configFile('127.0.0.1:20244', '[interface]\nname = "kube-lb9"\n')], inNs);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\ninterface kube-lb9: missing\n/);
    assert.match(r.stdout, /addresses on kube-lb9 \(0\):\n  none/);
  });

  test('loopback down: the connection hangs, so "not answering" after --timeout, and the kernel still read', async () => {
    await ip('link', 'set', 'lo', 'down');
    try {
      const r = await runCli(['status', '-c', configFile('127.0.0.1:20244'), '--timeout', '500'], inNs);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^kube-lb-agent is NOT ANSWERING: http:\/\/127\.0\.0\.1:20244\/status gave no answer within 500 ms — it may be stuck/);
      assert.match(r.stdout, /routes in table 198 with protocol 201 \(3\):/);
    } finally {
      await ip('link', 'set', 'lo', 'up');
    }
  });
});
