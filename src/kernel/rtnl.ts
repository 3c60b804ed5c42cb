// One short-lived rtnetlink socket per operation through the package's
// high-level API (listing links for `version --verbose`): open, ask, close.
// Every operation has a deadline, because a request whose reply is lost (the
// socket's receive buffer overflowed) never settles on its own; an error on
// the socket fails the operation at once. Errors are mapped in errors.ts.

import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import { NetlinkError, toNetlinkError } from './errors.ts';

export { DEFAULT_TIMEOUT_MS } from './socket.ts';

export async function withRtnl<T>(
  what: string,
  timeoutMs: number,
  fn: (sock: RtNetlinkSocket) => Promise<T>,
): Promise<T> {
  let sock: RtNetlinkSocket;
  try {
    sock = createRtNetlink();
  } catch (e) {
    throw toNetlinkError(`${what}: opening an rtnetlink socket`, e);
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NetlinkError(what, 'ETIMEDOUT', { detail: `no reply within ${timeoutMs} ms` })), timeoutMs);
  });
  // RtNetlinkSocket does not re-emit the raw socket's 'error': listen there.
  const failed = new Promise<never>((_, reject) => sock.socket.on('error', reject));
  try {
    return await Promise.race([fn(sock), failed, deadline]);
  } catch (e) {
    throw toNetlinkError(what, e);
  } finally {
    clearTimeout(timer);
    sock.socket.close();
  }
}
