/**
 * JSON logs (pino) that cannot carry secrets or personal data by accident: known sensitive keys
 * are censored wherever they appear (up to two levels deep), and requests are logged by method,
 * route and path only: never headers, query strings or bodies.
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line. Extend it when a domain adds a sensitive field. */
export const REDACTED_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'password',
  'passphrase',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'key',
  'keys',
  'otp',
  'pan',
  'cardNumber',
  'cvv',
  'cvc',
  'email',
  'phone',
  'document',
  'fullName',
  'firstName',
  'lastName',
  'address',
  'dateOfBirth',
  'databaseUrl',
  'redisUrl',
  'connectionString',
  'plaintext',
  'value',
] as const;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of REDACTED_KEYS) {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    const dot = k.startsWith('[') ? '' : '.';
    paths.push(k, `*${dot}${k}`, `*.*${dot}${k}`);
  }
  return paths;
}

export interface RequestLike {
  method: string;
  url: string;
  id: string;
  routeOptions?: { url?: string | undefined };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'custodia' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths(), censor: '[redacted]' },
    serializers: {
      req: (req: RequestLike) => ({
        id: req.id,
        method: req.method,
        route: req.routeOptions?.url,
        // Path without the query string: query strings are where tokens end up in practice.
        path: req.url.split('?')[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
