/**
 * `custodia access explain` and `GET /v1/access/explain`: what one agent would get for one field
 * of one customer's record now, and which rule decides. The context is the agent's as the data
 * path would see it (role, grant, caller verification, shift, training); the session lock is
 * per session, so it is taken as unlocked here.
 */
import { currentShift } from '../agents/access-gate.js';
import { loadSecuritySettings } from '../agents/settings.js';
import { AgentErrors } from '../agents/errors.js';
import type { Role } from '../agents/roles.js';
import { loadCustomerRecord } from '../customers/index.js';
import type { Tx } from '../db/index.js';
import { AppError } from '../platform/errors.js';
import { AccessErrors } from './errors.js';
import { findRecordGrant } from './grants.js';
import { type AccessContext, decideFieldAccess, explain } from './policy/index.js';
import { activePolicy } from './policy-store.js';

export interface Explanation {
  readonly decision: 'hidden' | 'masked' | 'revealable';
  readonly ruleId: string;
  readonly policyVersion: number;
  readonly text: string;
}

async function trainingValid(tx: Tx, agentId: string, courses: readonly string[], conductVersion: string | null, now: Date): Promise<boolean> {
  for (const course of courses) {
    const row = await tx
      .selectFrom('agent_training')
      .select((eb) => eb.fn.max('expires_at').as('expires_at'))
      .where('agent_id', '=', agentId)
      .where('course', '=', course)
      .where('completed_at', '<=', now)
      .executeTakeFirst();
    if (row?.expires_at === null || row?.expires_at === undefined || new Date(row.expires_at) <= now) return false;
  }
  if (conductVersion === null) return true;
  const ack = await tx.selectFrom('agent_conduct_acks').select('version').where('agent_id', '=', agentId).where('version', '=', conductVersion).executeTakeFirst();
  return ack !== undefined;
}

export async function explainAccess(tx: Tx, input: { tenantId: string; agentId: string; customerId: string; fieldKey: string; now: Date }): Promise<Explanation> {
  const member = await tx.selectFrom('agent_memberships').select(['role', 'status']).where('agent_id', '=', input.agentId).executeTakeFirst();
  if (member === undefined) throw new AppError(AgentErrors.not_found);
  const settings = await loadSecuritySettings(tx, input.tenantId);
  const record = await loadCustomerRecord(tx, input.tenantId, input.customerId);
  const field = record.fields.find((f) => f.definition.key === input.fieldKey);
  if (field === undefined) throw new AppError(AccessErrors.field_not_found);
  const grant = await findRecordGrant(tx, { agentId: input.agentId, customerId: input.customerId, now: input.now, wrapUpMinutes: settings.access.wrapUpMinutes });
  const shift = await currentShift(tx, input.tenantId, input.agentId, input.now);
  const onShift = shift.allowed && !(shift.reason === 'no_schedule' && settings.requireShiftSchedule);
  const context: AccessContext = {
    role: member.role as Role,
    fieldClass: field.definition.class,
    fieldPurpose: field.definition.purpose,
    accessPurpose: grant?.accessPurpose ?? null,
    interactionState: grant?.interactionState ?? 'none',
    verificationLevel: grant?.verificationLevel ?? 0,
    trainingValid: await trainingValid(tx, input.agentId, settings.requiredCourses, settings.conductVersion, input.now),
    sessionUnlocked: true,
    onShift,
    breakGlass: grant?.kind === 'break_glass',
  };
  const { version, policy } = await activePolicy(tx, input.tenantId);
  const decision = decideFieldAccess(policy, context);
  const preface = [
    `Agent ${input.agentId} (${member.role}${member.status === 'active' ? '' : `, membership ${member.status}`}), customer ${input.customerId}, field '${input.fieldKey}' (${field.definition.class}, purpose ${field.definition.purpose}).`,
    grant === undefined
      ? 'Grant: none (no interaction of theirs with this customer is active or in wrap-up, and no break-glass grant): the record cannot be opened at all.'
      : `Grant: ${grant.kind === 'break_glass' ? `break-glass ${grant.breakGlassId}` : `interaction ${grant.interactionId}`} (${grant.interactionState}, caller verified to level ${grant.verificationLevel}).`,
    'The session lock is per session and is taken as unlocked here; devices and networks are checked by the data-access gate, not by the policy.',
    '',
  ];
  return { decision: decision.decision, ruleId: decision.ruleId, policyVersion: version, text: [...preface, explain(policy, context)].join('\n') };
}
