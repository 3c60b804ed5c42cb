// Where log lines go and how they look. Under systemd, stdout is a stream to
// journald and each line starts with a `<N>` syslog priority so that
// `journalctl -p warning` filters correctly (systemd's SyslogLevelPrefix=).
// On a terminal lines are readable and coloured; elsewhere they are JSON.
// Keys are stable across the code base: op, ip, service, reason, err.

import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { prettyFactory } from 'pino-pretty';

export type { Logger };
export type LogFormat = 'auto' | 'text' | 'json';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LoggerOptions {
  level: LogLevel | 'silent';
  format: LogFormat;
  /** Defaults to process.stdout's file descriptor. */
  fd?: number;
  /** For tests: the environment to read JOURNAL_STREAM from. */
  env?: NodeJS.ProcessEnv;
}

// pino's numeric levels → syslog priorities (RFC 5424: 2 crit, 3 err, 4 warning, 6 info, 7 debug).
export function syslogPriority(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2;
  if (pinoLevel >= 50) return 3;
  if (pinoLevel >= 40) return 4;
  if (pinoLevel >= 30) return 6;
  return 7;
}

// systemd sets JOURNAL_STREAM to "<dev>:<inode>" of the stream it connected;
// it may be inherited by a child whose stdout goes elsewhere, so compare.
export function isJournalStream(fd: number, env: NodeJS.ProcessEnv): boolean {
  const want = env.JOURNAL_STREAM;
  if (!want) return false;
  try {
    const st = fstatSync(fd);
    return `${st.dev}:${st.ino}` === want;
  } catch {
    return false;
  }
}

interface Sink {
  write(line: string): void;
  lastLevel?: number;
  lastObj?: object;
}

export function createLogger(opts: LoggerOptions): Logger {
  const fd = opts.fd ?? 1;
  const env = opts.env ?? process.env;
  const journal = isJournalStream(fd, env);
  const tty = !journal && isTty(fd);
  const format: 'text' | 'json' = opts.format === 'auto' ? (journal || tty ? 'text' : 'json') : opts.format;
  const dest = pino.destination({ fd, sync: true });

  const pretty =
    format === 'text'
      ? prettyFactory({
          colorize: tty,
          singleLine: true,
          // journald stamps every line itself; a terminal wants the time.
          ignore: journal ? 'pid,hostname,time' : 'pid,hostname',
          translateTime: journal ? false : 'SYS:HH:MM:ss.l',
        })
      : undefined;

  const sink: Sink & { [k: symbol]: unknown } = {
    [Symbol.for('pino.metadata')]: true,
    write(line: string) {
      const body = pretty ? pretty(line) : line;
      const prefix = journal ? `<${syslogPriority(sink.lastLevel ?? 30)}>` : '';
      dest.write(prefix + (body.endsWith('\n') ? body : body + '\n'));
    },
  };

  return pino(
    {
      level: opts.level as LevelWithSilent,
      base: undefined,
      timestamp: journal ? false : pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink,
  );
}

function isTty(fd: number): boolean {
  return isatty(fd);
}
