/**
 * Listening and stopping. Stopping (SIGTERM, SIGINT) refuses new requests with 503, lets
 * in-flight requests finish, then closes Redis and the database cleanly; if that takes longer
 * than the configured timeout, the connections still open are cut, the database is closed (which
 * removes the PGlite lock), and the process exits with code 1.
 */
import type { AddressInfo } from 'node:net';
import { publicUrlOf } from '../config/index.js';
import { refreshPlannerStatistics, startStatisticsRefresh } from '../db/index.js';
import { type RetentionJob, startRetentionJob } from '../customers/index.js';
import { type JobWorker, startJobWorker } from '../jobs/index.js';
import { startLedgerSequencer } from '../ledger/index.js';
import type { HttpApp } from '../platform/http.js';
import { rewrapJobKind } from '../vault/index.js';
import { buildApp } from './app.js';
import type { AppContext } from './context.js';

export interface RunningServer {
  readonly app: HttpApp;
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests, waits for in-flight ones, closes the context. Idempotent. */
  stop(): Promise<void>;
}

export async function startServer(ctx: AppContext): Promise<RunningServer> {
  await refreshPlannerStatistics(ctx.db, ctx.logger);
  // The checkpoint key is published (GET /v1/ledger/public-key) from the first start, before any
  // checkpoint exists, so that witnesses can pin it early.
  await ctx.ledger.signingKey();
  const app = await buildApp(ctx);
  await app.listen({ host: ctx.config.host, port: ctx.config.port });
  const port = (app.server.address() as AddressInfo).port;
  ctx.publicUrl = publicUrlOf(ctx.config, port);
  const worker = startWorker(ctx);
  const retention = startRetention(ctx);
  const statistics = startStatisticsRefresh(ctx.db, ctx.logger, 3_600_000);
  const sequencer = startLedgerSequencer({ db: ctx.db, ledger: ctx.ledger, logger: ctx.logger, pollIntervalMs: ctx.config.ledgerSequenceIntervalMs, witness: ctx.config.ledgerWitness });
  let stopping: Promise<void> | undefined;
  return {
    app,
    port,
    url: publicUrlOf({ ...ctx.config, publicUrl: undefined }, port),
    stop() {
      stopping ??= (async () => {
        try {
          statistics.stop();
          await Promise.all([worker?.stop(), retention?.stop(), sequencer.stop(), app.close()]);
        } finally {
          await ctx.close();
        }
      })();
      return stopping;
    },
  };
}

/** The background job worker of this process, unless `jobPollIntervalMs` is 0. */
function startWorker(ctx: AppContext): JobWorker | undefined {
  if (ctx.config.jobPollIntervalMs === 0) return undefined;
  return startJobWorker({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, pollIntervalMs: ctx.config.jobPollIntervalMs, kinds: [rewrapJobKind(ctx.vault.keyring)] });
}

/** The retention job of this process, unless `retentionIntervalMs` is 0. */
function startRetention(ctx: AppContext): RetentionJob | undefined {
  if (ctx.config.retentionIntervalMs === 0) return undefined;
  return startRetentionJob({ db: ctx.db, vault: ctx.vault, clock: ctx.clock, logger: ctx.logger, intervalMs: ctx.config.retentionIntervalMs });
}

/** Once the shutdown timeout has cut the connections: how long closing the database may take. */
export const FORCED_CLOSE_GRACE_MS = 3_000;

/** Wires SIGTERM and SIGINT to a graceful stop, bounded by `shutdownTimeoutMs`. */
export function stopOnSignals(server: RunningServer, ctx: AppContext): void {
  const onSignal = (signal: NodeJS.Signals) => {
    ctx.logger.info({ signal }, 'shutting down: finishing in-flight requests');
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.exitCode = 1;
      ctx.logger.error({ timeoutMs: ctx.config.shutdownTimeoutMs }, 'shutdown timed out; closing the remaining connections');
      // Whatever holds a connection now (a client trickling a request body, one that stops
      // reading) is cut, so that stop() goes on to close the database. Exiting right here would
      // leave the PGlite lock file behind and the last writes unflushed, at a client's will.
      server.app.server.closeAllConnections();
      setTimeout(() => {
        ctx.logger.error({ graceMs: FORCED_CLOSE_GRACE_MS }, 'the database did not close in time; exiting');
        process.exit(1);
      }, FORCED_CLOSE_GRACE_MS);
    }, ctx.config.shutdownTimeoutMs);
    timer.unref();
    server.stop().then(
      () => {
        ctx.logger.info('stopped');
        ctx.logger.flush?.();
        process.exit(timedOut ? 1 : 0);
      },
      (error: unknown) => {
        ctx.logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
