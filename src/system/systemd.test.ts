import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WithdrawPolicy } from '../config/types.ts';
import { classifyStop, decideStop, describeStop, type StopAction, type StopKind } from './systemd.ts';

describe('decideStop: policy × answer', () => {
  const table: Array<[WithdrawPolicy, StopKind, StopAction, string]> = [
    ['auto', 'restart', 'keep', 'auto-restart'],
    ['auto', 'stop', 'withdraw', 'auto-stop'],
    ['auto', 'unknown', 'keep', 'auto-unknown'],
    ['always', 'restart', 'withdraw', 'policy-always'],
    ['always', 'stop', 'withdraw', 'policy-always'],
    ['always', 'unknown', 'withdraw', 'policy-always'],
    ['never', 'restart', 'keep', 'policy-never'],
    ['never', 'stop', 'keep', 'policy-never'],
    ['never', 'unknown', 'keep', 'policy-never'],
  ];
  for (const [policy, kind, action, reason] of table) {
    test(`${policy} × ${kind} → ${action}`, () => {
      assert.deepEqual(decideStop(policy, kind), { action, reason });
    });
  }
});

describe('classifyStop', () => {
  const table: Array<[string | null, string | null, StopKind, string]> = [
    ['restart', 'running', 'restart', 'restart-job'],
    ['try-restart', 'running', 'restart', 'restart-job'],
    ['reload-or-restart', 'degraded', 'restart', 'restart-job'],
    ['stop', 'running', 'stop', 'stop-job'],
    ['stop', 'stopping', 'stop', 'system-stopping'],
    [null, 'stopping', 'stop', 'system-stopping'],
    ['restart', 'stopping', 'stop', 'system-stopping'],
    [null, 'running', 'unknown', 'no-job'],
    [null, null, 'unknown', 'no-job'],
    ['start', 'running', 'unknown', 'other-job'],
    ['reload', 'running', 'unknown', 'other-job'],
    ['verify-active', null, 'unknown', 'other-job'],
  ];
  for (const [jobType, systemState, kind, reason] of table) {
    test(`job ${jobType} in state ${systemState} → ${kind}`, () => {
      assert.deepEqual(classifyStop({ jobType, systemState }), { kind, reason });
    });
  }
});

describe('describeStop', () => {
  test('says what and why in one line', () => {
    const unknown = { kind: 'unknown', reason: 'no-bus' } as const;
    assert.equal(describeStop(decideStop('auto', 'unknown'), unknown), 'no system bus: keeping routes');
    assert.equal(describeStop(decideStop('always', 'unknown'), null), 'shutdown.withdraw = always: withdrawing routes');
    assert.equal(describeStop(decideStop('never', 'stop'), null), 'shutdown.withdraw = never: keeping routes');
    const stop = { kind: 'stop', reason: 'stop-job', unit: 'kube-lb-agent.service', jobId: 7, jobType: 'stop' } as const;
    assert.equal(describeStop(decideStop('auto', 'stop'), stop), 'stop job 7 is stopping kube-lb-agent.service: withdrawing routes');
    const down = { kind: 'stop', reason: 'system-stopping', systemState: 'stopping' } as const;
    assert.equal(describeStop(decideStop('auto', 'stop'), down), 'the system is shutting down: withdrawing routes');
    assert.equal(describeStop(decideStop('auto', 'unknown'), { kind: 'unknown', reason: 'timeout' }), 'systemd did not answer in time: keeping routes');
  });
});
