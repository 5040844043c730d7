/**
 * SQL for biometric consents and enrollments (migration 0015), in a tenant-scoped transaction.
 */
import type { Selectable } from 'kysely';
import type { Tx } from '../../db/index.js';
import type { Modality } from './provider.js';

export interface BiometricConsentsTable {
  id: string;
  tenant_id: string;
  customer_id: string;
  modality: Modality;
  purpose: string;
  text_version: string;
  recorded_by_type: 'agent' | 'service';
  recorded_by: string;
  given_at: Date;
  withdrawn_at: Date | null;
  withdrawn_by: string | null;
}

export interface BiometricEnrollmentsTable {
  id: string;
  tenant_id: string;
  customer_id: string;
  modality: Modality;
  consent_id: string;
  provider: string;
  template: string;
  created_at: Date;
}

export type BiometricTables = {
  biometric_consents: BiometricConsentsTable;
  biometric_enrollments: BiometricEnrollmentsTable;
};

export type ConsentRow = Selectable<BiometricConsentsTable>;
export type EnrollmentRow = Selectable<BiometricEnrollmentsTable>;

export function withBiometricTables(tx: Tx) {
  return tx.withTables<BiometricTables>();
}

export async function insertConsent(tx: Tx, row: ConsentRow): Promise<void> {
  await withBiometricTables(tx).insertInto('biometric_consents').values(row).execute();
}

export async function findConsent(tx: Tx, id: string, lock = false): Promise<ConsentRow | undefined> {
  let query = withBiometricTables(tx).selectFrom('biometric_consents').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function withdrawConsentRow(tx: Tx, id: string, by: string, now: Date): Promise<void> {
  await withBiometricTables(tx).updateTable('biometric_consents').set({ withdrawn_at: now, withdrawn_by: by }).where('id', '=', id).execute();
}

export async function insertEnrollment(tx: Tx, row: EnrollmentRow): Promise<void> {
  await withBiometricTables(tx).insertInto('biometric_enrollments').values(row).execute();
}

export async function findEnrollment(tx: Tx, id: string): Promise<EnrollmentRow | undefined> {
  return withBiometricTables(tx).selectFrom('biometric_enrollments').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findEnrollmentOf(tx: Tx, customerId: string, modality: Modality): Promise<EnrollmentRow | undefined> {
  return withBiometricTables(tx).selectFrom('biometric_enrollments').selectAll().where('customer_id', '=', customerId).where('modality', '=', modality).executeTakeFirst();
}

export async function findEnrollmentsUnder(tx: Tx, consentId: string): Promise<EnrollmentRow[]> {
  return withBiometricTables(tx).selectFrom('biometric_enrollments').selectAll().where('consent_id', '=', consentId).execute();
}

export async function deleteEnrollmentRow(tx: Tx, id: string): Promise<void> {
  await withBiometricTables(tx).deleteFrom('biometric_enrollments').where('id', '=', id).execute();
}

/** Whether the customer has an enrollment of `modality` whose consent stands. */
export async function hasUsableEnrollment(tx: Tx, customerId: string, modality: Modality): Promise<boolean> {
  const row = await withBiometricTables(tx)
    .selectFrom('biometric_enrollments as e')
    .innerJoin('biometric_consents as c', (j) => j.onRef('c.tenant_id', '=', 'e.tenant_id').onRef('c.id', '=', 'e.consent_id'))
    .select('e.id')
    .where('e.customer_id', '=', customerId)
    .where('e.modality', '=', modality)
    .where('c.withdrawn_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}
