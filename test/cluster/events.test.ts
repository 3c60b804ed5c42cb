// The event recorder (src/cluster/events.ts) alone, against the test API
// server: what it posts and how it reads in kubectl's terms, repeats
// aggregated on the same object, the per-Service and global limits, the
// bounded queue, and an API that is down, forbids, or hangs — dropped,
// counted, logged once, never thrown, never waited for past a deadline.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiConnection } from '../../src/cluster/connection.ts';
import { EventRecorder, type EventLimits, type EventOutcome, type ServiceEvent } from '../../src/cluster/events.ts';
import { service } from '../apiserver/fixtures.ts';
import { startApiServer, type TestApiServer } from '../apiserver/server.ts';
import { recordingLog, waitFor, type RecordingLog } from './helpers.ts';

let api: TestApiServer;
before(async () => {
  api = await startApiServer();
  api.put(service('default', 'web', { lbIPs: ['192.0.2.10'] }));
  api.put(service('shop', 'cart', { lbIPs: ['192.0.2.20'] }));
});
after(() => api.close());

interface Made {
  rec: EventRecorder;
  rl: RecordingLog;
  outcomes: EventOutcome[];
  done: () => void;
}

function recorder(server: TestApiServer, limits: Partial<EventLimits> = {}, requestTimeoutMs = 2000): Made {
  const rl = recordingLog('info');
  const conn = createApiConnection({ kubeconfig: server.writeKubeconfig(), log: rl.log });
  const outcomes: EventOutcome[] = [];
  const rec = new EventRecorder({ api: conn, node: 'node-a', log: rl.log, requestTimeoutMs, limits, onOutcome: (o) => outcomes.push(o) });
  return { rec, rl, outcomes, done: () => conn.close() };
}

const started = (svc: string, ip = '192.0.2.10'): ServiceEvent => ({ service: svc, reason: 'AnnouncementStarted', message: `announcing ${ip} from node node-a` });
const eventsOf = (server: TestApiServer, ns?: string) => server.list('Event', ns) as any[];
const clearEvents = (server: TestApiServer) => {
  for (const e of eventsOf(server)) server.delete(e);
};
const soon = () => Date.now() + 10_000;

describe('EventRecorder against the test API server', () => {
  it('posts a core/v1 Event on the Service: its uid, Normal, source and reporting fields, count 1', async () => {
    clearEvents(api);
    const { rec, outcomes, done } = recorder(api);
    rec.record(started('default/web'));
    await rec.close(soon());
    done();
    const [e, ...more] = eventsOf(api, 'default');
    assert.equal(more.length, 0);
    const svc = api.get({ kind: 'Service', namespace: 'default', name: 'web' })!;
    assert.deepEqual(e.involvedObject, { kind: 'Service', namespace: 'default', name: 'web', apiVersion: 'v1', uid: svc.metadata.uid, resourceVersion: svc.metadata.resourceVersion });
    assert.equal(e.type, 'Normal');
    assert.equal(e.reason, 'AnnouncementStarted');
    assert.equal(e.message, 'announcing 192.0.2.10 from node node-a');
    assert.deepEqual(e.source, { component: 'kube-lb-agent', host: 'node-a' });
    assert.equal(e.reportingComponent, 'kube-lb-agent');
    assert.equal(e.reportingInstance, 'node-a');
    assert.equal(e.count, 1);
    assert.match(e.firstTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(e.metadata.name, /^web\.[0-9a-f]+$/);
    assert.deepEqual(outcomes, ['posted']);
  });

  it('repeats patch the same Event (count 2, 3) instead of creating others', async () => {
    clearEvents(api);
    const { rec, outcomes, done } = recorder(api);
    const before = api.requests().length;
    rec.record(started('default/web'));
    rec.record(started('default/web'));
    await rec.flush(soon());
    assert.equal(eventsOf(api, 'default')[0].count, 2);
    rec.record(started('default/web'));
    await rec.close(soon());
    done();
    const list = eventsOf(api, 'default');
    assert.equal(list.length, 1, 'one object');
    assert.equal(list[0].count, 3);
    const writes = api.requests().slice(before).filter((r) => r.method !== 'GET');
    assert.deepEqual(writes.map((r) => `${r.method} ${r.code}`), ['POST 201', 'PATCH 200', 'PATCH 200']);
    assert.deepEqual(outcomes, ['posted', 'posted', 'posted']);
  });

  it('an Event gone from the server (TTL) is posted anew at the next repeat', async () => {
    clearEvents(api);
    const { rec, done } = recorder(api);
    rec.record(started('default/web'));
    await rec.flush(soon());
    clearEvents(api);
    rec.record(started('default/web'));
    await rec.close(soon());
    done();
    const list = eventsOf(api, 'default');
    assert.equal(list.length, 1);
    assert.equal(list[0].count, 1);
    assert.deepEqual(rec.status().counts.api_error, 0);
  });

  it('a Service already deleted: the Event names it without a uid', async () => {
    clearEvents(api);
    const { rec, done } = recorder(api);
    rec.record({ service: 'default/gone', reason: 'AnnouncementStopped', message: 'stopped announcing 192.0.2.99 from node node-a: service-gone' });
    await rec.close(soon());
    done();
    const [e] = eventsOf(api, 'default');
    assert.deepEqual(e.involvedObject, { kind: 'Service', namespace: 'default', name: 'gone', apiVersion: 'v1' });
  });

  it('per-Service limit: a flapping Service gets its burst, the others are unaffected', async () => {
    clearEvents(api);
    const { rec, rl, done } = recorder(api, { perServiceBurst: 3, perServiceRefillMs: 3_600_000 });
    for (let i = 0; i < 10; i++) rec.record(started('default/web', `192.0.2.${100 + i}`));
    rec.record(started('shop/cart', '192.0.2.20'));
    await rec.close(soon());
    done();
    assert.equal(eventsOf(api, 'default').length, 3);
    assert.equal(eventsOf(api, 'shop').length, 1);
    assert.deepEqual(rec.status().counts, { posted: 4, aggregated: 0, rate_limited: 7, queue_full: 0, api_error: 0, shutdown: 0 });
    assert.equal(rl.said(/dropping Kubernetes Events/).length, 1, 'logged once, not per drop');
  });

  it('per-Service limit refills: one more event per interval (a stepped clock)', async () => {
    clearEvents(api);
    let clock = 1_000_000;
    const rl = recordingLog('info');
    const conn = createApiConnection({ kubeconfig: api.writeKubeconfig(), log: rl.log });
    const rec = new EventRecorder({ api: conn, node: 'node-a', log: rl.log, requestTimeoutMs: 2000, limits: { perServiceBurst: 2, perServiceRefillMs: 60_000 }, now: () => clock });
    const ev = (i: number) => started('default/web', `192.0.2.${100 + i}`);
    rec.record(ev(0));
    rec.record(ev(1));
    rec.record(ev(2)); // over the burst
    clock += 59_999;
    rec.record(ev(3)); // not yet
    clock += 1;
    rec.record(ev(4)); // one token back
    rec.record(ev(5));
    clock += 120_000;
    rec.record(ev(6)); // two back (never more than the burst)
    rec.record(ev(7));
    rec.record(ev(8));
    await rec.close(clock + 10_000); // deadlines are on the recorder's clock
    conn.close();
    assert.deepEqual(rec.status().counts, { posted: 5, aggregated: 0, rate_limited: 4, queue_full: 0, api_error: 0, shutdown: 0 }, JSON.stringify(rl.lines));
    assert.deepEqual(eventsOf(api, 'default').map((e) => e.message).sort(), [0, 1, 4, 6, 7].map((i) => `announcing 192.0.2.${100 + i} from node node-a`));
    assert.equal(rec.status().counts.rate_limited, 4);
  });

  it('global limit and bounded queue: a flood of 1,000 Services → burst posted, the newest kept, the rest dropped and counted', async () => {
    clearEvents(api);
    const { rec, rl, done } = recorder(api, { globalBurst: 5, globalRefillMs: 3_600_000, queueMax: 20 });
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) rec.record(started(`default/svc-${i}`, `198.51.100.${i % 250}`));
    const recordMs = performance.now() - t0;
    await waitFor('the burst posted', () => rec.status().counts.posted === 5);
    assert.equal(rec.status().queued, 16, 'the queue (20) less what the burst took from it (4: the first went out at once) waits for tokens');
    rec.record(started('default/svc-999', '198.51.100.249')); // still queued: merged into it
    await rec.close(Date.now()); // stop now: the queue is dropped
    done();
    // The first went out at once; the queue kept the newest 20, and the burst took its 4 oldest.
    assert.deepEqual(eventsOf(api, 'default').map((e) => e.involvedObject.name).sort(), ['svc-0', 'svc-980', 'svc-981', 'svc-982', 'svc-983']);
    assert.deepEqual(rec.status().counts, { posted: 5, aggregated: 1, rate_limited: 0, queue_full: 979, api_error: 0, shutdown: 16 });
    assert.equal(rl.said(/dropping Kubernetes Events/).length, 1);
    console.log(`  recording 1,000 events took ${recordMs.toFixed(1)} ms in all (never waits for the API)`);
  });

  it('recordFinal (a stop): the stale queue is dropped, the final events go next, past an exhausted per-Service limit', async () => {
    clearEvents(api);
    const { rec, done } = recorder(api, { perServiceBurst: 1, perServiceRefillMs: 3_600_000, globalBurst: 1, globalRefillMs: 50 });
    rec.record(started('default/web', '192.0.2.10')); // out at once: web's one token
    for (let i = 0; i < 10; i++) rec.record(started(`default/stale-${i}`, `198.51.100.${i}`));
    rec.recordFinal([
      { service: 'default/web', reason: 'AnnouncementStopped', message: 'stopped announcing 192.0.2.10 from node node-a: agent-stopping' },
      { service: 'shop/cart', reason: 'AnnouncementStopped', message: 'stopped announcing 192.0.2.20 from node node-a: agent-stopping' },
    ]);
    await rec.close(soon());
    done();
    assert.deepEqual(
      eventsOf(api).map((e) => `${e.involvedObject.name} ${e.reason}`).sort(),
      ['cart AnnouncementStopped', 'web AnnouncementStarted', 'web AnnouncementStopped'],
    );
    assert.deepEqual(rec.status().counts, { posted: 3, aggregated: 0, rate_limited: 0, queue_full: 0, api_error: 0, shutdown: 10 });
  });

  it('API down: dropped and counted, one warning, no throw; back up: posted again, said once', async () => {
    const down = await startApiServer({ listen: false });
    try {
      down.put(service('default', 'web', { lbIPs: ['192.0.2.10'] }));
      const { rec, rl, done } = recorder(down);
      for (let i = 0; i < 5; i++) rec.record(started('default/web', `192.0.2.${10 + i}`));
      await rec.flush(soon());
      assert.equal(rec.status().counts.api_error, 5);
      assert.equal(rl.said(/dropping Kubernetes Events/).length, 1);
      await down.start();
      rec.record(started('default/web', '192.0.2.50'));
      await rec.close(soon());
      done();
      assert.equal(rec.status().counts.posted, 1);
      assert.equal(eventsOf(down, 'default').length, 1);
      assert.equal(rl.said(/posted again; 5 dropped meanwhile/).length, 1);
    } finally {
      await down.close();
    }
  });

  it('events forbidden (RBAC without the events rule): dropped as API errors, logged once', async () => {
    clearEvents(api);
    api.authorize((a) => a.resource !== 'events');
    try {
      const { rec, rl, done } = recorder(api);
      rec.record(started('default/web', '192.0.2.10'));
      rec.record(started('shop/cart', '192.0.2.20'));
      await rec.close(soon());
      done();
      assert.equal(rec.status().counts.api_error, 2);
      const said = rl.said(/dropping Kubernetes Events/);
      assert.equal(said.length, 1);
      assert.match(String(said[0]!.err), /403/);
    } finally {
      api.authorize(undefined);
    }
  });

  it('a hung API: close() keeps its deadline, what was in flight and queued counts as shutdown', async () => {
    clearEvents(api);
    const { rec, done } = recorder(api, {}, 30_000);
    api.hang(true);
    try {
      rec.record(started('default/web', '192.0.2.10'));
      rec.record(started('shop/cart', '192.0.2.20'));
      const t0 = Date.now();
      await rec.close(t0 + 300);
      const took = Date.now() - t0;
      assert.ok(took < 5_000, `close() returned after ${took} ms, not after the 30 s request timeout`);
      assert.deepEqual(rec.status().counts, { posted: 0, aggregated: 0, rate_limited: 0, queue_full: 0, api_error: 0, shutdown: 2 });
      rec.record(started('default/web', '192.0.2.11'));
      assert.equal(rec.status().counts.shutdown, 3, 'after close: counted, not posted');
    } finally {
      api.hang(false);
      done();
    }
  });
});
