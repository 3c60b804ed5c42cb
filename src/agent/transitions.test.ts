import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Announcement, Decision, Plan } from '../plan/index.ts';
import { allStopped, transitions } from './transitions.ts';

function ann(ip: string, ...services: string[]): Announcement {
  const v6 = ip.includes(':');
  return { ip, prefix: v6 ? 128 : 32, family: v6 ? 6 : 4, pool: 'p', services };
}

function dec(service: string, ip: string, reason: Decision['reason']): Decision {
  return { service, ip, source: 'loadbalancer', announce: reason === 'announced', reason };
}

function planOf(decisions: Decision[]): Plan {
  return { synced: true, announcements: [], decisions, warnings: [] };
}

describe('transitions', () => {
  it('a new Service: started, with all its IPs in one transition', () => {
    const t = transitions({ previous: [], next: [ann('192.0.2.10', 'ns/web'), ann('2001:db8::10', 'ns/web')], plan: null });
    assert.deepEqual(t, [{ kind: 'started', service: 'ns/web', ips: ['192.0.2.10', '2001:db8::10'] }]);
  });

  it('nothing changed: nothing', () => {
    const a = [ann('192.0.2.10', 'ns/a', 'ns/b')];
    assert.deepEqual(transitions({ previous: a, next: [ann('192.0.2.10', 'ns/a', 'ns/b')], plan: null }), []);
  });

  it('the reason of a stop is the plan\'s decision for that Service and IP', () => {
    const plan = planOf([dec('ns/web', '192.0.2.10', 'no-local-endpoint'), dec('ns/db', '192.0.2.20', 'not-elected')]);
    const t = transitions({ previous: [ann('192.0.2.10', 'ns/web'), ann('192.0.2.20', 'ns/db')], next: [], plan });
    assert.deepEqual(t, [
      { kind: 'stopped', service: 'ns/db', ips: ['192.0.2.20'], reason: 'not-elected' },
      { kind: 'stopped', service: 'ns/web', ips: ['192.0.2.10'], reason: 'no-local-endpoint' },
    ]);
  });

  it('a Service the plan no longer knows is gone; an IP it no longer has is removed', () => {
    const plan = planOf([dec('ns/web', '192.0.2.11', 'announced')]);
    const t = transitions({ previous: [ann('192.0.2.10', 'ns/web'), ann('192.0.2.20', 'ns/old')], next: [ann('192.0.2.11', 'ns/web')], plan });
    assert.deepEqual(t, [
      { kind: 'stopped', service: 'ns/old', ips: ['192.0.2.20'], reason: 'service-gone' },
      { kind: 'started', service: 'ns/web', ips: ['192.0.2.11'] },
      { kind: 'stopped', service: 'ns/web', ips: ['192.0.2.10'], reason: 'ip-removed' },
    ]);
  });

  it('a decision that still says announced: the node cannot serve (kube-proxy gate)', () => {
    const plan = planOf([dec('ns/web', '192.0.2.10', 'announced')]);
    const t = transitions({ previous: [ann('192.0.2.10', 'ns/web')], next: [], plan });
    assert.deepEqual(t, [{ kind: 'stopped', service: 'ns/web', ips: ['192.0.2.10'], reason: 'node-cannot-serve' }]);
  });

  it('shared IP: a Service joining or leaving is its own transition; the others see nothing', () => {
    const plan = planOf([dec('ns/a', '192.0.2.10', 'announced'), dec('ns/b', '192.0.2.10', 'class-mismatch')]);
    const t1 = transitions({ previous: [ann('192.0.2.10', 'ns/a')], next: [ann('192.0.2.10', 'ns/a', 'ns/b')], plan: null });
    assert.deepEqual(t1, [{ kind: 'started', service: 'ns/b', ips: ['192.0.2.10'] }]);
    const t2 = transitions({ previous: [ann('192.0.2.10', 'ns/a', 'ns/b')], next: [ann('192.0.2.10', 'ns/a')], plan });
    assert.deepEqual(t2, [{ kind: 'stopped', service: 'ns/b', ips: ['192.0.2.10'], reason: 'class-mismatch' }]);
  });

  it('a Service stopping two IPs for two reasons: two transitions', () => {
    const plan = planOf([dec('ns/web', '192.0.2.10', 'ip-not-in-pool'), dec('ns/web', '2001:db8::10', 'no-local-endpoint')]);
    const t = transitions({ previous: [ann('192.0.2.10', 'ns/web'), ann('2001:db8::10', 'ns/web')], next: [], plan });
    assert.deepEqual(t, [
      { kind: 'stopped', service: 'ns/web', ips: ['192.0.2.10'], reason: 'ip-not-in-pool' },
      { kind: 'stopped', service: 'ns/web', ips: ['2001:db8::10'], reason: 'no-local-endpoint' },
    ]);
  });

  it('a refusal on one source explains the stop when the IP is listed under two', () => {
    const plan = planOf([dec('ns/web', '192.0.2.10', 'announced'), { ...dec('ns/web', '192.0.2.10', 'advertise-disabled'), source: 'external' }]);
    const t = transitions({ previous: [ann('192.0.2.10', 'ns/web')], next: [], plan });
    assert.deepEqual(t, [{ kind: 'stopped', service: 'ns/web', ips: ['192.0.2.10'], reason: 'advertise-disabled' }]);
  });

  it('after a restart: adopted routes (no Services known) start nothing when the plan names them', () => {
    const adopted = [ann('192.0.2.10'), ann('192.0.2.20')];
    const t = transitions({ previous: adopted, next: [ann('192.0.2.10', 'ns/a'), ann('192.0.2.30', 'ns/c')], plan: null });
    assert.deepEqual(t, [{ kind: 'started', service: 'ns/c', ips: ['192.0.2.30'] }], 'only the new IP starts; the adopted one withdrawn names no Service');
  });

  it('allStopped: every Service of every announcement, with one reason', () => {
    const t = allStopped([ann('192.0.2.10', 'ns/a', 'ns/b'), ann('2001:db8::10', 'ns/a'), ann('192.0.2.99')], 'agent-stopping');
    assert.deepEqual(t, [
      { kind: 'stopped', service: 'ns/a', ips: ['192.0.2.10', '2001:db8::10'], reason: 'agent-stopping' },
      { kind: 'stopped', service: 'ns/b', ips: ['192.0.2.10'], reason: 'agent-stopping' },
    ]);
  });
});
