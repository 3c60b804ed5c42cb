// A pino logger that keeps its lines in memory, for asserting what was logged.

import { pino, type Logger } from 'pino';

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly op?: string;
  readonly reason?: string;
  readonly [k: string]: unknown;
}

export function memoryLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino(
    { level: 'debug', base: undefined, timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  return { log, lines };
}
