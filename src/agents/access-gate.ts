/**
 * The one check every request for customer data passes before the access policy looks at the
 * field: a complete sign-in (second factor), an unlocked session, inside the agent's shift (or an
 * overtime exception), valid security training and code-of-conduct acknowledgement, and, when the
 * tenant requires them, an approved device and network. It runs in the data request's own
 * transaction, so what it reads is what the request sees.
 */
import { sql } from 'kysely';
import { jsonColumn, type Tx } from '../db/index.js';
import { AppError } from '../platform/errors.js';
import { assertDeviceAndNetwork } from './devices.js';
import { AgentErrors } from './errors.js';
import type { Session } from './sessions.js';
import { parseSecuritySettings, type SecuritySettings } from './settings.js';
import { shiftScheduleSchema, shiftStatus, type ShiftStatus } from './shifts.js';

export interface DataAccessVerdict {
  readonly shift: ShiftStatus;
  readonly trainingValidUntil: Date | null;
  /** The tenant's settings as this transaction read them (so callers need not read them again). */
  readonly settings: SecuritySettings;
}

interface StandingRow {
  settings: Record<string, unknown> | null;
  schedule: Record<string, unknown> | null;
  exceptions: string | readonly { from: string; until: string }[];
  training: string | Record<string, string | null>;
  conduct_acks: string | readonly string[];
}

/**
 * What the gate reads, in one statement, because every request for customer data pays for it:
 * the tenant's settings, the agent's schedule and coming overtime exceptions, the latest expiry
 * of each course the agent completed, and the code-of-conduct versions they acknowledged.
 */
async function readStanding(tx: Tx, tenantId: string, agentId: string, now: Date): Promise<StandingRow> {
  const result = await sql<StandingRow>`
    SELECT
      (SELECT settings FROM tenant_security_settings WHERE tenant_id = ${tenantId}) AS settings,
      (SELECT schedule FROM agent_shifts WHERE tenant_id = ${tenantId} AND agent_id = ${agentId}) AS schedule,
      (
        SELECT coalesce(json_agg(json_build_object('from', e.starts_at, 'until', e.ends_at) ORDER BY e.starts_at), '[]'::json)
        FROM (
          SELECT starts_at, ends_at FROM agent_shift_exceptions
          WHERE tenant_id = ${tenantId} AND agent_id = ${agentId} AND ends_at > ${now}
          ORDER BY starts_at LIMIT ${MAX_EXCEPTIONS}
        ) e
      ) AS exceptions,
      (
        SELECT coalesce(json_object_agg(t.course, t.expires_at), '{}'::json)
        FROM (
          SELECT course, max(expires_at) AS expires_at FROM agent_training
          WHERE tenant_id = ${tenantId} AND agent_id = ${agentId} AND completed_at <= ${now}
          GROUP BY course
        ) t
      ) AS training,
      (SELECT coalesce(json_agg(version), '[]'::json) FROM agent_conduct_acks WHERE tenant_id = ${tenantId} AND agent_id = ${agentId}) AS conduct_acks
  `.execute(tx);
  return result.rows[0] as StandingRow;
}

const MAX_EXCEPTIONS = 50;

/** `ip`: the client address of the data request (networks are judged per request, not per sign-in). */
export async function assertDataAccess(tx: Tx, session: Session, now: Date, ip: string | undefined): Promise<DataAccessVerdict> {
  if (session.factor === 'password') throw new AppError(AgentErrors.second_factor_required);
  if (session.lockedAt !== null) throw new AppError(AgentErrors.session_locked, { details: { reason: session.lockReason } });
  const standing = await readStanding(tx, session.tenantId, session.agentId, now);
  const settings = parseSecuritySettings(standing.settings);
  await assertDeviceAndNetwork(tx, session, settings, ip);

  const shift = shiftFrom(standing.schedule, jsonColumn(standing.exceptions).map((e) => ({ starts_at: new Date(e.from), ends_at: new Date(e.until) })), now);
  if (shift.reason === 'no_schedule' && settings.requireShiftSchedule) {
    throw new AppError(AgentErrors.off_shift, { detail: 'No shift schedule is set for you; a supervisor must set one.' });
  }
  if (!shift.allowed) throw new AppError(AgentErrors.off_shift, { details: { reason: shift.reason, until: shift.until?.toISOString() ?? null } });

  const training = jsonColumn(standing.training);
  let validUntil: Date | null = null;
  for (const course of settings.requiredCourses) {
    const at = Object.hasOwn(training, course) ? training[course] : null;
    const expires = at === null || at === undefined ? null : new Date(at);
    if (expires === null || expires <= now) throw new AppError(AgentErrors.training_required, { details: { course } });
    if (validUntil === null || expires < validUntil) validUntil = expires;
  }
  if (settings.conductVersion !== null && !jsonColumn(standing.conduct_acks).includes(settings.conductVersion)) {
    throw new AppError(AgentErrors.training_required, { details: { conductVersion: settings.conductVersion } });
  }
  return { shift, trainingValidUntil: validUntil, settings };
}

/** The shift status from a stored schedule (null: none) and the coming overtime exceptions. */
function shiftFrom(stored: Record<string, unknown> | null, exceptions: readonly { starts_at: Date; ends_at: Date }[], now: Date): ShiftStatus {
  // A stored schedule that no longer validates binds as "no shift at all": refusing is the safe side.
  const parsed = stored === null ? null : shiftScheduleSchema.safeParse(stored);
  const schedule = parsed === null ? null : parsed.success ? parsed.data : { timeZone: 'UTC', weekly: {} };
  return shiftStatus(schedule as Parameters<typeof shiftStatus>[0], exceptions.map((e) => ({ from: e.starts_at, until: e.ends_at, kind: 'overtime' as const })), now);
}

/** The agent's shift status now (schedule and overtime exceptions as stored). */
export async function currentShift(tx: Tx, tenantId: string, agentId: string, now: Date): Promise<ShiftStatus> {
  const row = await tx.selectFrom('agent_shifts').select('schedule').where('tenant_id', '=', tenantId).where('agent_id', '=', agentId).executeTakeFirst();
  const exceptions = await tx
    .selectFrom('agent_shift_exceptions')
    .select(['starts_at', 'ends_at'])
    .where('agent_id', '=', agentId)
    .where('ends_at', '>', now)
    .orderBy('starts_at')
    .limit(MAX_EXCEPTIONS)
    .execute();
  return shiftFrom(row?.schedule ?? null, exceptions, now);
}
