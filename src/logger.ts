import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';

// Paths whose values are secrets wherever they appear in a log object.
const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'request.headers.authorization',
  'req.headers.authorization',
  'connectionParams.authorization',
  'token',
  'apiKey',
  'password',
  'secret',
  'encryptionKey',
  'databaseUrl',
  '*.token',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.authorization',
];

export type { Logger };

export interface LoggerOptions {
  /**
   * Human-readable lines (pino-pretty, in a worker thread) instead of JSON, when the logger writes to
   * stdout and stdout is a terminal (config.logPretty says whether it is wanted at all).
   */
  pretty?: boolean;
}

const require = createRequire(import.meta.url);

/** pino-pretty's entry file, or null when it cannot be found: then the logs stay JSON. */
function prettyTarget(): string | null {
  try {
    return require.resolve('pino-pretty');
  } catch {
    return null;
  }
}

/**
 * stdout written asynchronously (pino's SonicBoom, sync: false): a request's log line costs no write
 * syscall on its path. What is still buffered when the process exits is written out by the exit hook.
 */
function stdoutAsync(): pino.DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false });
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // A stdout that is gone (a closed pipe) has nobody left to read the last lines.
    }
  });
  return destination;
}

export function createLogger(level: string, destination?: pino.DestinationStream, options: LoggerOptions = {}): Logger {
  const settings: pino.LoggerOptions = {
    level,
    base: { service: 'agora' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // Redaction happens before either format: pretty lines hide the same values JSON lines do.
  const target = destination === undefined && options.pretty === true && process.stdout.isTTY === true ? prettyTarget() : null;
  if (target === null) return pino(settings, destination ?? stdoutAsync());
  return pino(
    settings,
    pino.transport({
      target,
      // One line per entry, its fields after the message; colours unless NO_COLOR is set.
      options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', singleLine: true },
    }),
  );
}
