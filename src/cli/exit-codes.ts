// Exit codes are part of the interface: scripts and systemd read them.
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  badConfig: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Thrown by a command to end with a given exit code after printing its own output. */
export class CommandExit extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}
