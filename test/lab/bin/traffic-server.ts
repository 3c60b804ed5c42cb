// A tiny service behind a VIP on one lab node, as a pod behind kube-proxy
// would be: `traffic-server.ts NODE PORT IP...` listens on IP:PORT for each
// VIP (the VIPs are local addresses on the node's kube-ipvs0, see net.ts)
// and answers every connection with the node's name, then closes. Prints
// "ready" once every socket listens.

import { createServer } from 'node:net';

const [name, portText, ...ips] = process.argv.slice(2);
if (!name || !portText || ips.length === 0) {
  process.stderr.write('usage: traffic-server.ts NODE PORT IP...\n');
  process.exit(2);
}
const port = Number(portText);
let listening = 0;
for (const ip of ips) {
  const server = createServer((sock) => {
    sock.on('error', () => {});
    sock.end(`${name}\n`);
  });
  server.on('error', (e) => {
    process.stderr.write(`listen ${ip}:${port}: ${e.message}\n`);
    process.exit(1);
  });
  server.listen({ host: ip, port, backlog: 1024 }, () => {
    if (++listening === ips.length) process.stdout.write('ready\n');
  });
}
process.on('SIGTERM', () => process.exit(0));
