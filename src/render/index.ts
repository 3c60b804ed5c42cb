// render/ — writes the routing daemon's configuration (BIRD 2 or FRR) that
// matches the agent's own: the same table, route protocol and interface, and
// the pools as prefix filters, so that only what the agent may announce ever
// leaves the node. Pure: (Config, options) → text; the CLI command
// (src/cli/render.ts) reads the file and prints. Each variant is proven with
// the real daemon (test/render/).

export { renderBird } from './bird.ts';
export { renderFrr } from './frr.ts';
export { resolveRenderOptions, BIRD_SOURCES, FRR_SOURCES, type Daemon, type RawRenderOptions, type RenderOptions, type Source } from './options.ts';
export type { Rendered } from './common.ts';
