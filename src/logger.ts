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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'agora' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
