// `kube-lb-agent explain NAMESPACE/NAME`: why this node does or does not
// announce each IP of one Service, from the running agent's /status.
// Exit 0 when explained (also "not considered"), 1 when the agent cannot be
// asked, 2 for a malformed name, 3 for a bad config.

import { loadConfig } from '../config/index.ts';
import { explainService, fetchStatus, formatListen } from '../observe/index.ts';
import { CommandExit, EXIT } from './exit-codes.ts';

export interface ExplainOptions {
  readonly path: string;
  readonly service: string;
  readonly timeoutMs: number;
}

const KEY = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export async function explainCommand(opts: ExplainOptions): Promise<void> {
  if (!KEY.test(opts.service)) {
    process.stderr.write(`kube-lb-agent explain: ${JSON.stringify(opts.service)} is not NAMESPACE/NAME (e.g. default/web)\n`);
    throw new CommandExit(EXIT.usage);
  }
  const { config } = loadConfig(opts.path);
  const listen = config.http.listen;
  if (!listen) {
    process.stderr.write('kube-lb-agent explain: HTTP is turned off (http.listen = ""), so the agent cannot be asked\n');
    throw new CommandExit(EXIT.failure);
  }
  const got = await fetchStatus(listen, { service: opts.service, timeoutMs: opts.timeoutMs });
  if (!got.ok) {
    const what =
      got.kind === 'down'
        ? `kube-lb-agent is not running: nothing answers on ${formatListen(listen)} (http.listen)`
        : `the agent at ${got.url} did not answer usefully`;
    process.stderr.write(`kube-lb-agent explain: ${what} — ${got.message}\n`);
    throw new CommandExit(EXIT.failure);
  }
  process.stdout.write(explainService(got.status, opts.service, config.announce).text);
}
