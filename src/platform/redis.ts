/**
 * Optional Redis connection (shared state across server processes). Absent when `REDIS_URL` is
 * not set; domains then fall back to in-process implementations of the same interfaces.
 */
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  // Until the first connection succeeds, a failure is final (start-up must fail, not hang);
  // afterwards, a lost connection is retried with back-off while readiness reports it.
  let connected = false;
  const redis = new Redis(url, {
    lazyConnect: true,
    // Fail fast instead of queueing commands forever while Redis is down; readiness reports it.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => (connected ? Math.min(attempt * 200, 5_000) : null),
  });
  redis.on('error', (error: Error & { code?: string }) => logger.warn({ err: { message: error.message, code: error.code } }, 'redis connection error'));
  await redis.connect();
  connected = true;
  return redis;
}
