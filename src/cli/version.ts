import { buildInfo } from '../build-info.ts';

export interface VersionOptions {
  readonly verbose: boolean;
}

export async function versionCommand(opts: VersionOptions): Promise<void> {
  const out: string[] = [
    `kube-lb-agent ${buildInfo.version}`,
    `commit: ${buildInfo.commit}`,
    `node: ${process.version}`,
  ];
  if (opts.verbose) {
    const sea = process.getBuiltinModule('node:sea');
    out.push(`executable: ${process.execPath}${sea.isSea() ? ' (single executable)' : ''}`);
    out.push(`platform: ${process.platform}-${process.arch}, N-API ${process.versions.napi}`);
    // Loading the kernel layer loads the native netlink addon: this is the
    // check that the binary can talk to the kernel on this host.
    const { listLinks } = await import('../kernel/index.ts');
    const links = await listLinks({ timeoutMs: 2000 });
    out.push(`netlink: ok, ${links.length} link(s)`);
    for (const l of links) {
      out.push(`  ${String(l.index).padStart(3)} ${l.name.padEnd(16)} ${(l.kind ?? '-').padEnd(8)} ${l.up ? 'up' : 'down'}`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}
