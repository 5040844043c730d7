/**
 * Alerts for a tenant's security officers: a row they can list and acknowledge, a ledger entry
 * in the same transaction, and (after commit) an event on the bus for live views.
 */
import type { Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { EventBus } from '../platform/events.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';

export const ALERT_CHANNEL = 'security.alerts';

export type AlertKind =
  | 'agent.login.failures'
  | 'agent.second_factor.failures'
  | 'agent.recovery_code.used'
  | 'agent.session.multiple_faces'
  | 'agent.device.pending'
  | 'agent.device.revoked_used'
  | 'agent.network.pending'
  | 'agent.sms.used'
  | 'access.break_glass'
  | 'verification.lockout';

export interface RaisedAlert {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: AlertKind;
  readonly agentId: string | null;
}

/** Safe details only: counts and codes, never addresses or what was typed. */
export async function raiseAlert(
  tx: Tx,
  input: { tenantId: string; kind: AlertKind; agentId: string | null; details: Record<string, number | string | boolean>; now: Date; /** Ids of what the alert is about (a device...). */ targets?: Record<string, string> },
): Promise<RaisedAlert> {
  const id = newId();
  const targets = input.targets ?? {};
  await tx
    .insertInto('security_alerts')
    .values({ id, tenant_id: input.tenantId, kind: input.kind, agent_id: input.agentId, details: JSON.stringify({ ...input.details, ...targets }), created_at: input.now, acknowledged_at: null, acknowledged_by: null })
    .execute();
  await recordEntry(
    tx,
    input.tenantId,
    { actor: { type: 'system', id: 'security-alerts' }, action: 'security.alert.raise', targets: { ...targets, alert: id, ...(input.agentId === null ? {} : { agent: input.agentId }) }, details: { kind: input.kind, ...input.details } },
    input.now,
  );
  return { id, tenantId: input.tenantId, kind: input.kind, agentId: input.agentId };
}

/**
 * After the alert's transaction committed: tells live views on every process. A bus failure is
 * logged, never thrown: the alert row and its ledger entry are already stored.
 */
export async function announceAlert(bus: EventBus, logger: Logger, alert: { readonly id: string; readonly tenantId: string; readonly kind: string }): Promise<void> {
  await bus.publish(ALERT_CHANNEL, { tenantId: alert.tenantId, id: alert.id, kind: alert.kind }).catch((error: unknown) => logger.error({ err: error }, 'could not publish a security alert'));
}
