// Entry point of the single executable and of `node src/main.ts`.
import { main } from './cli/program.ts';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`kube-lb-agent: unexpected failure: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
