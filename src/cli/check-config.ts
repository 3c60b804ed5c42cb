import { loadConfig } from '../config/index.ts';

export interface CheckConfigOptions {
  readonly path: string;
  readonly print: boolean;
  readonly globals: unknown;
}

/** Exit 0 with a summary when the file is valid; a bad file throws (exit 3). */
export async function checkConfigCommand(opts: CheckConfigOptions): Promise<void> {
  const { config, warnings } = loadConfig(opts.path);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  if (opts.print) {
    process.stdout.write(JSON.stringify(config, null, 2) + '\n');
    return;
  }
  const pools = config.pools.map((p) => `${p.name} (${p.cidrs.length} CIDR${p.cidrs.length === 1 ? '' : 's'})`);
  const lines = [
    `${opts.path}: OK`,
    `  interface ${config.interface.name} (${config.interface.kind}), table ${config.routing.table}, protocol ${config.routing.protocol}, method ${config.routing.method}`,
    `  election ${config.announce.election}, class "${config.announce.class}"${config.announce.defaultClass ? ' + class-less Services' : ''}`,
    `  pools: ${pools.length ? pools.join(', ') : 'none (nothing will be announced)'}`,
    `  http: ${config.http.listen ? `${config.http.listen.host}:${config.http.listen.port}` : 'disabled'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
