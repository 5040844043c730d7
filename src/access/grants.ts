/**
 * What entitles an agent to a customer's record right now: an interaction assigned to them and
 * linked to that customer that is active, or in wrap-up for at most the tenant's `wrapUpMinutes`;
 * or an open break-glass grant of theirs for that customer. Nothing else: no interaction, no
 * record. Read in the data request's own transaction, so a grant that ended a moment ago is
 * already gone.
 */
import type { Tx } from '../db/index.js';
import { activeInteractionFor } from '../interactions/index.js';
import type { InteractionState, VerificationLevel } from './policy/index.js';

export interface RecordGrant {
  /** `interaction`: through an interaction; `break_glass`: an emergency grant (maybe with an interaction too). */
  readonly kind: 'interaction' | 'break_glass';
  readonly interactionId: string | null;
  readonly interactionState: InteractionState;
  readonly accessPurpose: string | null;
  readonly verificationLevel: VerificationLevel;
  readonly breakGlassId: string | null;
  /** When the grant ends by itself, if it has a set end (wrap-up window, break-glass expiry); null while the interaction is active. */
  readonly endsAt: Date | null;
}

/**
 * The agent's grant to the customer's record at `now`, or undefined. `interactionId` is the
 * interaction the agent works in (the console knows it): the caller's verification level belongs
 * to that conversation. Without it, the least verified of the agent's open interactions with this
 * customer is used, never the best: a verified chat must not vouch for a simultaneous call from
 * someone else claiming to be the same customer.
 */
export async function findRecordGrant(tx: Tx, input: { agentId: string; customerId: string; interactionId?: string | undefined; now: Date; wrapUpMinutes: number }): Promise<RecordGrant | undefined> {
  const { agentId, customerId, now } = input;
  const anchor = await activeInteractionFor(tx, { agentId, customerId, interactionId: input.interactionId, wrapUpGraceMs: input.wrapUpMinutes * 60_000, now });
  const fromInteraction: RecordGrant | undefined =
    anchor === undefined
      ? undefined
      : {
          kind: 'interaction',
          interactionId: anchor.interaction.id,
          interactionState: anchor.interaction.state === 'wrap_up' ? 'wrap_up' : 'active',
          accessPurpose: anchor.interaction.purpose,
          verificationLevel: anchor.interaction.verificationLevel,
          breakGlassId: null,
          endsAt: anchor.accessEndsAt,
        };
  const glass = await tx
    .selectFrom('access_break_glass')
    .select(['id', 'expires_at'])
    .where('agent_id', '=', agentId)
    .where('customer_id', '=', customerId)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('expires_at', 'desc')
    .limit(1)
    // As with the interaction: an end or review committing meanwhile waits for this request.
    .forShare()
    .executeTakeFirst();
  if (glass === undefined) return fromInteraction;
  return {
    kind: 'break_glass',
    interactionId: fromInteraction?.interactionId ?? null,
    interactionState: fromInteraction?.interactionState ?? 'none',
    accessPurpose: fromInteraction?.accessPurpose ?? null,
    verificationLevel: fromInteraction?.verificationLevel ?? 0,
    breakGlassId: glass.id,
    endsAt: glass.expires_at,
  };
}
