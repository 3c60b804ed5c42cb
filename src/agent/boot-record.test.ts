import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyBoot, readKernelRecord, readRecord, writeKernelRecord, writeRecord, type RecordRead } from './boot-record.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

const A = '0b6a2f43-2f7e-4d5e-9a51-5f6c1f1f7a01';
const B = '7d0c6a5e-1b2a-4c3d-8e9f-0a1b2c3d4e5f';

test('classifyBoot: the table of cases', () => {
  const cases: [RecordRead, string, string][] = [
    [{ state: 'absent' }, 'fresh', 'no-record'],
    [{ state: 'read', bootId: B }, 'fresh', 'boot-id-changed'],
    [{ state: 'read', bootId: A }, 'same', 'boot-id-matches'],
    [{ state: 'unreadable', error: 'EACCES' }, 'same', 'record-unreadable'],
  ];
  for (const [record, kind, why] of cases) {
    assert.deepEqual(classifyBoot(record, A), { kind, why }, JSON.stringify(record));
  }
});

test('record round trip, garbage and unreadable records', () => {
  const dir = tempDir('kla-boot-');
  const state = join(dir, 'state');
  assert.deepEqual(readRecord(state), { state: 'absent' });
  writeRecord(state, A);
  assert.equal(readFileSync(join(state, 'boot_id'), 'utf8'), A + '\n');
  assert.deepEqual(readRecord(state), { state: 'read', bootId: A });
  writeFileSync(join(state, 'boot_id'), 'not a boot id');
  assert.equal(readRecord(state).state, 'unreadable');
  // A directory where the file should be: unreadable, never "absent".
  const odd = join(dir, 'odd');
  mkdirSync(join(odd, 'boot_id'), { recursive: true });
  assert.equal(readRecord(odd).state, 'unreadable');
  if (process.getuid?.() !== 0) {
    chmodSync(join(state, 'boot_id'), 0);
    assert.equal(readRecord(state).state, 'unreadable');
  }
});

test('kernel settings record: round trip, absent, and only what a configuration would allow', () => {
  const dir = tempDir('kla-kernel-record-');
  const state = join(dir, 'state');
  const file = join(state, 'kernel.json');
  assert.deepEqual(readKernelRecord(state), { state: 'absent', file });
  writeKernelRecord(state, { table: 1198, protocol: 248, interfaceName: 'lb-vip0' }, A);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { table: 1198, protocol: 248, interfaceName: 'lb-vip0', bootId: A });
  assert.deepEqual(readKernelRecord(state), { state: 'read', file, kernel: { table: 1198, protocol: 248, interfaceName: 'lb-vip0' }, bootId: A });
  // Extra fields of KernelSettings are not recorded; the boot id is optional.
  writeKernelRecord(state, { table: 198, protocol: 201, interfaceName: 'kube-lb0', interfaceKind: 'dummy', timeoutMs: 5 } as never);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { table: 198, protocol: 201, interfaceName: 'kube-lb0' });
  assert.deepEqual(readKernelRecord(state), { state: 'read', file, kernel: { table: 198, protocol: 201, interfaceName: 'kube-lb0' } });

  // A damaged or tampered record is never trusted: cleanup must not be
  // pointed at the main table, another daemon's protocol or a bad name.
  const refused: [string, RegExp][] = [
    ['', /not JSON/],
    ['{"table":198,', /not JSON/],
    ['[198, 201, "kube-lb0"]', /not a JSON object/],
    ['null', /not a JSON object/],
    ['{"table":"198","protocol":201,"interfaceName":"kube-lb0"}', /integer table/],
    ['{"table":198,"protocol":201.5,"interfaceName":"kube-lb0"}', /integer protocol/],
    ['{"table":198,"protocol":201}', /interfaceName/],
    ['{"table":254,"protocol":201,"interfaceName":"kube-lb0"}', /main table/],
    ['{"table":255,"protocol":201,"interfaceName":"kube-lb0"}', /local table/],
    ['{"table":0,"protocol":201,"interfaceName":"kube-lb0"}', /table/],
    ['{"table":198,"protocol":12,"interfaceName":"kube-lb0"}', /bird/],
    ['{"table":198,"protocol":2,"interfaceName":"kube-lb0"}', /protocol 2 /],
    ['{"table":198,"protocol":256,"interfaceName":"kube-lb0"}', /protocol/],
    ['{"table":198,"protocol":201,"interfaceName":"eth0/1"}', /interface name/],
    ['{"table":198,"protocol":201,"interfaceName":"a-very-long-interface"}', /15/],
    ['{"table":198,"protocol":201,"interfaceName":""}', /empty/],
    ['{"table":198,"protocol":201,"interfaceName":"x\\"\\n[routing]\\ntable = 254"}', /interface/],
  ];
  for (const [text, why] of refused) {
    writeFileSync(file, text);
    const r = readKernelRecord(state);
    assert.equal(r.state, 'unreadable', text);
    assert.match((r as { error: string }).error, why, text);
  }
  // A garbage boot id is dropped, the settings still count.
  writeFileSync(file, '{"table":198,"protocol":201,"interfaceName":"kube-lb0","bootId":"yesterday"}');
  assert.deepEqual(readKernelRecord(state), { state: 'read', file, kernel: { table: 198, protocol: 201, interfaceName: 'kube-lb0' } });
  // A directory where the file should be: unreadable, never "absent".
  const odd = join(dir, 'odd');
  mkdirSync(join(odd, 'kernel.json'), { recursive: true });
  assert.equal(readKernelRecord(odd).state, 'unreadable');
});
