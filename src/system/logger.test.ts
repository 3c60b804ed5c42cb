import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, isJournalStream, syslogPriority } from './logger.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

function withFile(fn: (fd: number, env: NodeJS.ProcessEnv) => void, journal: boolean): string[] {
  const file = join(tempDir('kla-log-'), 'out');
  const fd = openSync(file, 'w');
  const st = fstatSync(fd);
  const env = journal ? { JOURNAL_STREAM: `${st.dev}:${st.ino}` } : {};
  fn(fd, env);
  closeSync(fd);
  return readFileSync(file, 'utf8').trimEnd().split('\n');
}

test('syslog priorities follow pino levels', () => {
  assert.deepEqual([10, 20, 30, 40, 50, 60].map(syslogPriority), [7, 7, 6, 4, 3, 2]);
});

test('journal stream is recognised only when dev:inode match our fd', () => {
  withFile((fd, env) => {
    assert.equal(isJournalStream(fd, env), true);
    assert.equal(isJournalStream(fd, { JOURNAL_STREAM: '1:2' }), false);
    assert.equal(isJournalStream(fd, {}), false);
  }, true);
});

test('under journald every text line carries its <N> priority and no timestamp', () => {
  const lines = withFile((fd, env) => {
    const log = createLogger({ level: 'debug', format: 'auto', fd, env });
    log.debug('d');
    log.info({ op: 'boot', ip: '192.0.2.1' }, 'hello');
    log.warn('careful');
    log.error('broken');
    log.fatal('dead');
  }, true);
  assert.deepEqual(lines.map((l) => l.slice(0, 3)), ['<7>', '<6>', '<4>', '<3>', '<2>']);
  assert.match(lines[1]!, /^<6>INFO: hello .*op.*boot.*192\.0\.2\.1/);
  assert.doesNotMatch(lines[1]!, /\d\d:\d\d:\d\d/);
});

test('json under journald: prefix then one JSON object with stable keys', () => {
  const lines = withFile((fd, env) => {
    createLogger({ level: 'info', format: 'json', fd, env }).warn({ op: 'reconcile', service: 'ns/a' }, 'held');
  }, true);
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.startsWith('<4>{'));
  const obj = JSON.parse(lines[0]!.slice(3));
  assert.equal(obj.level, 'warn');
  assert.equal(obj.op, 'reconcile');
  assert.equal(obj.service, 'ns/a');
  assert.equal(obj.msg, 'held');
});

test('outside journald, auto on a file means JSON lines without a prefix, with time', () => {
  const lines = withFile((fd, env) => {
    const log = createLogger({ level: 'info', format: 'auto', fd, env });
    log.debug('filtered out');
    log.info('plain');
  }, false);
  assert.equal(lines.length, 1);
  const obj = JSON.parse(lines[0]!);
  assert.equal(obj.msg, 'plain');
  assert.equal(typeof obj.time, 'string');
});
