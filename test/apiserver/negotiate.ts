// Content negotiation on the Accept header, as the apiserver does it: plain
// JSON objects, `as=Table` (server-side printing), `as=PartialObjectMetadata`
// (metadata-only clients), and aggregated discovery
// (`as=APIGroupDiscoveryList`). Protobuf and YAML answers are not offered.

import { errors } from './status.ts';

interface MediaRange {
  type: string; // e.g. application/json
  params: Record<string, string>;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || !header.trim()) return [{ type: '*/*', params: {} }];
  return header.split(',').map((part) => {
    const [type, ...ps] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of ps) {
      const i = p.indexOf('=');
      if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim();
    }
    return { type: (type ?? '').toLowerCase(), params };
  });
}

export type Target = { as: 'object' } | { as: 'Table'; version: string } | { as: 'PartialObjectMetadata'; version: string };

const offered = ['application/json', 'application/json;stream=watch'];

function isJson(t: string): boolean {
  return t === 'application/json' || t === '*/*' || t === 'application/*';
}

/** What to answer a resource request with; 406 when nothing acceptable is on offer. */
export function negotiate(header: string | undefined): Target {
  for (const m of parseAccept(header)) {
    if (!isJson(m.type)) continue;
    const as = m.params.as;
    if (!as) return { as: 'object' };
    const g = m.params.g;
    const v = m.params.v;
    if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue;
    if (as === 'Table') return { as: 'Table', version: v };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata', version: v };
  }
  throw errors.notAcceptable(offered);
}

export type DiscoveryTarget = 'v2' | 'v2beta1' | 'legacy';

/** Aggregated discovery when the client lists it first; else the legacy documents. */
export function negotiateDiscovery(header: string | undefined): DiscoveryTarget {
  for (const m of parseAccept(header)) {
    if (!isJson(m.type)) continue;
    if (!m.params.as) return 'legacy';
    if (m.params.as === 'APIGroupDiscoveryList' && m.params.g === 'apidiscovery.k8s.io' && (m.params.v === 'v2' || m.params.v === 'v2beta1')) return m.params.v;
  }
  throw errors.notAcceptable(['application/json']);
}

export function contentTypeFor(t: Target): string {
  if (t.as === 'object') return 'application/json';
  return `application/json;as=${t.as};g=meta.k8s.io;v=${t.version}`;
}

/** The media type of a request body, for writes. */
export function bodyType(header: string | undefined): string {
  return (header ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}
