import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { register as globalRegister } from 'prom-client';
import type { InformerStatus } from '../cluster/index.ts';
import { createMetrics, KERNEL_OPS } from './metrics.ts';
import { FIXTURE_STATUS, GUARD_STATUS, HOLDING_STATUS, SYNCING_STATUS } from './testing/status-fixture.ts';
import { parseExposition, sample } from './testing/exposition.ts';

const OURS = [
  'kube_lb_agent_build_info',
  'kube_lb_agent_announced_ips',
  'kube_lb_agent_service_ips',
  'kube_lb_agent_api_up',
  'kube_lb_agent_api_state',
  'kube_lb_agent_synced',
  'kube_lb_agent_phase',
  'kube_lb_agent_withdrawals_held',
  'kube_lb_agent_withdrawals_held_total',
  'kube_lb_agent_last_reconcile_timestamp_seconds',
  'kube_lb_agent_reconcile_duration_seconds',
  'kube_lb_agent_reconcile_errors_total',
  'kube_lb_agent_kernel_operations_total',
  'kube_lb_agent_watch_restarts_total',
  'kube_lb_agent_event_to_kernel_seconds',
  'kube_lb_agent_kubernetes_events_total',
];

const informer = (resource: string, watchRestarts: number): InformerStatus => ({
  resource,
  phase: 'watching',
  listed: true,
  objects: 1,
  resourceVersion: '1',
  lists: 1,
  watchRestarts,
});

describe('metrics', () => {
  test('the text names every metric, parses, and follows the naming conventions', async () => {
    const m = createMetrics({ status: () => FIXTURE_STATUS });
    const families = parseExposition(await m.render());
    for (const name of OURS) assert.ok(families.has(name), `missing ${name}`);
    for (const name of ['kube_lb_agent_process_resident_memory_bytes', 'kube_lb_agent_process_cpu_seconds_total', 'kube_lb_agent_nodejs_eventloop_lag_seconds']) {
      assert.ok(families.has(name), `default metric ${name} is prefixed`);
    }
    for (const [name, f] of families) {
      assert.ok(name.startsWith('kube_lb_agent_'), `${name}: every metric carries the prefix`);
      assert.ok(f.help.length > 0, `${name}: HELP`);
      if (f.type === 'counter') assert.match(name, /_total$/, `${name}: a counter ends in _total`);
      if (f.type === 'histogram') assert.match(name, /_seconds$/, `${name}: a histogram of time is in seconds`);
    }
    assert.ok(!families.has('process_cpu_seconds_total'), 'nothing unprefixed');
    assert.equal(families.get('kube_lb_agent_reconcile_duration_seconds')!.type, 'histogram');
    assert.equal(families.get('kube_lb_agent_kernel_operations_total')!.type, 'counter');
    assert.equal(families.get('kube_lb_agent_api_up')!.type, 'gauge');
  });

  test('histograms: buckets from 100 µs to 10 s', async () => {
    const m = createMetrics();
    m.observeReconcile(0.00005, 'ok');
    m.observeReconcile(0.003, 'error');
    m.observeReconcile(42, 'ok');
    m.observeEventToKernel(0.012);
    const f = parseExposition(await m.render());
    const les = f.get('kube_lb_agent_reconcile_duration_seconds')!.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le);
    assert.equal(les[0], '0.0001');
    assert.equal(les.at(-2), '10');
    assert.equal(les.at(-1), '+Inf');
    assert.equal(sample(f, 'kube_lb_agent_reconcile_duration_seconds_count'), 3);
    assert.equal(sample(f, 'kube_lb_agent_reconcile_duration_seconds_bucket', { le: '0.0001' }), 1);
    assert.equal(sample(f, 'kube_lb_agent_reconcile_duration_seconds_bucket', { le: '10' }), 2);
    assert.equal(sample(f, 'kube_lb_agent_reconcile_errors_total'), 1);
    assert.equal(sample(f, 'kube_lb_agent_event_to_kernel_seconds_bucket', { le: '0.025' }), 1);
    assert.equal(sample(f, 'kube_lb_agent_event_to_kernel_seconds_bucket', { le: '0.01' }), 0);
  });

  test('state gauges read the status at scrape time', async () => {
    let current = FIXTURE_STATUS;
    const m = createMetrics({ status: () => current });
    let f = parseExposition(await m.render());
    assert.equal(sample(f, 'kube_lb_agent_announced_ips', { family: 'ipv4' }), 2);
    assert.equal(sample(f, 'kube_lb_agent_announced_ips', { family: 'ipv6' }), 1);
    assert.equal(sample(f, 'kube_lb_agent_api_up'), 1);
    assert.equal(sample(f, 'kube_lb_agent_api_state', { state: 'up' }), 1);
    assert.equal(sample(f, 'kube_lb_agent_api_state', { state: 'down' }), 0);
    assert.equal(sample(f, 'kube_lb_agent_synced'), 1);
    assert.equal(sample(f, 'kube_lb_agent_phase', { phase: 'converged' }), 1);
    assert.equal(sample(f, 'kube_lb_agent_withdrawals_held'), 0);
    assert.equal(sample(f, 'kube_lb_agent_service_ips', { reason: 'announced' }), 4);
    assert.equal(sample(f, 'kube_lb_agent_service_ips', { reason: 'no-local-endpoint' }), 2);
    assert.equal(sample(f, 'kube_lb_agent_service_ips', { reason: 'node-not-ready' }), 0);
    assert.equal(sample(f, 'kube_lb_agent_last_reconcile_timestamp_seconds'), FIXTURE_STATUS.kernel.lastReconcileMs! / 1000);

    current = HOLDING_STATUS;
    f = parseExposition(await m.render());
    assert.equal(sample(f, 'kube_lb_agent_api_up'), 0);
    assert.equal(sample(f, 'kube_lb_agent_api_state', { state: 'down' }), 1);
    assert.equal(sample(f, 'kube_lb_agent_phase', { phase: 'holding' }), 1);
    assert.equal(sample(f, 'kube_lb_agent_phase', { phase: 'converged' }), 0);
    assert.equal(sample(f, 'kube_lb_agent_announced_ips', { family: 'ipv4' }), 2, 'holding keeps what is announced');

    current = GUARD_STATUS;
    f = parseExposition(await m.render());
    assert.equal(sample(f, 'kube_lb_agent_withdrawals_held'), 3);

    current = SYNCING_STATUS;
    f = parseExposition(await m.render());
    assert.equal(sample(f, 'kube_lb_agent_synced'), 0);
    assert.equal(sample(f, 'kube_lb_agent_announced_ips', { family: 'ipv4' }), 0);
    assert.equal(sample(f, 'kube_lb_agent_api_state', { state: 'connecting' }), 1);
  });

  test('without a status yet: zeros, no failure', async () => {
    const f = parseExposition(await createMetrics({ status: () => null }).render());
    assert.equal(sample(f, 'kube_lb_agent_api_up'), 0);
    assert.equal(sample(f, 'kube_lb_agent_synced'), 0);
    assert.equal(sample(f, 'kube_lb_agent_last_reconcile_timestamp_seconds'), 0);
  });

  test('kernel operations: every kind present from the start, counted by pass and by op', async () => {
    const m = createMetrics();
    let f = parseExposition(await m.render());
    for (const op of KERNEL_OPS) assert.equal(sample(f, 'kube_lb_agent_kernel_operations_total', { op }), 0);
    m.kernelPass({ routesAdded: 3, routesReplaced: 1, routesDeleted: 2, addressesAdded: 1, addressesReplaced: 0, addressesDeleted: 4 });
    m.kernelPass({ routesAdded: 1, routesReplaced: 0, routesDeleted: 0, addressesAdded: 0, addressesReplaced: 0, addressesDeleted: 0 });
    m.kernelOp('link_create');
    m.kernelOp('link_up');
    m.kernelOp('link_up', 0);
    f = parseExposition(await m.render());
    const got = Object.fromEntries(KERNEL_OPS.map((op) => [op, sample(f, 'kube_lb_agent_kernel_operations_total', { op })]));
    assert.deepEqual(got, { route_add: 4, route_replace: 1, route_del: 2, addr_add: 1, addr_replace: 0, addr_del: 4, link_create: 1, link_up: 1 });
  });

  test('watch restarts follow the informers\' counts, across a new informer', async () => {
    let infs = [informer('services', 2), informer('endpointSlices', 0), informer('nodes', 1), informer('agentLeases', 0)];
    const m = createMetrics({ informers: () => infs });
    let f = parseExposition(await m.render());
    assert.equal(sample(f, 'kube_lb_agent_watch_restarts_total', { resource: 'services' }), 2);
    assert.equal(sample(f, 'kube_lb_agent_watch_restarts_total', { resource: 'nodes' }), 1);
    assert.equal(sample(f, 'kube_lb_agent_watch_restarts_total', { resource: 'leases' }), 0);
    infs = [informer('services', 5), informer('endpointSlices', 1), informer('nodes', 1), informer('agentLeases', 0)];
    f = parseExposition(await m.render());
    assert.equal(sample(f, 'kube_lb_agent_watch_restarts_total', { resource: 'services' }), 5);
    assert.equal(sample(f, 'kube_lb_agent_watch_restarts_total', { resource: 'endpointslices' }), 1);
    // A new informer (the view was recreated) counts from 0: the counter never goes down.
    infs = [informer('services', 1), informer('endpointSlices', 1), informer('nodes', 1), informer('agentLeases', 0)];
    f = parseExposition(await m.render());
    assert.equal(sample(f, 'kube_lb_agent_watch_restarts_total', { resource: 'services' }), 6);
  });

  test('held withdrawals are counted when the guard starts holding', async () => {
    const m = createMetrics();
    m.withdrawalHeld();
    m.withdrawalHeld();
    assert.equal(sample(parseExposition(await m.render()), 'kube_lb_agent_withdrawals_held_total'), 2);
  });

  test('build info', async () => {
    const f = parseExposition(await createMetrics({ build: { version: '9.8.7', commit: 'cafe' } }).render());
    assert.equal(sample(f, 'kube_lb_agent_build_info', { version: '9.8.7', commit: 'cafe', node_version: process.version }), 1);
  });

  test('each instance has its own registry; the global one stays empty of ours', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.withdrawalHeld();
    assert.equal(sample(parseExposition(await b.render()), 'kube_lb_agent_withdrawals_held_total'), 0);
    assert.equal(sample(parseExposition(await a.render()), 'kube_lb_agent_withdrawals_held_total'), 1);
    assert.ok(!(await globalRegister.metrics()).includes('kube_lb_agent_'));
    assert.match(a.contentType, /^text\/plain; version=0\.0\.4; charset=utf-8$/);
  });
});
