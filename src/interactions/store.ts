/**
 * SQL for interactions and their events. Callers pass a transaction scoped to the interaction's
 * tenant: row-level security keeps every query here inside that tenant, so a lookup of another
 * tenant's id finds nothing, exactly like an unknown id.
 */
import { type Selectable, sql, type Updateable } from 'kysely';
import type { Tx } from '../db/index.js';
import type { InteractionEventsTable, InteractionsTable } from '../db/schema.js';
import type { Interaction, InteractionChannel, InteractionState, VerificationLevel } from './model.js';

type InteractionRow = Selectable<InteractionsTable>;
export type InteractionEventRow = Omit<Selectable<InteractionEventsTable>, 'seq' | 'tenant_id'>;

function toInteraction(row: InteractionRow): Interaction {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    channel: row.channel,
    direction: row.direction,
    customerId: row.customer_id,
    assignedAgentId: row.assigned_agent_id,
    state: row.state,
    purpose: row.purpose,
    externalRef: row.external_ref,
    // The column's CHECK holds it to 0..3.
    verificationLevel: row.verification_level as VerificationLevel,
    customerLinkTrusted: row.customer_link_trusted,
    createdAt: row.created_at,
    startedAt: row.started_at,
    wrapUpAt: row.wrap_up_at,
    closedAt: row.closed_at,
    updatedAt: row.updated_at,
  };
}

/**
 * `update` locks the row for a change (two changes of one interaction run one after the other,
 * each seeing the other's result); `share` lets readers in but makes a change wait for the
 * reader's transaction.
 */
export type RowLock = 'none' | 'share' | 'update';

export async function findInteraction(tx: Tx, id: string, lock: RowLock = 'none'): Promise<Interaction | undefined> {
  let query = tx.selectFrom('interactions').selectAll().where('id', '=', id);
  if (lock === 'update') query = query.forUpdate();
  if (lock === 'share') query = query.forShare();
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : toInteraction(row);
}

export async function findInteractionByExternalRef(tx: Tx, externalRef: string): Promise<Interaction | undefined> {
  const row = await tx.selectFrom('interactions').selectAll().where('external_ref', '=', externalRef).executeTakeFirst();
  return row === undefined ? undefined : toInteraction(row);
}

/** Inserts an interaction; false when one with the same external reference exists (nothing written). */
export async function insertInteraction(tx: Tx, values: Omit<InteractionRow, 'verification_level' | 'customer_link_trusted'> & { customer_link_trusted: boolean }): Promise<boolean> {
  const result = await tx
    .insertInto('interactions')
    .values(values)
    .onConflict((oc) => oc.columns(['tenant_id', 'external_ref']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function updateInteraction(tx: Tx, id: string, changes: Updateable<InteractionsTable>): Promise<Interaction> {
  const row = await tx.updateTable('interactions').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  return toInteraction(row);
}

export interface InteractionFilter {
  readonly state?: InteractionState | undefined;
  readonly assignedAgentId?: string | undefined;
  /** Continue after this interaction (newest first); an id outside the filter yields nothing. */
  readonly after?: string | undefined;
  readonly limit: number;
}

/** Newest first; `limit + 1` rows at most, so the caller can tell whether there are more. */
export async function listInteractionRows(tx: Tx, filter: InteractionFilter): Promise<Interaction[]> {
  let query = tx.selectFrom('interactions').selectAll();
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  if (filter.assignedAgentId !== undefined) query = query.where('assigned_agent_id', '=', filter.assignedAgentId);
  if (filter.after !== undefined) {
    // The cursor is looked up under the same filter, so that it cannot be used to learn where
    // an interaction the caller may not list sits in time.
    let cursor = tx.selectFrom('interactions').select(['created_at', 'id']).where('id', '=', filter.after);
    if (filter.state !== undefined) cursor = cursor.where('state', '=', filter.state);
    if (filter.assignedAgentId !== undefined) cursor = cursor.where('assigned_agent_id', '=', filter.assignedAgentId);
    const at = await cursor.executeTakeFirst();
    if (at === undefined) return [];
    query = query.where(sql<boolean>`(created_at, id) < (${at.created_at}, ${at.id}::uuid)`);
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return rows.map(toInteraction);
}

/**
 * Open interactions (active or in wrap-up) assigned to `agentId` and linked to `customerId`, or
 * only `interactionId` among them when given; locked in share mode (see {@link RowLock}).
 */
export async function findOpenInteractionsOf(tx: Tx, query: { agentId: string; customerId: string; interactionId?: string | undefined }): Promise<Interaction[]> {
  let q = tx
    .selectFrom('interactions')
    .selectAll()
    .where('assigned_agent_id', '=', query.agentId)
    .where('customer_id', '=', query.customerId)
    // Only a link the platform or a supervisor made opens the record (see the migration).
    .where('customer_link_trusted', '=', true)
    .where('state', 'in', ['active', 'wrap_up']);
  if (query.interactionId !== undefined) q = q.where('id', '=', query.interactionId);
  // An agent has a handful of open interactions at most; the bound is a guard, not a page.
  const rows = await q.orderBy('started_at', 'desc').orderBy('id').limit(100).forShare().execute();
  return rows.map(toInteraction);
}

export async function insertEvent(tx: Tx, tenantId: string, interactionId: string, event: Omit<InteractionEventRow, 'interaction_id'>): Promise<void> {
  await tx
    .insertInto('interaction_events')
    .values({ tenant_id: tenantId, interaction_id: interactionId, ...event })
    .execute();
}

/** The interaction's events in the order they happened, at most `limit`. */
export async function findEvents(tx: Tx, interactionId: string, limit: number): Promise<InteractionEventRow[]> {
  return tx
    .selectFrom('interaction_events')
    .select(['interaction_id', 'kind', 'at', 'actor_type', 'actor_id', 'from_state', 'to_state', 'from_agent_id', 'to_agent_id', 'from_channel', 'to_channel', 'from_customer_id', 'to_customer_id'])
    .where('interaction_id', '=', interactionId)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/** What the interaction was created with (its `create` event). */
export async function findCreation(
  tx: Tx,
  interactionId: string,
): Promise<{ actorType: 'agent' | 'service'; actorId: string; state: InteractionState; channel: InteractionChannel; agentId: string | null; customerId: string | null } | undefined> {
  const row = await tx
    .selectFrom('interaction_events')
    .select(['actor_type', 'actor_id', 'to_state', 'to_channel', 'to_agent_id', 'to_customer_id'])
    .where('interaction_id', '=', interactionId)
    .where('kind', '=', 'create')
    .executeTakeFirst();
  // The events' CHECK gives every `create` event a state and a channel.
  if (row === undefined || row.to_state === null || row.to_channel === null) return undefined;
  return { actorType: row.actor_type, actorId: row.actor_id, state: row.to_state, channel: row.to_channel, agentId: row.to_agent_id, customerId: row.to_customer_id };
}

/**
 * Whether `agentId` may be given interactions here: an active identity with an active membership
 * in a role among `roles`. Reads the agents domain's tables (the tenant sees its members' rows);
 * another tenant's member is not found, like an unknown id.
 */
export async function isAssignableMember(tx: Tx, agentId: string, roles: readonly string[]): Promise<boolean> {
  const row = await tx
    .selectFrom('agent_memberships')
    .innerJoin('agents', 'agents.id', 'agent_memberships.agent_id')
    .select('agent_memberships.agent_id')
    .where('agent_memberships.agent_id', '=', agentId)
    .where('agent_memberships.status', '=', 'active')
    .where('agent_memberships.role', 'in', [...roles])
    .where('agents.status', '=', 'active')
    // A suspension of this member (which locks the membership) waits for this transaction, or
    // this check waits for it and sees the suspension: never an assignment to someone just suspended.
    .forShare('agent_memberships')
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the customer exists in the transaction's tenant. */
export async function customerExists(tx: Tx, customerId: string): Promise<boolean> {
  const row = await tx.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
  return row !== undefined;
}
