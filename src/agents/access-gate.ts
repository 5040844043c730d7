/**
 * The one check every request for customer data passes before the access policy looks at the
 * field: a complete sign-in (second factor), an unlocked session, inside the agent's shift (or an
 * overtime exception), and valid security training and code-of-conduct acknowledgement. It runs
 * and, when the tenant requires them, an approved device and network. It runs
 * in the data request's own transaction, so what it reads is what the request sees.
 */
import type { Tx } from '../db/index.js';
import { AppError } from '../platform/errors.js';
import { assertDeviceAndNetwork } from './devices.js';
import { AgentErrors } from './errors.js';
import type { Session } from './sessions.js';
import { loadSecuritySettings, type SecuritySettings } from './settings.js';
import { shiftScheduleSchema, shiftStatus, type ShiftStatus } from './shifts.js';

export interface DataAccessVerdict {
  readonly shift: ShiftStatus;
  readonly trainingValidUntil: Date | null;
  /** The tenant's settings as this transaction read them (so callers need not read them again). */
  readonly settings: SecuritySettings;
}

/** `ip`: the client address of the data request (networks are judged per request, not per sign-in). */
export async function assertDataAccess(tx: Tx, session: Session, now: Date, ip: string | undefined): Promise<DataAccessVerdict> {
  if (session.factor === 'password') throw new AppError(AgentErrors.second_factor_required);
  if (session.lockedAt !== null) throw new AppError(AgentErrors.session_locked, { details: { reason: session.lockReason } });
  const settings = await loadSecuritySettings(tx, session.tenantId);
  await assertDeviceAndNetwork(tx, session, settings, ip);

  const shift = await currentShift(tx, session.tenantId, session.agentId, now);
  if (shift.reason === 'no_schedule' && settings.requireShiftSchedule) {
    throw new AppError(AgentErrors.off_shift, { detail: 'No shift schedule is set for you; a supervisor must set one.' });
  }
  if (!shift.allowed) throw new AppError(AgentErrors.off_shift, { details: { reason: shift.reason, until: shift.until?.toISOString() ?? null } });

  let validUntil: Date | null = null;
  for (const course of settings.requiredCourses) {
    const row = await tx
      .selectFrom('agent_training')
      .select((eb) => eb.fn.max('expires_at').as('expires_at'))
      .where('agent_id', '=', session.agentId)
      .where('course', '=', course)
      .where('completed_at', '<=', now)
      .executeTakeFirst();
    const expires = row?.expires_at === null || row?.expires_at === undefined ? null : new Date(row.expires_at);
    if (expires === null || expires <= now) throw new AppError(AgentErrors.training_required, { details: { course } });
    if (validUntil === null || expires < validUntil) validUntil = expires;
  }
  if (settings.conductVersion !== null) {
    const ack = await tx.selectFrom('agent_conduct_acks').select('version').where('agent_id', '=', session.agentId).where('version', '=', settings.conductVersion).executeTakeFirst();
    if (ack === undefined) throw new AppError(AgentErrors.training_required, { details: { conductVersion: settings.conductVersion } });
  }
  return { shift, trainingValidUntil: validUntil, settings };
}

/** The agent's shift status now (schedule and overtime exceptions as stored). */
export async function currentShift(tx: Tx, tenantId: string, agentId: string, now: Date): Promise<ShiftStatus> {
  const row = await tx.selectFrom('agent_shifts').select('schedule').where('tenant_id', '=', tenantId).where('agent_id', '=', agentId).executeTakeFirst();
  // A stored schedule that no longer validates binds as "no shift at all": refusing is the safe side.
  const parsed = row === undefined ? null : shiftScheduleSchema.safeParse(row.schedule);
  const schedule = parsed === null ? null : parsed.success ? parsed.data : { timeZone: 'UTC', weekly: {} };
  const exceptions = await tx
    .selectFrom('agent_shift_exceptions')
    .select(['starts_at', 'ends_at'])
    .where('agent_id', '=', agentId)
    .where('ends_at', '>', now)
    .orderBy('starts_at')
    .limit(50)
    .execute();
  return shiftStatus(schedule as Parameters<typeof shiftStatus>[0], exceptions.map((e) => ({ from: e.starts_at, until: e.ends_at, kind: 'overtime' as const })), now);
}
