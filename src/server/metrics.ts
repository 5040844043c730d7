/**
 * Prometheus metrics at `/metrics`: process metrics and HTTP request durations by route
 * template (never the concrete path, which could carry ids).
 */
import type { LevelWithSilent } from 'pino';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { HttpApp } from '../platform/http.js';
import { probeLogLevel } from './health.js';

export function registerMetrics(app: HttpApp, deps: { logLevel: LevelWithSilent }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'custodia' });
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'custodia_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/metrics', { schema: { hide: true }, logLevel: probeLogLevel(deps.logLevel) }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
