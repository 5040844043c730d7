/**
 * Builds the real application context for tests: real database (see database.ts), real config
 * schema, a fixed clock, and a logger whose output the test can read.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/index.js';
import { FixedClock } from '../../src/platform/clock.js';
import { createLogger } from '../../src/platform/logger.js';
import { buildApp } from '../../src/server/app.js';
import { type AppContext, createContext } from '../../src/server/context.js';
import type { HttpApp } from '../../src/platform/http.js';
import { openTestDatabase, type TestDatabase } from './database.js';

export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
    callback();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  readonly app: HttpApp;
  readonly ctx: AppContext;
  readonly clock: FixedClock;
  readonly logs: LogCapture;
  readonly database: TestDatabase;
  close(): Promise<void>;
}

export async function createTestApp(options: { env?: Record<string, string>; clock?: FixedClock } = {}): Promise<TestApp> {
  const database = await openTestDatabase();
  const clock = options.clock ?? new FixedClock('2026-11-23T09:00:00Z');
  const logs = new LogCapture();
  // Keys from the environment: a test must never create a key file in the working directory.
  const keys = { CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEYS: `1:${randomBytes(32).toString('base64')}` };
  const config = loadConfig({ env: { NODE_ENV: 'test', LOG_LEVEL: 'info', ...keys, ...options.env } });
  const ctx = await createContext(config, { db: database.db, clock, logger: createLogger('info', logs) });
  const app = await buildApp(ctx);
  return {
    app,
    ctx,
    clock,
    logs,
    database,
    async close() {
      await app.close();
      await ctx.close();
      await database.destroy();
    },
  };
}
