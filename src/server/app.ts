/**
 * Builds the HTTP application (without listening): plugins, security headers, error model,
 * OpenAPI, health, metrics and every domain's routes. Tests call `app.inject()` on it.
 */
import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createAuthenticator, createServiceAuthenticator, registerAgentAdminRoutes, registerApiKeyRoutes, registerAuthRoutes, registerDeviceRoutes, registerInvitationRoutes, registerMembershipRoutes, registerSmsRoutes } from '../agents/index.js';
import { createBreakGlass, createRecordAccess, registerAccessRoutes } from '../access/index.js';
import { registerCustomerRoutes, registerSubjectRightsRoutes } from '../customers/index.js';
import { AppError, ServerErrors } from '../platform/errors.js';
import type { HttpApp } from '../platform/http.js';
import { registerInteractionRoutes } from '../interactions/index.js';
import { registerMessageRoutes } from '../interactions/messages-routes.js';
import { registerRedactionRoutes } from '../redaction/index.js';
import { registerLedgerRoutes } from '../ledger/routes.js';
import { registerTenantRoutes } from '../tenants/index.js';
import { createVerification, registerVerificationRoutes } from '../verification/index.js';
import { VERSION } from '../version.js';
import type { AppContext } from './context.js';
import { registerHealthRoutes } from './health.js';
import { registerMetrics } from './metrics.js';
import { registerPages } from './pages.js';
import { handleClientError, installProblemHandlers, sendProblem } from './problem.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Strict policy for API responses: they are data, never documents to render. */
const API_CSP = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
};

export async function buildApp(ctx: AppContext): Promise<HttpApp> {
  const { config } = ctx;
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Without these a client holds a connection (and, during shutdown, the process) for as long
    // as it trickles bytes: Fastify sets no request timeout and no idle timeout by default.
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionTimeout: config.connectionTimeoutMs,
    http: {
      // Node looks for requests over their timeout every 30 s by default, so a 30 s timeout could
      // take a minute to bite; once a second costs one pass over the open connections.
      connectionsCheckingInterval: Math.min(1_000, config.requestTimeoutMs),
      // Node's headers timeout (60 s) must not exceed the request timeout: when it does, Node
      // swaps the two, and a request whose headers arrived would get 60 s for its body.
      headersTimeout: Math.min(60_000, config.requestTimeoutMs),
    },
    clientErrorHandler: (error, socket) => handleClientError(error, socket, ctx.logger as FastifyBaseLogger),
    // A caller's X-Request-Id is kept when it is safe to log; otherwise a fresh one is made.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Only JSON bodies: anything else is a 415, not a string that fails validation later.
  app.removeContentTypeParser('text/plain');
  installProblemHandlers(app);

  // Registered first so that its headers reach every response, including the shutdown 503.
  await app.register(helmet, {
    global: true,
    hsts: false,
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) {
      reply.header('connection', 'close');
      return sendProblem(reply, new AppError(ServerErrors.shutting_down, { headers: { 'retry-after': '5' } }));
    }
    return undefined;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    // HSTS only means something over TLS (directly or via a trusted proxy's X-Forwarded-Proto).
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=63072000; includeSubDomains');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    // A request that was in flight when shutdown began ends its connection with its response:
    // otherwise the client keeps it alive and the server waits for it until the shutdown timeout.
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Custodia API',
        version: VERSION,
        description:
          'Security layer for customer-contact centers. Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`; see docs/errors.md.',
      },
      components: {
        securitySchemes: {
          platformToken: { type: 'http', scheme: 'bearer', description: 'Platform administrator token (`cpa_...`), issued by `custodia init`.' },
          agentSession: { type: 'apiKey', in: 'cookie', name: '__Host-custodia_session', description: 'Console session cookie (with `x-csrf-token` on state-changing requests).' },
          agentBearer: { type: 'http', scheme: 'bearer', description: 'Agent session token (`cses_...`) from `POST /v1/auth/sign-in` with `kind: bearer`.' },
          apiKey: { type: 'http', scheme: 'bearer', description: 'Service account API key (`cak_...`), from `POST /v1/service-accounts/keys`.' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // BaseLayout drops Swagger UI's top bar, whose logo is an inline <style> the CSP would block.
    uiConfig: { validatorUrl: null, deepLinking: false, layout: 'BaseLayout' },
    staticCSP: true,
    // Same-origin only: no styles or fonts from any https: origin (Swagger UI's default), no
    // validator badge from the internet, no framing, no https upgrade on localhost. `data:` stays
    // for images: Swagger UI's stylesheet draws its icons as data: SVGs.
    transformStaticCSP: (header: string) =>
      header
        .replace(/ https:/g, '')
        .replace("font-src 'self' data:", "font-src 'self'")
        .replace(' validator.swagger.io', '')
        .replace("frame-ancestors 'self'", "frame-ancestors 'none'")
        .replace(/\s*upgrade-insecure-requests;?/, ''),
  });

  registerMetrics(app, { logLevel: config.logLevel });
  registerHealthRoutes(app, ctx);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerTenantRoutes(app, {
    db: ctx.db,
    clock: ctx.clock,
    tenants: ctx.tenants,
    vault: ctx.vault,
    ledger: ctx.ledger,
    invitationUrl: (token) => `${ctx.publicUrl}/invite#${token}`,
    // A suspended tenant's sessions stop at once on every process, not when their cache entries expire.
    onTenantChanged: (tenantId) => ctx.sessions.published({ tenantId, tenant: true }),
  });
  registerInvitationRoutes(app, { db: ctx.db, clock: ctx.clock });
  const authenticate = createAuthenticator(ctx.sessions);
  registerAuthRoutes(app, { db: ctx.db, clock: ctx.clock, auth: ctx.auth, sessions: ctx.sessions, authenticate });
  registerAgentAdminRoutes(app, {
    db: ctx.db,
    clock: ctx.clock,
    sessions: ctx.sessions,
    authenticate,
    invitationTtlHours: config.invitationTtlHours,
    invitationUrl: (token) => `${ctx.publicUrl}/invite#${token}`,
  });
  registerMembershipRoutes(app, { db: ctx.db, clock: ctx.clock, sessions: ctx.sessions, authenticate });
  registerSmsRoutes(app, { clock: ctx.clock, auth: ctx.auth, sessions: ctx.sessions, authenticate });
  registerDeviceRoutes(app, { db: ctx.db, clock: ctx.clock, sessions: ctx.sessions, authenticate, bus: ctx.bus, logger: ctx.logger });
  registerInteractionRoutes(app, { db: ctx.db, clock: ctx.clock, vault: ctx.vault, authenticate, authenticateService: createServiceAuthenticator({ db: ctx.db, clock: ctx.clock }) });
  registerMessageRoutes(app, { db: ctx.db, clock: ctx.clock, vault: ctx.vault, authenticate, authenticateService: createServiceAuthenticator({ db: ctx.db, clock: ctx.clock }) });
  registerRedactionRoutes(app, { db: ctx.db, clock: ctx.clock, vault: ctx.vault, authenticate, authenticateService: createServiceAuthenticator({ db: ctx.db, clock: ctx.clock }) });
  // Customer codes have their own senders (SMPP or HTTP, SMTP, voice hook) and a poller for codes
  // left queued; both stop with the app.
  const verification = createVerification({ config, db: ctx.db, clock: ctx.clock, vault: ctx.vault, logger: ctx.logger, bus: ctx.bus });
  verification.start(config.jobPollIntervalMs);
  app.addHook('onClose', () => verification.close());
  registerAccessRoutes(app, {
    db: ctx.db,
    clock: ctx.clock,
    authenticate,
    records: createRecordAccess({ db: ctx.db, clock: ctx.clock, vault: ctx.vault, revealStepUp: (tx, query) => verification.risk.stepUpFrom(tx, query) }),
    breakGlass: createBreakGlass({ db: ctx.db, clock: ctx.clock, bus: ctx.bus, logger: ctx.logger }),
  });
  registerCustomerRoutes(app, { db: ctx.db, clock: ctx.clock, vault: ctx.vault, defaultPhoneCountry: ctx.config.defaultPhoneCountry, authenticate, authenticateService: createServiceAuthenticator({ db: ctx.db, clock: ctx.clock }) });
  registerSubjectRightsRoutes(app, { db: ctx.db, clock: ctx.clock, vault: ctx.vault, ledger: ctx.ledger, tenants: ctx.tenants, authenticate });
  registerApiKeyRoutes(app, { db: ctx.db, clock: ctx.clock, authenticate, authenticateService: createServiceAuthenticator({ db: ctx.db, clock: ctx.clock }) });
  registerLedgerRoutes(app, { db: ctx.db });
  registerVerificationRoutes(app, {
    db: ctx.db,
    clock: ctx.clock,
    service: verification.service,
    methods: verification.methods,
    authenticate,
    authenticateService: createServiceAuthenticator({ db: ctx.db, clock: ctx.clock }),
    riskAndBiometrics: { vault: ctx.vault, bus: ctx.bus, logger: ctx.logger, risk: verification.risk, biometrics: verification.biometrics },
  });
  registerPages(app);

  await app.ready();
  return app;
}
