/**
 * Recording one ledger entry: validated, then queued in the caller's transaction, so it commits
 * or rolls back with the change it records. Needs nothing but the transaction, so any domain
 * (the vault included) records without holding the Ledger itself. The sequencer (ledger.ts) later
 * gives it its sequence number and puts it in the tree.
 */
import type { Tx } from '../db/index.js';
import { AppError } from '../platform/errors.js';
import { type LedgerEntryInput, ledgerEntryInput } from './entry.js';
import { LedgerErrors } from './errors.js';

/** Validates and queues `input`. A bad entry fails the caller's transaction, by design. */
export async function recordEntry(tx: Tx, tenantId: string, input: LedgerEntryInput, now: Date): Promise<void> {
  const parsed = ledgerEntryInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // Paths and messages only: never the offending value.
    throw new AppError(LedgerErrors.invalid_entry, { detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` });
  }
  await tx.insertInto('ledger_queue').values({ tenant_id: tenantId, at: now, body: JSON.stringify(parsed.data) }).execute();
}
