/**
 * The rules of interactions: who may create, see and change which interaction, the state machine,
 * assignment, transfers and the customer link. Every change is recorded twice in the caller's
 * transaction: as an event of the interaction (its history, for people) and in the ledger (the
 * tamper-evident audit record), so that it commits or rolls back with both.
 *
 * Functions take a transaction scoped to the actor's tenant, so other domains (verification,
 * access) can call them inside their own transactions. Those that take an actor authorize it
 * here, not only in the routes: the same rules hold for every caller. Those that do not
 * ({@link getInteraction}, {@link listInteractionEvents}, {@link activeInteractionFor}) read for
 * a module that makes its own decision.
 */
import { AgentErrors, type ApiKeyScope, type Role, type ServicePrincipal, type Session } from '../agents/index.js';
import type { Tx } from '../db/index.js';
import type { LedgerEntryInput } from '../ledger/entry.js';
import { recordEntry } from '../ledger/record.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { InteractionErrors } from './errors.js';
import {
  accessWindow,
  CHANNELS,
  canTransition,
  DIRECTIONS,
  EXTERNAL_REF_PATTERN,
  HANDLER_ROLES,
  type Interaction,
  type InteractionChannel,
  type InteractionDirection,
  type InteractionState,
  isRoutable,
  MANAGER_ROLES,
  PURPOSE_PATTERN,
  STATES,
} from './model.js';
import {
  customerExists,
  findCreation,
  findEvents,
  findInteraction,
  findInteractionByExternalRef,
  findOpenInteractionsOf,
  type InteractionEventRow,
  insertEvent,
  insertInteraction,
  isAssignableMember,
  listInteractionRows,
  updateInteraction,
} from './store.js';

/** Who acts: a signed-in agent, or a service account (the telephony or chat platform) by its API key. */
export type InteractionActor =
  | { readonly type: 'agent'; readonly tenantId: string; readonly agentId: string; readonly role: Role }
  | { readonly type: 'service'; readonly tenantId: string; readonly keyId: string; readonly scopes: readonly ApiKeyScope[] };

export function actorOfSession(session: Pick<Session, 'tenantId' | 'agentId' | 'role'>): InteractionActor {
  return { type: 'agent', tenantId: session.tenantId, agentId: session.agentId, role: session.role };
}

export function actorOfApiKey(principal: Pick<ServicePrincipal, 'tenantId' | 'keyId' | 'scopes'>): InteractionActor {
  return { type: 'service', tenantId: principal.tenantId, keyId: principal.keyId, scopes: principal.scopes };
}

/** The scope an API key needs for every interaction endpoint, reads included (there is no read scope). */
export const INTERACTIONS_SCOPE: ApiKeyScope = 'interactions:write';

function isManager(actor: InteractionActor): boolean {
  return actor.type === 'agent' && (MANAGER_ROLES as readonly Role[]).includes(actor.role);
}

/** Refuses actors that do not handle interactions at all: deny by default, whatever the route checked. */
function assertHandles(actor: InteractionActor): void {
  if (actor.type === 'agent') {
    if (!(HANDLER_ROLES as readonly Role[]).includes(actor.role)) throw new AppError(AgentErrors.forbidden);
  } else if (!actor.scopes.includes(INTERACTIONS_SCOPE)) {
    throw new AppError(AgentErrors.forbidden, { detail: `This API key lacks the ${INTERACTIONS_SCOPE} scope` });
  }
}

/**
 * Service accounts and supervisors act on every interaction of their tenant; agents only on
 * those assigned to them now (a transfer away ends it).
 */
function mayActOn(actor: InteractionActor, interaction: Interaction): boolean {
  if (actor.type === 'service' || isManager(actor)) return true;
  return interaction.assignedAgentId === actor.agentId;
}

/** The interaction if the actor may act on it, locked for the change; otherwise the one 404. */
async function loadForChange(tx: Tx, actor: InteractionActor, interactionId: string): Promise<Interaction> {
  assertHandles(actor);
  const found = await findInteraction(tx, interactionId, 'update');
  if (found === undefined || !mayActOn(actor, found)) throw new AppError(InteractionErrors.not_found);
  return found;
}

function ledgerActor(actor: InteractionActor): LedgerEntryInput['actor'] {
  return actor.type === 'agent' ? { type: 'agent', id: actor.agentId } : { type: 'service', id: actor.keyId };
}

function eventActor(actor: InteractionActor): Pick<InteractionEventRow, 'actor_type' | 'actor_id'> {
  return actor.type === 'agent' ? { actor_type: 'agent', actor_id: actor.agentId } : { actor_type: 'service', actor_id: actor.keyId };
}

const NO_CHANGES = {
  from_state: null,
  to_state: null,
  from_agent_id: null,
  to_agent_id: null,
  from_channel: null,
  to_channel: null,
  from_customer_id: null,
  to_customer_id: null,
} as const;

async function assertAssignable(tx: Tx, agentId: string): Promise<void> {
  if (!(await isAssignableMember(tx, agentId, HANDLER_ROLES))) throw new AppError(InteractionErrors.invalid_assignee);
}

async function assertCustomer(tx: Tx, customerId: string): Promise<void> {
  if (!(await customerExists(tx, customerId))) throw new AppError(InteractionErrors.customer_not_found);
}

function assertOneOf<T extends string>(value: T, allowed: readonly T[], what: string): void {
  if (!allowed.includes(value)) throw new TypeError(`unknown ${what}`);
}

export interface NewInteraction {
  readonly channel: InteractionChannel;
  readonly direction: InteractionDirection;
  /** `queued` (default: waiting for an agent) or `active` (already answered; needs an agent). */
  readonly state?: 'queued' | 'active' | undefined;
  readonly customerId?: string | null | undefined;
  /**
   * Agents and senior agents create interactions for themselves only (left out, it is them);
   * a supervisor may name any handler (left out, it is them); a service account may leave it out.
   */
  readonly assignedAgentId?: string | null | undefined;
  readonly purpose?: string | null | undefined;
  /**
   * The platform's id (service accounts only): a second creation with it, by the same API key,
   * returns the first interaction (retries).
   */
  readonly externalRef?: string | null | undefined;
}

/**
 * Creates an interaction, or, when `externalRef` names one that exists, returns that one
 * (`created: false`) provided the same API key created it with the same request; otherwise
 * `interactions.external_ref_conflict`. A retry records nothing.
 *
 * @example
 * ```ts
 * const { interaction } = await db.withTenant(tenantId, (tx) =>
 *   createInteraction(tx, { actor: actorOfApiKey(key), input: { channel: 'call', direction: 'inbound', externalRef: 'CA42' }, now }));
 * ```
 */
export async function createInteraction(tx: Tx, args: { actor: InteractionActor; input: NewInteraction; now: Date }): Promise<{ interaction: Interaction; created: boolean }> {
  const { actor, input, now } = args;
  assertHandles(actor);
  assertOneOf(input.channel, CHANNELS, 'channel');
  assertOneOf(input.direction, DIRECTIONS, 'direction');
  const state = input.state ?? 'queued';
  assertOneOf(state, ['queued', 'active'], 'initial state');
  const purpose = input.purpose ?? null;
  if (purpose !== null && !PURPOSE_PATTERN.test(purpose)) throw new TypeError('purpose is a code such as billing');
  const externalRef = input.externalRef ?? null;
  if (externalRef !== null && !EXTERNAL_REF_PATTERN.test(externalRef)) throw new TypeError('externalRef is 1..128 printable ASCII characters without spaces');
  // The reference is the platform's id. Were agents to set it, one could take a reference before
  // the platform uses it, and the platform's creation of that call would then fail.
  if (externalRef !== null && actor.type !== 'service') throw new AppError(AgentErrors.forbidden, { detail: 'Only the platform (an API key) sets externalRef' });
  const customerId = input.customerId ?? null;

  let assignee: string | null;
  if (actor.type === 'service') assignee = input.assignedAgentId ?? null;
  else if (isManager(actor)) assignee = input.assignedAgentId ?? actor.agentId;
  else {
    if (input.assignedAgentId !== undefined && input.assignedAgentId !== null && input.assignedAgentId !== actor.agentId) {
      throw new AppError(AgentErrors.forbidden, { detail: 'Agents create interactions for themselves; a supervisor or the platform assigns them to others' });
    }
    assignee = actor.agentId;
  }

  const wanted = { channel: input.channel, direction: input.direction, state, purpose, customerId, assignee };
  // A retry is answered before anything else is checked: a member suspended since the first
  // attempt must not turn the platform's retry into an error about the assignee.
  if (externalRef !== null) {
    const existing = await findInteractionByExternalRef(tx, externalRef);
    if (existing !== undefined) return { interaction: await sameCreation(tx, actor, existing, wanted), created: false };
  }

  if (state === 'active' && assignee === null) throw new AppError(InteractionErrors.unassigned);
  if (assignee !== null) await assertAssignable(tx, assignee);
  if (customerId !== null) await assertCustomer(tx, customerId);

  const id = newId();
  const inserted = await insertInteraction(tx, {
    id,
    tenant_id: actor.tenantId,
    channel: input.channel,
    direction: input.direction,
    customer_id: customerId,
    assigned_agent_id: assignee,
    state,
    purpose,
    external_ref: externalRef,
    customer_link_trusted: customerId !== null && trustsLink(actor, assignee),
    created_at: now,
    started_at: state === 'active' ? now : null,
    wrap_up_at: null,
    closed_at: null,
    updated_at: now,
  });
  if (!inserted) {
    // A concurrent creation with the same reference committed first (the insert waited for it).
    const existing = externalRef === null ? undefined : await findInteractionByExternalRef(tx, externalRef);
    if (existing === undefined) throw new Error('interaction insert skipped without a conflicting external reference');
    return { interaction: await sameCreation(tx, actor, existing, wanted), created: false };
  }

  await insertEvent(tx, actor.tenantId, id, { kind: 'create', at: now, ...eventActor(actor), ...NO_CHANGES, to_state: state, to_channel: input.channel, to_agent_id: assignee, to_customer_id: customerId });
  await recordEntry(
    tx,
    actor.tenantId,
    {
      actor: ledgerActor(actor),
      action: 'interaction.create',
      targets: { interaction: id, ...(assignee === null ? {} : { agent: assignee }), ...(customerId === null ? {} : { customer: customerId }) },
      ...(purpose === null ? {} : { purpose }),
      details: { channel: input.channel, direction: input.direction, state },
    },
    now,
  );
  const interaction = await findInteraction(tx, id);
  if (interaction === undefined) throw new Error('inserted interaction not found');
  return { interaction, created: true };
}

/**
 * The existing interaction of a repeated external reference, if this is a retry of its creation:
 * same actor, same request. Anything else is a conflict and says nothing more: another client
 * that happens to use the same reference must neither receive this interaction nor learn about it.
 */
async function sameCreation(
  tx: Tx,
  actor: InteractionActor,
  existing: Interaction,
  wanted: { channel: InteractionChannel; direction: InteractionDirection; state: InteractionState; purpose: string | null; customerId: string | null; assignee: string | null },
): Promise<Interaction> {
  const created = mayActOn(actor, existing) ? await findCreation(tx, existing.id) : undefined;
  const same =
    created !== undefined &&
    created.actorType === eventActor(actor).actor_type &&
    created.actorId === eventActor(actor).actor_id &&
    existing.direction === wanted.direction &&
    existing.purpose === wanted.purpose &&
    created.channel === wanted.channel &&
    created.state === wanted.state &&
    created.agentId === wanted.assignee &&
    created.customerId === wanted.customerId;
  if (!same) throw new AppError(InteractionErrors.external_ref_conflict);
  return existing;
}

/**
 * One interaction, for a module that authorizes on its own (no actor, no lock). Another tenant's
 * id is not found (row-level security).
 */
export async function getInteraction(tx: Tx, interactionId: string): Promise<Interaction | undefined> {
  return findInteraction(tx, interactionId);
}

/** One interaction, if `actor` may see it; `interactions.not_found` otherwise (also for ids of other tenants). */
export async function getInteractionFor(tx: Tx, actor: InteractionActor, interactionId: string): Promise<Interaction> {
  assertHandles(actor);
  const found = await findInteraction(tx, interactionId);
  if (found === undefined || !mayActOn(actor, found)) throw new AppError(InteractionErrors.not_found);
  return found;
}

export interface InteractionListQuery {
  readonly state?: InteractionState | undefined;
  /** `me` (agents), an agent id (supervisors and service accounts), or left out: all they may see. */
  readonly assignedTo?: 'me' | string | undefined;
  /** Continue after this interaction id (the previous page's `next`). */
  readonly after?: string | undefined;
  /** 1..200. */
  readonly limit: number;
}

/**
 * Interactions the actor may see, newest first. Agents and senior agents see only those assigned
 * to them (asking for someone else's is refused, not answered with an empty list).
 */
export async function listInteractions(tx: Tx, actor: InteractionActor, query: InteractionListQuery): Promise<{ interactions: Interaction[]; next: string | null }> {
  assertHandles(actor);
  if (!Number.isSafeInteger(query.limit) || query.limit < 1 || query.limit > 200) throw new TypeError('limit is 1..200');
  if (query.state !== undefined) assertOneOf(query.state, STATES, 'state');
  let agentId: string | undefined;
  if (query.assignedTo === 'me') {
    if (actor.type !== 'agent') throw new AppError(AgentErrors.forbidden, { detail: 'assignedTo=me needs an agent session' });
    agentId = actor.agentId;
  } else if (query.assignedTo !== undefined) {
    if (actor.type === 'agent' && !isManager(actor) && query.assignedTo !== actor.agentId) throw new AppError(AgentErrors.forbidden, { detail: "Agents list their own interactions; a supervisor lists others'" });
    agentId = query.assignedTo;
  } else if (actor.type === 'agent' && !isManager(actor)) {
    agentId = actor.agentId;
  }
  const rows = await listInteractionRows(tx, { state: query.state, assignedAgentId: agentId, after: query.after, limit: query.limit });
  const page = rows.slice(0, query.limit);
  return { interactions: page, next: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null };
}

const STATE_TIMES: { readonly [S in InteractionState]?: 'started_at' | 'wrap_up_at' | 'closed_at' } = { active: 'started_at', wrap_up: 'wrap_up_at', closed: 'closed_at' };

/**
 * Moves the interaction to `to` along the state machine (queued -> active -> wrap_up -> closed,
 * queued -> closed when abandoned, active -> closed), setting the time of the new state. Moving
 * to the state it is in changes nothing and records nothing (a retried request). Anything else
 * is `interactions.invalid_transition`; activating an interaction nobody is assigned is
 * `interactions.unassigned`.
 */
export async function transition(tx: Tx, args: { actor: InteractionActor; interactionId: string; to: InteractionState; now: Date }): Promise<Interaction> {
  const { actor, interactionId, to, now } = args;
  assertOneOf(to, STATES, 'state');
  const current = await loadForChange(tx, actor, interactionId);
  if (current.state === to) return current;
  if (!canTransition(current.state, to)) {
    throw new AppError(InteractionErrors.invalid_transition, { detail: `An interaction cannot move from ${current.state} to ${to}`, details: { from: current.state, to } });
  }
  if (to === 'active' && current.assignedAgentId === null) throw new AppError(InteractionErrors.unassigned);
  const stamp = STATE_TIMES[to];
  if (stamp === undefined) throw new Error(`no timestamp for state ${to}`);
  const updated = await updateInteraction(tx, interactionId, { state: to, [stamp]: now, updated_at: now });
  await insertEvent(tx, actor.tenantId, interactionId, { kind: 'state', at: now, ...eventActor(actor), ...NO_CHANGES, from_state: current.state, to_state: to });
  await recordEntry(tx, actor.tenantId, { actor: ledgerActor(actor), action: 'interaction.state', targets: { interaction: interactionId }, details: { from: current.state, to } }, now);
  return updated;
}

/**
 * Assigns the interaction to `agentId` (routing): supervisors and service accounts only, while
 * it is queued or active, to an active member who handles interactions. The previous agent's
 * access through it ends at once. Assigning it to whom it is assigned changes nothing.
 */
export async function assign(tx: Tx, args: { actor: InteractionActor; interactionId: string; agentId: string; now: Date }): Promise<Interaction> {
  const { actor, interactionId, agentId, now } = args;
  assertHandles(actor);
  // Refused before the interaction is looked up: the answer does not depend on which id was sent.
  if (actor.type === 'agent' && !isManager(actor)) throw new AppError(AgentErrors.forbidden, { detail: 'A supervisor or the platform assigns interactions; agents transfer theirs' });
  const current = await loadForChange(tx, actor, interactionId);
  if (!isRoutable(current.state)) throw new AppError(InteractionErrors.not_open, { details: { state: current.state } });
  if (current.assignedAgentId === agentId) return current;
  await assertAssignable(tx, agentId);
  const updated = await updateInteraction(tx, interactionId, { assigned_agent_id: agentId, updated_at: now, ...(takesForSelf(actor, agentId) ? { customer_link_trusted: false } : {}) });
  await insertEvent(tx, actor.tenantId, interactionId, { kind: 'assign', at: now, ...eventActor(actor), ...NO_CHANGES, from_agent_id: current.assignedAgentId, to_agent_id: agentId });
  await recordEntry(
    tx,
    actor.tenantId,
    { actor: ledgerActor(actor), action: 'interaction.assign', targets: { interaction: interactionId, toAgent: agentId, ...(current.assignedAgentId === null ? {} : { fromAgent: current.assignedAgentId }) } },
    now,
  );
  return updated;
}

/**
 * Transfers the interaction to another agent, another channel, or both (a chat escalated to a
 * call), while it is queued or active. The interaction keeps its id, its customer link and its
 * verification level, so the caller is not asked again to prove who they are; its state does not
 * change. The agent it leaves loses access through it at once. A transfer that changes nothing
 * records nothing.
 */
export async function transfer(
  tx: Tx,
  args: { actor: InteractionActor; interactionId: string; toAgentId?: string | undefined; toChannel?: InteractionChannel | undefined; now: Date },
): Promise<Interaction> {
  const { actor, interactionId, toAgentId, toChannel, now } = args;
  if (toAgentId === undefined && toChannel === undefined) throw new TypeError('a transfer names an agent, a channel or both');
  if (toChannel !== undefined) assertOneOf(toChannel, CHANNELS, 'channel');
  const current = await loadForChange(tx, actor, interactionId);
  if (!isRoutable(current.state)) throw new AppError(InteractionErrors.not_open, { details: { state: current.state } });
  const agent = toAgentId ?? current.assignedAgentId;
  const channel = toChannel ?? current.channel;
  if (agent === current.assignedAgentId && channel === current.channel) return current;
  if (agent !== current.assignedAgentId && agent !== null) await assertAssignable(tx, agent);
  const updated = await updateInteraction(tx, interactionId, { assigned_agent_id: agent, channel, updated_at: now, ...(takesForSelf(actor, agent) ? { customer_link_trusted: false } : {}) });
  await insertEvent(tx, actor.tenantId, interactionId, {
    kind: 'transfer',
    at: now,
    ...eventActor(actor),
    ...NO_CHANGES,
    from_agent_id: current.assignedAgentId,
    to_agent_id: agent,
    from_channel: current.channel,
    to_channel: channel,
  });
  const targets: Record<string, string> = { interaction: interactionId };
  if (current.assignedAgentId !== null) targets.fromAgent = current.assignedAgentId;
  if (agent !== null) targets.toAgent = agent;
  await recordEntry(tx, actor.tenantId, { actor: ledgerActor(actor), action: 'interaction.transfer', targets, details: { fromChannel: current.channel, toChannel: channel } }, now);
  return updated;
}

/**
 * Links the interaction to a customer of the same tenant (the caller identified), while it is
 * queued or active: once in wrap-up the customer is gone, and a new link would open a record
 * with nobody on the line. Linking another customer than before resets the verification level
 * to 0: the level was achieved by whoever was linked, and must not vouch for someone else.
 * Linking the customer already linked changes nothing.
 */
/**
 * Whether a customer link made by `actor` for an interaction handled by `assignee` may open the
 * customer's record (src/access/grants.ts): the platform's links, and a supervisor's for someone
 * else. An agent linking a customer to their own interaction would otherwise choose whose record
 * opens; so would a supervisor handling it themselves (they have break-glass, which is loud).
 */
function trustsLink(actor: InteractionActor, assignee: string | null): boolean {
  if (actor.type === 'service') return true;
  return isManager(actor) && assignee !== null && assignee !== actor.agentId;
}

/** An agent (a supervisor) making themselves the handler: the link no longer opens the record for them. */
function takesForSelf(actor: InteractionActor, assignee: string | null): boolean {
  return actor.type === 'agent' && assignee === actor.agentId;
}

export async function linkCustomer(tx: Tx, args: { actor: InteractionActor; interactionId: string; customerId: string; now: Date }): Promise<Interaction> {
  const { actor, interactionId, customerId, now } = args;
  const current = await loadForChange(tx, actor, interactionId);
  if (!isRoutable(current.state)) throw new AppError(InteractionErrors.not_open, { details: { state: current.state } });
  if (current.customerId === customerId) return current;
  await assertCustomer(tx, customerId);
  const verificationReset = current.verificationLevel !== 0;
  const updated = await updateInteraction(tx, interactionId, { customer_id: customerId, verification_level: 0, customer_link_trusted: trustsLink(actor, current.assignedAgentId), updated_at: now });
  await insertEvent(tx, actor.tenantId, interactionId, { kind: 'link_customer', at: now, ...eventActor(actor), ...NO_CHANGES, from_customer_id: current.customerId, to_customer_id: customerId });
  await recordEntry(
    tx,
    actor.tenantId,
    {
      actor: ledgerActor(actor),
      action: 'interaction.link_customer',
      // `customer` puts the link in that customer's access report (src/ledger/access-report.ts).
      targets: { interaction: interactionId, customer: customerId, ...(current.customerId === null ? {} : { previousCustomer: current.customerId }) },
      ...(current.purpose === null ? {} : { purpose: current.purpose }),
      details: { verificationReset },
    },
    now,
  );
  return updated;
}

export interface InteractionEvent {
  readonly kind: 'create' | 'state' | 'assign' | 'transfer' | 'link_customer';
  readonly at: Date;
  readonly actor: { readonly type: 'agent' | 'service'; readonly id: string };
  readonly fromState: InteractionState | null;
  readonly toState: InteractionState | null;
  readonly fromAgentId: string | null;
  readonly toAgentId: string | null;
  readonly fromChannel: InteractionChannel | null;
  readonly toChannel: InteractionChannel | null;
  readonly fromCustomerId: string | null;
  readonly toCustomerId: string | null;
}

/** The interaction's history, oldest first, at most `limit` (default 1000) events. No authorization. */
export async function listInteractionEvents(tx: Tx, interactionId: string, limit = 1_000): Promise<InteractionEvent[]> {
  const rows = await findEvents(tx, interactionId, limit);
  return rows.map((r) => ({
    kind: r.kind,
    at: r.at,
    actor: { type: r.actor_type, id: r.actor_id },
    fromState: r.from_state,
    toState: r.to_state,
    fromAgentId: r.from_agent_id,
    toAgentId: r.to_agent_id,
    fromChannel: r.from_channel,
    toChannel: r.to_channel,
    fromCustomerId: r.from_customer_id,
    toCustomerId: r.to_customer_id,
  }));
}

export interface InteractionAnchorQuery {
  readonly agentId: string;
  readonly customerId: string;
  /**
   * The interaction the agent works in (the console knows it). Pass it whenever there is one:
   * the verification level belongs to one conversation, and without it the weakest qualifying
   * interaction is chosen (see {@link activeInteractionFor}).
   */
  readonly interactionId?: string | undefined;
  /** How long after wrap-up began access lasts (the access policy's window), in milliseconds. */
  readonly wrapUpGraceMs: number;
  readonly now: Date;
}

export interface InteractionAnchor {
  readonly interaction: Interaction;
  /** When the access this interaction anchors ends: null while active (wrap-up or close will end it). */
  readonly accessEndsAt: Date | null;
}

/**
 * The interaction through which `agentId` may open `customerId`'s record now: active, or in
 * wrap-up for less than `wrapUpGraceMs`, assigned to that agent and linked to that customer; or
 * undefined (then the access layer refuses). Closing, transferring away, relinking or reassigning
 * the interaction ends it.
 *
 * The row is read `FOR SHARE`: a close, transfer or relink that races the caller's access
 * decision waits for the caller's transaction to end, so no access is granted and recorded on the
 * strength of an interaction that was already closed when the caller's transaction committed.
 *
 * Without `interactionId`, when several qualify (a chat and a call with the same customer), the
 * one with the lowest verification level is returned (then the latest started): one
 * conversation's verification must never vouch for another, where the caller may be someone else.
 */
export async function activeInteractionFor(tx: Tx, query: InteractionAnchorQuery): Promise<InteractionAnchor | undefined> {
  if (!Number.isSafeInteger(query.wrapUpGraceMs) || query.wrapUpGraceMs < 0) throw new TypeError('wrapUpGraceMs is a non-negative integer of milliseconds');
  const candidates = await findOpenInteractionsOf(tx, query);
  let chosen: InteractionAnchor | undefined;
  for (const interaction of candidates) {
    const window = accessWindow(interaction, query.wrapUpGraceMs, query.now);
    if (!window.open) continue;
    // Candidates arrive latest started first, so a strict comparison keeps the latest on ties.
    if (chosen === undefined || interaction.verificationLevel < chosen.interaction.verificationLevel) chosen = { interaction, accessEndsAt: window.endsAt };
  }
  return chosen;
}
