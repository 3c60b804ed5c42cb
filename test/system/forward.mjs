// One guest connection to a host.d server: qemu's guestfwd `cmd:` starts this
// per connection with the guest's socket on stdin and stdout; it relays to
// 127.0.0.1:PORT, passing half-closes both ways, and exits when the server
// side closes so the guest sees EOF.
import { connect } from 'node:net';

const server = connect(Number(process.argv[2]), '127.0.0.1');
process.stdin.pipe(server);
server.on('data', (chunk) => process.stdout.write(chunk));
server.on('close', () => process.stdout.write('', () => process.exit(0)));
server.on('error', () => process.exit(1));
