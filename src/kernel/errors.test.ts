import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAgentError } from '../errors.ts';
import { errnoFromNumber, errnoName, isNetlinkError, NetlinkError, toNetlinkError } from './errors.ts';

test('the package\'s "Request rejected: CODE" becomes a typed errno', () => {
  const e = toNetlinkError('adding a route', new Error('Request rejected: EEXIST'));
  assert.ok(isNetlinkError(e, 'EEXIST'));
  assert.ok(isAgentError(e, 'NETLINK'), 'one error module: an AgentError with code NETLINK');
  assert.equal(e.message, 'adding a route: EEXIST');
  assert.ok(e.cause instanceof Error);
});

test('socket errors (ErrnoException with code) keep their code; unknown names are EOTHER with the name kept', () => {
  const enobufs = toNetlinkError('monitor', Object.assign(new Error('Netlink receive buffer overflowed'), { code: 'ENOBUFS', syscall: 'poll' }));
  assert.equal(enobufs.errno, 'ENOBUFS');
  assert.equal(enobufs.message, 'monitor: ENOBUFS (Netlink receive buffer overflowed)');
  const odd = toNetlinkError('x', new Error('Request rejected: EMSGSIZE'));
  assert.deepEqual([odd.errno, odd.sysName], ['EOTHER', 'EMSGSIZE']);
  const plain = toNetlinkError('x', new Error('boom'));
  assert.deepEqual([plain.errno, plain.message], ['EOTHER', 'x: EOTHER (boom)']);
  assert.equal(toNetlinkError('y', plain), plain, 'already typed: kept');
  assert.equal(toNetlinkError('z', 'text').message, 'z: EOTHER (text)');
});

test('errno numbers map to the kernel\'s names (EOPNOTSUPP, not its alias ENOTSUP)', () => {
  assert.equal(errnoName(17), 'EEXIST');
  assert.equal(errnoName(3), 'ESRCH');
  assert.equal(errnoName(19), 'ENODEV');
  assert.equal(errnoName(95), 'EOPNOTSUPP');
  assert.equal(errnoName(105), 'ENOBUFS');
  assert.equal(errnoName(11), 'EAGAIN');
  assert.equal(errnoName(99999), 'errno 99999');
  assert.equal(errnoFromNumber(99), 'EADDRNOTAVAIL');
  assert.equal(errnoFromNumber(90), 'EOTHER');
  assert.ok(new NetlinkError('a', 'ETIMEDOUT', { detail: 'no reply within 5 ms' }).message.endsWith('ETIMEDOUT (no reply within 5 ms)'));
});
