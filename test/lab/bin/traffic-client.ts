// The lab's client: many short TCP flows to one VIP, each from a fresh
// source port, so the router's layer-4 ECMP hash spreads them over the
// nodes. Each flow connects, reads the answering node's name, and counts it.
//   traffic-client.ts IP PORT --flows N [--concurrency C]   N flows, then a summary
//   traffic-client.ts IP PORT --until-eof [--concurrency C]  flows until stdin closes (a load across an event)
// Prints one JSON line: {"ok":N,"failed":N,"perNode":{"node1":N,…},"errors":[{"at":ms,"err":"…"}],"ms":N}.

import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { flows: { type: 'string' }, concurrency: { type: 'string' }, 'until-eof': { type: 'boolean' }, timeout: { type: 'string' } },
});
const [ip, portText] = positionals;
if (!ip || !portText || (!values.flows && !values['until-eof'])) {
  process.stderr.write('usage: traffic-client.ts IP PORT (--flows N | --until-eof) [--concurrency C] [--timeout MS]\n');
  process.exit(2);
}
const port = Number(portText);
const concurrency = Number(values.concurrency ?? 8);
const timeoutMs = Number(values.timeout ?? 3000);
let remaining = values.flows ? Number(values.flows) : Infinity;
let stop = false;
if (values['until-eof']) {
  process.stdin.resume();
  process.stdin.on('end', () => (stop = true));
}

const perNode: Record<string, number> = {};
const errors: { at: number; err: string }[] = [];
let ok = 0;
const t0 = Date.now();

function flow(): Promise<void> {
  return new Promise((resolve) => {
    let data = '';
    let done = false;
    const finish = (err?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const name = data.trim();
      if (!err && name) {
        ok++;
        perNode[name] = (perNode[name] ?? 0) + 1;
      } else {
        errors.push({ at: Date.now(), err: err ?? 'empty answer' });
      }
      resolve();
    };
    const sock = connect({ host: ip, port });
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (data += d));
    sock.on('end', () => finish());
    sock.on('error', (e) => finish((e as NodeJS.ErrnoException).code ?? e.message));
  });
}

async function worker(): Promise<void> {
  while (!stop && remaining > 0) {
    remaining--;
    await flow();
  }
}

await Promise.all(Array.from({ length: concurrency }, () => worker()));
process.stdout.write(`${JSON.stringify({ ok, failed: errors.length, perNode, errors: errors.slice(0, 20), ms: Date.now() - t0 })}\n`);
