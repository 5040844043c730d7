/**
 * Who acts on customer data, and the ledger entries that record it. Entries carry ids, field
 * keys and codes only: never a value, a customer number or a search term.
 */
import type { Tx } from '../db/index.js';
import { ledgerEntryInput } from '../ledger/index.js';
import { recordEntry } from '../ledger/record.js';

export interface CustomerActor {
  /** `platform`: an operator with the database and its keys (the CLI). */
  readonly type: 'agent' | 'service' | 'system' | 'platform';
  /** An agent id, an API key id, or a fixed name such as `cli:customers-import`. */
  readonly id: string;
  /** Recorded in the ledger when it is a well-formed request id. */
  readonly requestId?: string | undefined;
}

/** A ledger detail is at most 200 characters: longer lists of keys are split over several entries. */
const DETAIL_MAX = 200;

/** Space-separated runs of `keys`, each at most {@link DETAIL_MAX} characters. */
export function keyChunks(keys: readonly string[]): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const key of keys) {
    if (current.length > 0 && current.length + 1 + key.length > DETAIL_MAX) {
      chunks.push(current);
      current = '';
    }
    current = current.length === 0 ? key : `${current} ${key}`;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const requestIdSchema = ledgerEntryInput.shape.requestId;

/**
 * Records `action` on `targets` with lists of field keys (`set`, `cleared`, `confirmed`...) as
 * details. A list too long for one detail continues in further entries with the same action and
 * targets, so nothing is cut; `details` go in the first entry only.
 */
export async function recordCustomerEntry(
  tx: Tx,
  tenantId: string,
  input: {
    readonly actor: CustomerActor;
    readonly action: string;
    readonly targets: Readonly<Record<string, string>>;
    readonly lists?: Readonly<Record<string, readonly string[]>>;
    readonly details?: Readonly<Record<string, string | number | boolean>>;
  },
  now: Date,
): Promise<void> {
  const lists = Object.entries(input.lists ?? {}).map(([name, keys]) => [name, keyChunks(keys)] as const);
  const entries = Math.max(1, ...lists.map(([, chunks]) => chunks.length));
  // A caller's X-Request-Id that the ledger would refuse (it looks like a long number, say) is
  // left out rather than failing the change it belongs to.
  const requestId = input.actor.requestId !== undefined && requestIdSchema.safeParse(input.actor.requestId).success ? input.actor.requestId : undefined;
  for (let i = 0; i < entries; i++) {
    const details: Record<string, string | number | boolean> = i === 0 ? { ...input.details } : {};
    for (const [name, chunks] of lists) {
      const chunk = chunks[i];
      if (chunk !== undefined) details[name] = chunk;
    }
    await recordEntry(
      tx,
      tenantId,
      {
        actor: { type: input.actor.type, id: input.actor.id },
        action: input.action,
        targets: { ...input.targets },
        ...(requestId === undefined ? {} : { requestId }),
        details,
      },
      now,
    );
  }
}
