import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyBoot, readRecord, writeRecord, type RecordRead } from './boot-record.ts';

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
  const dir = mkdtempSync(join(tmpdir(), 'kla-boot-'));
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
