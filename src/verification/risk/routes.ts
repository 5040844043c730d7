/**
 * HTTP surface of the risk engine: what an action needs for a session's caller now (agents, the
 * IVR), and the tenant's list of known fraud numbers (security officers). Schemas and handlers
 * only; the rules are in service.ts. No response member can hold a phone number.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authenticate, AuthenticateService } from '../../agents/index.js';
import type { Database } from '../../db/index.js';
import { actorOfApiKey, actorOfSession, HANDLER_ROLES, type InteractionActor } from '../../interactions/index.js';
import type { Clock } from '../../platform/clock.js';
import { type HttpApp, problemResponses } from '../../platform/http.js';
import type { Vault } from '../../vault/index.js';
import { findSessionFor, VERIFICATION_SCOPE } from '../service.js';
import { RISK_BANDS, RISK_SIGNALS } from './score.js';
import { addFraudNumber, listFraudNumberEntries, removeFraudNumber, type RiskEngine } from './service.js';
import { RISK_ACTIONS } from './settings.js';

export interface RiskRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly risk: RiskEngine;
  readonly authenticate: Authenticate;
  readonly authenticateService: AuthenticateService;
}

const TAG = ['verification'];
const level = z.number().int().min(0).max(3);
const FRAUD_REASONS = ['confirmed_fraud', 'suspected_fraud', 'spoofing', 'other'] as const;

const requirementView = z
  .object({
    action: z.enum(RISK_ACTIONS),
    baseLevel: level.describe('What the action needs at low risk (tenant setting).'),
    requiredLevel: level.describe('What it needs now, raised by the risk band (at most 3).'),
    currentLevel: level.describe("The level the interaction's caller has reached."),
    satisfied: z.boolean(),
    risk: z.object({
      score: z.number().int().min(0).max(100),
      band: z.enum(RISK_BANDS),
      signals: z.array(z.object({ signal: z.enum(RISK_SIGNALS), points: z.number().int(), reason: z.string() })),
      explanation: z.string().describe('Plain language: the score, the band and each signal\'s part. Counts only, no personal data.'),
    }),
  })
  .meta({ id: 'VerificationRequirement' });

const fraudView = z.object({ id: z.uuid(), hint: z.string().describe('Last two digits of the number; the number itself is never kept.'), reason: z.enum(FRAUD_REASONS), addedBy: z.uuid(), addedAt: z.iso.datetime() }).meta({ id: 'FraudNumber' });

export function registerRiskRoutes(app: HttpApp, deps: RiskRouteDeps): void {
  const { db, clock, vault, risk, authenticate, authenticateService } = deps;

  async function caller(request: FastifyRequest): Promise<InteractionActor> {
    if (/^Bearer cak_/.test(request.headers.authorization ?? '')) return actorOfApiKey(await authenticateService(request, VERIFICATION_SCOPE));
    return actorOfSession(await authenticate(request, { roles: HANDLER_ROLES, activity: false }));
  }

  app.get(
    '/v1/verifications/:id/requirements',
    {
      schema: {
        tags: TAG,
        summary: 'The level an action needs for this caller now (risk-based step-up)',
        description:
          "The agent handling the interaction (or a supervisor), or an API key with `verification:write`. The action's level (tenant setting) raised by the risk band of the caller now: elevated adds one level, high two (at most 3), with a plain explanation of the score. Each answer is recorded in the ledger (`verification.risk.decision`: score, band, signal names).",
        security: [{ agentSession: [] }, { agentBearer: [] }, { apiKey: [] }],
        params: z.strictObject({ id: z.uuid() }),
        querystring: z.strictObject({ action: z.enum(RISK_ACTIONS) }),
        response: { 200: requirementView, ...problemResponses(400, 401, 403, 404, 409, 423) },
      },
    },
    async (request) => {
      const actor = await caller(request);
      const r = await db.withTenant(actor.tenantId, async (tx) => {
        const { session } = await findSessionFor(tx, actor, request.params.id);
        return risk.requiredLevel(tx, { tenantId: actor.tenantId, interactionId: session.interaction_id, action: request.query.action, now: clock.now(), actor });
      });
      return {
        action: r.action,
        baseLevel: r.baseLevel,
        requiredLevel: r.requiredLevel,
        currentLevel: r.currentLevel,
        satisfied: r.satisfied,
        risk: { score: r.risk.score, band: r.risk.band, signals: r.risk.contributions.map((c) => ({ signal: c.signal, points: c.points, reason: c.reason })), explanation: r.risk.explanation },
      };
    },
  );

  const officer: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];

  app.get(
    '/v1/verification/fraud-numbers',
    { schema: { tags: TAG, summary: 'Known fraud numbers (security officers)', security: officer, response: { 200: z.object({ items: z.array(fraudView) }), ...problemResponses(401, 403, 423) } } },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer'], activity: false });
      const items = await db.withTenant(s.tenantId, (tx) => listFraudNumberEntries(tx));
      return { items: items.map((f) => ({ ...f, addedAt: f.addedAt.toISOString() })) };
    },
  );

  app.post(
    '/v1/verification/fraud-numbers',
    {
      schema: {
        tags: TAG,
        summary: 'List a number as used by fraudsters (security officers)',
        description: 'Only the blind index of the normalized number is kept (and its last two digits, to tell entries apart). A caller calling from it raises the risk of every verification. Recorded in the ledger (`verification.fraud_number.add`).',
        security: officer,
        body: z.strictObject({ number: z.string().min(3).max(32), reason: z.enum(FRAUD_REASONS) }),
        response: { 201: fraudView, ...problemResponses(400, 401, 403, 409, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['security_officer'] });
      const f = await db.withTenant(s.tenantId, (tx) => addFraudNumber(tx, vault, { tenantId: s.tenantId, agentId: s.agentId, number: request.body.number, reason: request.body.reason, now: clock.now() }));
      return reply.code(201).send({ ...f, addedAt: f.addedAt.toISOString() });
    },
  );

  app.delete(
    '/v1/verification/fraud-numbers/:id',
    {
      schema: {
        tags: TAG,
        summary: 'Take a number off the fraud list (security officers)',
        description: 'Recorded in the ledger (`verification.fraud_number.remove`).',
        security: officer,
        params: z.strictObject({ id: z.uuid() }),
        response: { 204: z.null().describe('Removed'), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['security_officer'] });
      await db.withTenant(s.tenantId, (tx) => removeFraudNumber(tx, { tenantId: s.tenantId, agentId: s.agentId, id: request.params.id, now: clock.now() }));
      return reply.code(204).send(null);
    },
  );
}
