/**
 * What an interaction is, and the rules that need no database: its states and the moves between
 * them, who handles interactions, and when the access an interaction anchors ends.
 */
import type { Role } from '../agents/index.js';
import type { InteractionChannel, InteractionDirection, InteractionState } from '../db/schema.js';

export type { InteractionChannel, InteractionDirection, InteractionState };

export const CHANNELS = ['call', 'chat', 'email'] as const satisfies readonly InteractionChannel[];
export const DIRECTIONS = ['inbound', 'outbound'] as const satisfies readonly InteractionDirection[];
export const STATES = ['queued', 'active', 'wrap_up', 'closed'] as const satisfies readonly InteractionState[];

/** The caller's assurance level: 0 none, 1 low, 2 substantial, 3 high (caller verification). */
export type VerificationLevel = 0 | 1 | 2 | 3;

/** A purpose code: why the customer is in contact (`service`, `billing`, `fraud`...). */
export const PURPOSE_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
/** The platform's own id of the call, chat or email: printable ASCII without spaces. */
export const EXTERNAL_REF_PATTERN = /^[!-~]{1,128}$/;

/** Roles that handle customers' interactions. Others (officers, administrators, auditors) do not. */
export const HANDLER_ROLES = ['agent', 'senior_agent', 'supervisor'] as const satisfies readonly Role[];
/** Roles that act on every interaction of their tenant; the other handlers only on their own. */
export const MANAGER_ROLES = ['supervisor'] as const satisfies readonly Role[];

export interface Interaction {
  readonly id: string;
  readonly tenantId: string;
  readonly channel: InteractionChannel;
  readonly direction: InteractionDirection;
  readonly customerId: string | null;
  readonly assignedAgentId: string | null;
  readonly state: InteractionState;
  readonly purpose: string | null;
  readonly externalRef: string | null;
  readonly verificationLevel: VerificationLevel;
  /** Whether its customer link opens the customer's record: made by the platform, or by a supervisor for someone else. */
  readonly customerLinkTrusted: boolean;
  readonly createdAt: Date;
  /** When it became active (null: never, e.g. abandoned in the queue). */
  readonly startedAt: Date | null;
  /** When it entered wrap-up (null: not yet, or closed straight from active). */
  readonly wrapUpAt: Date | null;
  readonly closedAt: Date | null;
  readonly updatedAt: Date;
}

/**
 * The moves of the state machine. Nothing leaves `closed`; nothing goes back to the queue or from
 * wrap-up back to the conversation (a customer who calls again is a new interaction, which gets
 * its own verification).
 */
const TRANSITIONS: { readonly [S in InteractionState]: readonly InteractionState[] } = {
  queued: ['active', 'closed'],
  active: ['wrap_up', 'closed'],
  wrap_up: ['closed'],
  closed: [],
};

export function canTransition(from: InteractionState, to: InteractionState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** States in which the interaction can still be assigned, transferred or linked to a customer. */
export function isRoutable(state: InteractionState): boolean {
  return state === 'queued' || state === 'active';
}

/**
 * Whether an interaction anchors its agent's access to its customer at `now`, and until when.
 * Only an active interaction or one in wrap-up does: while active, the end is not known yet
 * (`endsAt` null: it comes with wrap-up or close); in wrap-up, access lasts `graceMs` after the
 * wrap-up began (the access policy's window, e.g. 10 minutes) and ends earlier if it closes.
 * A queued interaction has no conversation yet, and a closed one is over.
 */
export function accessWindow(interaction: Pick<Interaction, 'state' | 'wrapUpAt'>, graceMs: number, now: Date): { readonly open: true; readonly endsAt: Date | null } | { readonly open: false } {
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw new TypeError('graceMs is a non-negative integer of milliseconds');
  if (interaction.state === 'active') return { open: true, endsAt: null };
  if (interaction.state !== 'wrap_up') return { open: false };
  if (interaction.wrapUpAt === null) throw new TypeError('an interaction in wrap-up has wrapUpAt');
  const endsAt = new Date(interaction.wrapUpAt.getTime() + graceMs);
  return endsAt > now ? { open: true, endsAt } : { open: false };
}
