// Entry point of the single executable and of `node src/main.ts`.
import { main } from './cli/program.ts';

// Once a command has finished, nothing may keep the process alive: a handle
// left open by a failed start (a socket, a timer) must not turn an exit into
// a hang that systemd has to time out.
const EXIT_GRACE_MS = 2000;

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (e: unknown) => {
    process.stderr.write(`kube-lb-agent: unexpected failure: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
