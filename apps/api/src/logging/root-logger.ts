import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import type { AppConfig } from '@lib/platform';

/** LOG_LEVEL keeps Nest's names; `log` is pino's `info`. */
const PINO_LEVELS: Record<AppConfig['logLevel'], Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug' };

/**
 * Whatever a log line carries, these never reach the output: credentials travel in these
 * fields, and a log is read by more people than the API is.
 */
const REDACTED = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'token',
  '*.token',
];

/**
 * The process's one logger: JSON lines (one object per line, ISO time, level by name), or a
 * human-readable rendering when a terminal is attached. `destination` replaces standard output
 * (the tests read the lines).
 */
export const createRootLogger = (level: AppConfig['logLevel'], destination?: DestinationStream): Logger =>
  pino(
    {
      level: PINO_LEVELS[level],
      base: { service: 'conversation-work-items', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED, censor: '[redacted]' },
    },
    destination ?? (process.stdout.isTTY ? pino.transport({ target: 'pino-pretty', options: { colorize: true } }) : pino.destination(1)),
  );
