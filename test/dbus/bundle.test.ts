// The D-Bus modules survive esbuild's bundling as the single executable does
// it (CommonJS, minified, node24). dbus-next names two optional modules that
// are not installed: `x11` (session-bus address from an X display; esbuild
// cannot resolve it and fails the build) and `usocket` (native, for fd
// passing). Neither is ever used here, so the bundle maps both to `null`,
// which dbus-next's own code expects for a missing x11; the agent connects
// with `unix:socket=`, so usocket is not even looked up at run time.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { startPrivateBus, type PrivateBus } from './helpers/private-bus.ts';
import { SystemdStandIn, unitPath } from './helpers/standins.ts';
// @ts-expect-error: a plain .mjs module of the build, without types
import { dbusOptionalModules, SEA_BUNDLE_OPTIONS } from '../../scripts/esbuild-plugins.mjs';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..', '..');


let dir: string;
let bundle: string;
let pb: PrivateBus;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kla-bundle-'));
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    `import { pino } from 'pino';
import { SystemBus } from ${JSON.stringify(join(root, 'src/system/dbus.ts'))};
import { askStopKind } from ${JSON.stringify(join(root, 'src/system/systemd.ts'))};
const bus = new SystemBus({ log: pino({ level: 'silent' }) });
void askStopKind(bus).then((a) => { console.log(JSON.stringify(a)); bus.close(); });
`,
  );
  bundle = join(dir, 'out.cjs');
  await esbuild.build({
    ...SEA_BUNDLE_OPTIONS,
    entryPoints: [entry],
    nodePaths: [join(root, 'node_modules')],
    outfile: bundle,
    logLevel: 'silent',
    // The plugin the shipped build uses, not a copy of it.
    plugins: [dbusOptionalModules],
  });
  pb = await startPrivateBus();
});
after(async () => {
  await pb?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('without the plugin the bundle does not build (x11)', async () => {
  await assert.rejects(
    esbuild.build({ entryPoints: [join(root, 'src/system/dbus.ts')], bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'silent' }),
    /Could not resolve "x11"/,
  );
});

test('the bundle asks a stand-in systemd (restart job → restart)', async () => {
  assert.doesNotMatch(readFileSync(bundle, 'utf8'), /require\("(usocket|x11)"\)/);
  const systemd = await SystemdStandIn.start(pb.address);
  try {
    systemd.addUnit('kube-lb-agent.service', []);
    systemd.setJob('kube-lb-agent.service', 'restart');
    // The bundle's PID is not known before it runs: every PID is in our unit.
    (systemd as unknown as { methods: Map<string, () => unknown> }).methods.set('org.freedesktop.systemd1.Manager.GetUnitByPID', () => ({ sig: 'o', body: [unitPath('kube-lb-agent.service')] }));
    const { stdout } = await run(process.execPath, [bundle], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: pb.address } });
    assert.deepEqual(JSON.parse(stdout), { kind: 'restart', reason: 'restart-job', unit: 'kube-lb-agent.service', jobId: 100, jobType: 'restart', systemState: 'running' });
  } finally {
    systemd.close();
  }
});

test('the bundle without a system bus → unknown (no-bus)', async () => {
  const { stdout } = await run(process.execPath, [bundle], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/kla/bus' } });
  assert.equal(JSON.parse(stdout).reason, 'no-bus');
});
