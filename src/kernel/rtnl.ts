// One short-lived rtnetlink socket per operation: open, ask, close. Every
// operation has a deadline, because a request whose reply is lost (the socket's
// receive buffer overflowed) never settles on its own; an error on the socket
// fails the operation at once. The package's errors become AgentError NETLINK
// here and nowhere else.

import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import { AgentError } from '../errors.ts';

export const DEFAULT_TIMEOUT_MS = 5000;

export async function withRtnl<T>(
  what: string,
  timeoutMs: number,
  fn: (sock: RtNetlinkSocket) => Promise<T>,
): Promise<T> {
  let sock: RtNetlinkSocket;
  try {
    sock = createRtNetlink();
  } catch (e) {
    throw netlinkError(`${what}: cannot open an rtnetlink socket`, e);
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AgentError('NETLINK', `${what}: no reply within ${timeoutMs} ms`)), timeoutMs);
  });
  const failed = new Promise<never>((_, reject) => sock.socket.on('error', reject));
  try {
    return await Promise.race([fn(sock), failed, deadline]);
  } catch (e) {
    throw e instanceof AgentError ? e : netlinkError(what, e);
  } finally {
    clearTimeout(timer);
    sock.socket.close();
  }
}

function netlinkError(what: string, e: unknown): AgentError {
  let reason = String(e);
  if (e instanceof Error) {
    // The package rejects requests with plain `Error("Request rejected: EEXIST")`;
    // socket errors carry `code` (ENOBUFS, ...).
    const rejected = /^Request rejected: (\w+)$/.exec(e.message);
    const code = (e as { code?: unknown }).code;
    reason = rejected ? rejected[1]! : typeof code === 'string' ? `${code} (${e.message})` : e.message;
  }
  return new AgentError('NETLINK', `${what}: ${reason}`, { cause: e });
}
