// `kube-lb-agent status`: the running agent's /status as a readable table; with
// the agent down, what the kernel holds of its routes and addresses instead.
// Exit 0 when either could be read, 1 when neither, 3 for a bad config.

import { loadConfig } from '../config/index.ts';
import { fetchStatus, formatListen, readKernelHoldings, renderKernelFallback, renderStatus, type KernelHoldings } from '../observe/index.ts';
import { setAddonDirectory } from '../system/sea-addon.ts';
import { CommandExit, EXIT } from './exit-codes.ts';

export interface StatusOptions {
  readonly path: string;
  readonly json: boolean;
  readonly timeoutMs: number;
}

export async function statusCommand(opts: StatusOptions): Promise<void> {
  const { config } = loadConfig(opts.path);
  setAddonDirectory(config.state.addonDirectory);
  const listen = config.http.listen;

  let why: string;
  let headline: string;
  let agent: { answered: false; kind: 'down' | 'timeout' | 'bad-answer' | 'http-off'; url: string | null; error: string };
  if (listen) {
    const got = await fetchStatus(listen, { timeoutMs: opts.timeoutMs });
    if (got.ok) {
      process.stdout.write(opts.json ? JSON.stringify(got.status, null, 2) + '\n' : renderStatus(got.status, Date.now()));
      return;
    }
    agent = { answered: false, kind: got.kind, url: got.url, error: got.message };
    if (got.kind === 'down') {
      why = `nothing answers on ${formatListen(listen)} (http.listen; ${got.message})`;
      headline = `kube-lb-agent is NOT RUNNING here: ${why}.`;
    } else if (got.kind === 'timeout') {
      why = `${got.url} gave no answer within ${opts.timeoutMs} ms`;
      headline = `kube-lb-agent is NOT ANSWERING: ${why} — it may be stuck (systemctl status kube-lb-agent).`;
    } else {
      why = `${got.url} did not answer as the agent does (${got.message})`;
      headline = `kube-lb-agent could not be asked: ${why}.`;
    }
  } else {
    why = 'HTTP is turned off (http.listen = "")';
    agent = { answered: false, kind: 'http-off', url: null, error: why };
    headline = `kube-lb-agent cannot be asked: ${why}; whether it runs: systemctl status kube-lb-agent.`;
  }

  const where = { interfaceName: config.interface.name, table: config.routing.table, protocol: config.routing.protocol };
  let holdings: KernelHoldings;
  try {
    holdings = await readKernelHoldings({ ...where, timeoutMs: opts.timeoutMs });
  } catch (e) {
    process.stderr.write(`kube-lb-agent status: ${why}; and the kernel could not be read either: ${(e as Error).message ?? String(e)}\n`);
    throw new CommandExit(EXIT.failure);
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ agent, headline, kernel: { ...where, ...holdings } }, null, 2) + '\n');
  } else {
    process.stdout.write(renderKernelFallback({ headline, ...where, holdings }));
  }
}
