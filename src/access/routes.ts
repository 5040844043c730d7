/**
 * HTTP surface of least-privilege access: opening a customer record and revealing a field
 * (agents, through an interaction), the tenant's access policy (security officers), explaining a
 * decision, and break-glass with its review.
 */
import { z } from 'zod';
import type { Authenticate, Role } from '../agents/index.js';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import type { BreakGlass, BreakGlassGrant } from './break-glass.js';
import { explainAccess } from './explain.js';
import { REVEAL_REASONS } from './policy/index.js';
import { activePolicy, savePolicy } from './policy-store.js';
import type { RecordAccess } from './records.js';

export interface AccessRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly authenticate: Authenticate;
  readonly records: RecordAccess;
  readonly breakGlass: BreakGlass;
}

const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];
const SERVING: readonly Role[] = ['agent', 'senior_agent', 'supervisor', 'security_officer', 'tenant_admin', 'auditor'];
const POLICY_READERS: readonly Role[] = ['security_officer', 'tenant_admin', 'auditor'];

const fieldValue = z.union([z.string(), z.record(z.string(), z.unknown())]).nullable();
const shownField = z.object({
  key: z.string(),
  label: z.string(),
  type: z.string(),
  class: z.enum(['public', 'internal', 'confidential', 'restricted', 'payment']),
  purpose: z.string(),
  shown: z.enum(['masked', 'revealed']),
  value: fieldValue.describe('Masked, or clear while a reveal lasts; null when the customer has no value.'),
  reveal: z
    .object({ verificationLevel: z.number().int(), reasons: z.array(z.enum(REVEAL_REASONS)), available: z.boolean() })
    .nullable()
    .describe('How this field can be revealed: `available: false` means the caller must be verified to `verificationLevel` first.'),
  revealedUntil: z.iso.datetime().nullable(),
  ruleId: z.string().describe('The policy rule that decided (see GET /v1/access/explain).'),
});
const recordView = z.object({
  customerId: z.uuid(),
  customerNumber: z.string(),
  grant: z.object({ kind: z.enum(['interaction', 'break_glass']), interactionId: z.uuid().nullable(), breakGlassId: z.uuid().nullable(), endsAt: z.iso.datetime().nullable(), verificationLevel: z.number().int() }),
  policyVersion: z.number().int(),
  fields: z.array(shownField),
  confirm: z.array(z.object({ key: z.string(), confirmedAt: z.iso.datetime().nullable() })).describe('Fields to ask the customer to confirm or update.'),
});
const breakGlassView = z.object({
  id: z.uuid(),
  agentId: z.uuid(),
  customerId: z.uuid(),
  justification: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  endedAt: z.iso.datetime().nullable(),
  reviewState: z.enum(['open', 'justified', 'unjustified']),
  reviewedBy: z.uuid().nullable(),
  reviewedAt: z.iso.datetime().nullable(),
});

function breakGlassBody(g: BreakGlassGrant): z.input<typeof breakGlassView> {
  return { ...g, createdAt: g.createdAt.toISOString(), expiresAt: g.expiresAt.toISOString(), endedAt: g.endedAt?.toISOString() ?? null, reviewedAt: g.reviewedAt?.toISOString() ?? null };
}

export function registerAccessRoutes(app: HttpApp, deps: AccessRouteDeps): void {
  const { authenticate, records, breakGlass, db, clock } = deps;
  const customerParams = z.strictObject({ id: z.uuid() });

  app.get(
    '/v1/customers/:id/record',
    {
      schema: {
        tags: ['access'],
        summary: "Open a customer's record (through your interaction)",
        description:
          'Only through an interaction assigned to you, linked to this customer, active (or in wrap-up for the tenant\'s `access.wrapUpMinutes`), or an open break-glass grant of yours. Each field as the access policy decides: hidden fields are left out, the others masked unless you revealed them. Recorded in the ledger.',
        security,
        params: customerParams,
        querystring: z.strictObject({ interactionId: z.uuid().optional().describe('The interaction you work in (recommended: the caller\'s verification belongs to it; without it, your least verified open interaction with this customer counts).') }),
        response: { 200: recordView, ...problemResponses(400, 401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: SERVING });
      const opened = await records.open(s, { customerId: request.params.id, interactionId: request.query.interactionId, ip: request.ip });
      return {
        ...opened,
        grant: { ...opened.grant, endsAt: opened.grant.endsAt?.toISOString() ?? null },
        fields: opened.fields.map((f) => ({ ...f, reveal: f.reveal === null ? null : { ...f.reveal, reasons: [...f.reveal.reasons] }, value: f.value as z.input<typeof fieldValue>, revealedUntil: f.revealedUntil?.toISOString() ?? null })),
        confirm: opened.confirm.map((c) => ({ key: c.key, confirmedAt: c.confirmedAt?.toISOString() ?? null })),
      };
    },
  );

  app.post(
    '/v1/customers/:id/fields/:key/reveal',
    {
      schema: {
        tags: ['access'],
        summary: 'Reveal one field for a few minutes (just in time)',
        description:
          'Needs the policy to make the field revealable now, the caller verified to the level its rule names (raised by the caller\'s current risk: `riskBand` in the refusal), and a reason from the rule\'s list (with at least 10 characters of text for `other`). Lasts the tenant\'s `access.revealMinutes`, never beyond the grant. Card data is never revealable. Recorded in the ledger with the reason.',
        security,
        params: z.strictObject({ id: z.uuid(), key: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/) }),
        body: z.strictObject({ reason: z.enum(REVEAL_REASONS), text: z.string().max(500).optional(), interactionId: z.uuid().optional() }),
        response: { 200: z.object({ value: fieldValue, until: z.iso.datetime() }), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: SERVING });
      const revealed = await records.reveal(s, { customerId: request.params.id, interactionId: request.body.interactionId, fieldKey: request.params.key, reason: request.body.reason, text: request.body.text, ip: request.ip });
      return { value: revealed.value as z.input<typeof fieldValue>, until: revealed.until.toISOString() };
    },
  );

  app.get(
    '/v1/access/policy',
    {
      schema: {
        tags: ['access'],
        summary: "The access policy in force (version 1: Custodia's default)",
        security,
        response: { 200: z.object({ version: z.number().int(), rules: z.array(z.record(z.string(), z.unknown())) }), ...problemResponses(401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: POLICY_READERS, activity: false });
      const { version, policy } = await db.withTenant(s.tenantId, (tx) => activePolicy(tx, s.tenantId));
      return { version, rules: policy.rules.map((r) => ({ ...r }) as Record<string, unknown>) };
    },
  );

  app.put(
    '/v1/access/policy',
    {
      schema: {
        tags: ['access'],
        summary: 'Save a new version of the access policy',
        description:
          'Security officers only (a tenant administrator could otherwise grant themselves customer data). The whole rule list, first match wins; refused with every error and its path when a rule is invalid or can never decide. Every version is kept; the change is recorded in the ledger with its digest.',
        security,
        body: z.strictObject({ rules: z.array(z.unknown()).max(500) }),
        response: { 200: z.object({ version: z.number().int(), warnings: z.array(z.object({ code: z.string(), path: z.string(), message: z.string() })) }), ...problemResponses(400, 401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer'] });
      const saved = await db.withTenant(s.tenantId, (tx) => savePolicy(tx, { tenantId: s.tenantId, rules: request.body.rules, by: s.agentId, now: clock.now() }));
      return { version: saved.version, warnings: saved.warnings.map((w) => ({ code: w.code, path: w.pointer, message: w.message })) };
    },
  );

  app.get(
    '/v1/access/explain',
    {
      schema: {
        tags: ['access'],
        summary: "Explain what an agent would get for one field of one customer's record now",
        description: 'Security officers. Names the rule that decides and why each earlier rule did not match. The same as `custodia access explain`.',
        security,
        querystring: z.strictObject({ agentId: z.uuid(), customerId: z.uuid(), field: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/) }),
        response: { 200: z.object({ decision: z.enum(['hidden', 'masked', 'revealable']), ruleId: z.string(), policyVersion: z.number().int(), text: z.string() }), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer'], activity: false });
      return db.withTenant(s.tenantId, (tx) => explainAccess(tx, { tenantId: s.tenantId, agentId: request.query.agentId, customerId: request.query.customerId, fieldKey: request.query.field, now: clock.now() }));
    },
  );

  app.post(
    '/v1/access/break-glass',
    {
      schema: {
        tags: ['access'],
        summary: "Emergency access to a customer's record without an interaction",
        description:
          'Agents, senior agents, supervisors and security officers. A written justification (20–1000 characters) is mandatory; the grant lasts the minutes asked (at most the tenant\'s `access.breakGlassMaxMinutes`), raises an alert to security officers at once, and waits for a security officer\'s review.',
        security,
        body: z.strictObject({ customerId: z.uuid(), justification: z.string().trim().min(20).max(1000), minutes: z.number().int().min(5).max(240).default(30) }),
        response: { 201: breakGlassView, ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request);
      const grant = await breakGlass.open(s, { customerId: request.body.customerId, justification: request.body.justification, minutes: request.body.minutes, ip: request.ip });
      return reply.code(201).send(breakGlassBody(grant));
    },
  );

  app.post(
    '/v1/access/break-glass/:id/end',
    { schema: { tags: ['access'], summary: 'End your emergency access early', security, params: customerParams, response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 423) } } },
    async (request, reply) => {
      const s = await authenticate(request);
      await breakGlass.end(s, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/access/break-glass',
    {
      schema: {
        tags: ['access'],
        summary: 'Emergency access grants (awaiting review, or all)',
        security,
        querystring: z.strictObject({ state: z.enum(['open', 'all']).default('open') }),
        response: { 200: z.object({ grants: z.array(breakGlassView) }), ...problemResponses(400, 401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: POLICY_READERS, activity: false });
      return { grants: (await breakGlass.list(s, request.query.state)).map(breakGlassBody) };
    },
  );

  app.post(
    '/v1/access/break-glass/:id/review',
    {
      schema: {
        tags: ['access'],
        summary: 'Review an emergency access grant',
        description: 'Security officers; never their own grant. Once. Ends the grant if it is still running.',
        security,
        params: customerParams,
        body: z.strictObject({ outcome: z.enum(['justified', 'unjustified']), note: z.string().max(1000).optional() }),
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 409, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['security_officer'] });
      await breakGlass.review(s, request.params.id, request.body);
      return reply.code(204).send(null);
    },
  );
}
