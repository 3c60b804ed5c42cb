// Field validation (`fieldValidation=Strict|Warn|Ignore`, Warn by default):
// unknown fields are refused or warned about, as the apiserver's strict
// decoder does. The known fields are spelled out for ObjectMeta and the
// Lease and the Event (the objects the agent writes) in full; for the other kinds only
// their top-level fields are checked.

import { errors } from './status.ts';

type Shape = { [field: string]: Shape | 'leaf' | 'map' | ['list', Shape | 'leaf'] };

const objectMeta: Shape = {
  name: 'leaf',
  generateName: 'leaf',
  namespace: 'leaf',
  selfLink: 'leaf',
  uid: 'leaf',
  resourceVersion: 'leaf',
  generation: 'leaf',
  creationTimestamp: 'leaf',
  deletionTimestamp: 'leaf',
  deletionGracePeriodSeconds: 'leaf',
  labels: 'map',
  annotations: 'map',
  ownerReferences: ['list', { apiVersion: 'leaf', kind: 'leaf', name: 'leaf', uid: 'leaf', controller: 'leaf', blockOwnerDeletion: 'leaf' }],
  finalizers: ['list', 'leaf'],
  managedFields: ['list', 'leaf'],
};

const objectReference: Shape = { kind: 'leaf', namespace: 'leaf', name: 'leaf', uid: 'leaf', apiVersion: 'leaf', resourceVersion: 'leaf', fieldPath: 'leaf' };

const shapes: Record<string, Shape> = {
  Lease: {
    apiVersion: 'leaf',
    kind: 'leaf',
    metadata: objectMeta,
    spec: {
      acquireTime: 'leaf',
      holderIdentity: 'leaf',
      leaseDurationSeconds: 'leaf',
      leaseTransitions: 'leaf',
      preferredHolder: 'leaf',
      renewTime: 'leaf',
      strategy: 'leaf',
    },
  },
  Event: {
    apiVersion: 'leaf',
    kind: 'leaf',
    metadata: objectMeta,
    involvedObject: objectReference,
    reason: 'leaf',
    message: 'leaf',
    source: { component: 'leaf', host: 'leaf' },
    firstTimestamp: 'leaf',
    lastTimestamp: 'leaf',
    count: 'leaf',
    type: 'leaf',
    eventTime: 'leaf',
    series: { count: 'leaf', lastObservedTime: 'leaf' },
    action: 'leaf',
    related: objectReference,
    reportingComponent: 'leaf',
    reportingInstance: 'leaf',
  },
  Namespace: { apiVersion: 'leaf', kind: 'leaf', metadata: objectMeta, spec: 'map', status: 'map' },
  Service: { apiVersion: 'leaf', kind: 'leaf', metadata: objectMeta, spec: 'map', status: 'map' },
  Node: { apiVersion: 'leaf', kind: 'leaf', metadata: objectMeta, spec: 'map', status: 'map' },
  EndpointSlice: { apiVersion: 'leaf', kind: 'leaf', metadata: objectMeta, addressType: 'leaf', endpoints: ['list', 'leaf'], ports: ['list', 'leaf'] },
};

function unknownFields(v: unknown, shape: Shape | 'leaf' | 'map' | ['list', Shape | 'leaf'], path: string, out: string[]): void {
  if (shape === 'leaf' || shape === 'map' || v === null || typeof v !== 'object') return;
  if (Array.isArray(shape)) {
    if (Array.isArray(v)) v.forEach((x, i) => unknownFields(x, shape[1], `${path}[${i}]`, out));
    return;
  }
  if (Array.isArray(v)) return;
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue; // strategic merge patch directives
    const p = path ? `${path}.${k}` : k;
    const s = shape[k];
    if (s === undefined) out.push(p);
    else unknownFields(x, s, p, out);
  }
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function parseFieldValidation(v: string | null): FieldValidation {
  if (v === null || v === '' || v === 'Warn') return 'Warn';
  if (v === 'Strict' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(v)}: supported values: "Ignore", "Strict", "Warn"`);
}

/**
 * Checks a decoded body. Strict: throws 400 with the real message. Warn:
 * returns the warnings for `Warning` headers. Ignore: nothing.
 */
export function checkFields(kind: string, body: unknown, mode: FieldValidation, wrap: (msg: string) => string = (m) => m): string[] {
  const shape = shapes[kind];
  if (!shape || mode === 'Ignore') return [];
  const unknown: string[] = [];
  unknownFields(body, shape, '', unknown);
  if (unknown.length === 0) return [];
  if (mode === 'Strict') throw errors.badRequest(wrap(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`));
  return unknown.map((f) => `unknown field "${f}"`);
}
