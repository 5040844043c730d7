/**
 * Biometric verification: consent, enrollment, verification and deletion, each with its ledger
 * entry in the caller's transaction.
 *
 * - Nothing is enrolled without the customer's explicit consent on record (who recorded it, when,
 *   for what purpose, under which version of the consent text), and a withdrawn consent deletes
 *   the enrollments made under it.
 * - A template is kept only as vault ciphertext under a data key of its own, so deleting the
 *   enrollment destroys the key (crypto-shredding): copies of the row in backups or replicas stop
 *   opening.
 * - Verification reports pass or fail through `reportMethodResult` (methods `biometric_face`,
 *   `biometric_voice`); the level comes from levels.ts. The score stays in this module.
 */
import type { RaisedAlert } from '../../agents/alerts.js';
import type { Tx } from '../../db/index.js';
import type { InteractionActor } from '../../interactions/index.js';
import type { LedgerEntryInput } from '../../ledger/entry.js';
import { recordEntry } from '../../ledger/record.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Vault } from '../../vault/index.js';
import { VerificationErrors } from '../errors.js';
import type { MethodId } from '../levels.js';
import type { MethodProvider, MethodRegistry } from '../registry.js';
import { findInteractionFor, findSessionFor, reportMethodResult, type VerificationStatus } from '../service.js';
import type { BiometricProvider, BiometricSample, ConsentRecord, Modality } from './provider.js';
import {
  type ConsentRow,
  deleteEnrollmentRow,
  type EnrollmentRow,
  findConsent,
  findEnrollment,
  findEnrollmentOf,
  findEnrollmentsUnder,
  hasUsableEnrollment,
  insertConsent,
  insertEnrollment,
  withdrawConsentRow,
} from './store.js';

export const BIOMETRIC_METHOD: { readonly [M in Modality]: MethodId } = { face: 'biometric_face', voice: 'biometric_voice' };

const OWNER_TABLE = 'biometric_enrollments';

export interface BiometricDeps {
  readonly vault: Vault;
  readonly provider: BiometricProvider;
  readonly registry: MethodRegistry;
}

export interface Consent {
  readonly id: string;
  readonly customerId: string;
  readonly modality: Modality;
  readonly purpose: string;
  readonly textVersion: string;
  readonly givenAt: Date;
  readonly withdrawnAt: Date | null;
}

export interface Enrollment {
  readonly id: string;
  readonly customerId: string;
  readonly modality: Modality;
  readonly consentId: string;
  readonly provider: string;
  readonly createdAt: Date;
}

function consentView(row: ConsentRow): Consent {
  return { id: row.id, customerId: row.customer_id, modality: row.modality, purpose: row.purpose, textVersion: row.text_version, givenAt: row.given_at, withdrawnAt: row.withdrawn_at };
}

function enrollmentView(row: EnrollmentRow): Enrollment {
  return { id: row.id, customerId: row.customer_id, modality: row.modality, consentId: row.consent_id, provider: row.provider, createdAt: row.created_at };
}

function ledgerActor(actor: InteractionActor): LedgerEntryInput['actor'] {
  return actor.type === 'agent' ? { type: 'agent', id: actor.agentId } : { type: 'service', id: actor.keyId };
}

const actorId = (actor: InteractionActor) => (actor.type === 'agent' ? actor.agentId : actor.keyId);

/** The customer of an interaction the actor may verify the caller of, while it is under way. */
async function customerOf(tx: Tx, actor: InteractionActor, interactionId: string): Promise<{ customerId: string; interactionId: string }> {
  const interaction = await findInteractionFor(tx, actor, interactionId);
  if ((interaction.state !== 'queued' && interaction.state !== 'active') || interaction.customerId === null) throw new AppError(VerificationErrors.interaction_not_ready);
  return { customerId: interaction.customerId, interactionId: interaction.id };
}

/** Deletes an enrollment and shreds its data key: the template cannot be decrypted any more. */
async function shredEnrollment(tx: Tx, vault: Vault, row: EnrollmentRow): Promise<boolean> {
  await deleteEnrollmentRow(tx, row.id);
  const shredded = await vault.shred(tx, row.tenant_id, { table: OWNER_TABLE, id: row.id });
  return shredded.dataKey;
}

/** Registry entries: a biometric method is available when the customer has a usable enrollment. */
export function biometricMethodProviders(): MethodProvider[] {
  return (['face', 'voice'] as const).map((modality) => ({
    id: BIOMETRIC_METHOD[modality],
    available: (tx: Tx, query: { tenantId: string; customerId: string }) => hasUsableEnrollment(tx, query.customerId, modality),
  }));
}

export function createBiometricService(deps: BiometricDeps) {
  const { vault, provider } = deps;

  return {
    /**
     * Records the customer's explicit consent to enroll `modality`, as read to them in the
     * consent text `textVersion`, for `purpose`, on an interaction the actor handles.
     */
    async recordConsent(tx: Tx, args: { actor: InteractionActor; interactionId: string; modality: Modality; purpose: string; textVersion: string; now: Date }): Promise<Consent> {
      const { customerId, interactionId } = await customerOf(tx, args.actor, args.interactionId);
      const row: ConsentRow = {
        id: newId(),
        tenant_id: args.actor.tenantId,
        customer_id: customerId,
        modality: args.modality,
        purpose: args.purpose,
        text_version: args.textVersion,
        recorded_by_type: args.actor.type,
        recorded_by: actorId(args.actor),
        given_at: args.now,
        withdrawn_at: null,
        withdrawn_by: null,
      };
      await insertConsent(tx, row);
      await recordEntry(
        tx,
        row.tenant_id,
        { actor: ledgerActor(args.actor), action: 'verification.biometric.consent', targets: { consent: row.id, customer: customerId, interaction: interactionId }, purpose: args.purpose, details: { modality: args.modality, textVersion: args.textVersion } },
        args.now,
      );
      return consentView(row);
    },

    /**
     * Withdraws a consent of the interaction's customer and deletes (crypto-shreds) every
     * enrollment made under it. Another customer's consent, or another tenant's, is not found.
     */
    async withdrawConsent(tx: Tx, args: { actor: InteractionActor; interactionId: string; consentId: string; now: Date }): Promise<{ consent: Consent; enrollmentsDeleted: number }> {
      const { customerId, interactionId } = await customerOf(tx, args.actor, args.interactionId);
      const consent = await findConsent(tx, args.consentId, true);
      if (consent === undefined || consent.customer_id !== customerId) throw new AppError(VerificationErrors.biometric_not_found);
      let deleted = 0;
      if (consent.withdrawn_at === null) {
        await withdrawConsentRow(tx, consent.id, actorId(args.actor), args.now);
        for (const enrollment of await findEnrollmentsUnder(tx, consent.id)) {
          await shredEnrollment(tx, vault, enrollment);
          deleted += 1;
        }
        await recordEntry(
          tx,
          consent.tenant_id,
          { actor: ledgerActor(args.actor), action: 'verification.biometric.consent_withdraw', targets: { consent: consent.id, customer: customerId, interaction: interactionId }, details: { modality: consent.modality, enrollmentsDeleted: deleted } },
          args.now,
        );
      }
      return { consent: consentView({ ...consent, withdrawn_at: consent.withdrawn_at ?? args.now }), enrollmentsDeleted: deleted };
    },

    /**
     * Enrolls the interaction's customer from `sample` under the consent `consentId`, which must
     * be theirs, for the sample's modality and not withdrawn (otherwise, an unknown id and another
     * tenant's included: `verification.biometric_consent_required`). A previous enrollment of the
     * modality is replaced, its key shredded.
     */
    async enroll(tx: Tx, args: { actor: InteractionActor; interactionId: string; consentId: string; sample: BiometricSample; now: Date }): Promise<Enrollment> {
      const { customerId, interactionId } = await customerOf(tx, args.actor, args.interactionId);
      const modality = args.sample.modality;
      if (!provider.supports(modality)) throw new AppError(VerificationErrors.method_unavailable, { details: { method: BIOMETRIC_METHOD[modality] } });
      const consent = await findConsent(tx, args.consentId, true);
      if (consent === undefined || consent.customer_id !== customerId || consent.modality !== modality || consent.withdrawn_at !== null) throw new AppError(VerificationErrors.biometric_consent_required, { details: { modality } });
      const record: ConsentRecord = { id: consent.id, customerId, modality, purpose: consent.purpose, textVersion: consent.text_version, givenAt: consent.given_at };
      const { template } = await provider.enroll(record, args.sample);
      const previous = await findEnrollmentOf(tx, customerId, modality);
      if (previous !== undefined) await shredEnrollment(tx, vault, previous);
      const id = newId();
      const sealed = await vault.encryptField(tx, args.actor.tenantId, { table: OWNER_TABLE, id }, { table: OWNER_TABLE, recordId: id, field: 'template' }, Buffer.from(template).toString('base64'));
      const row: EnrollmentRow = { id, tenant_id: args.actor.tenantId, customer_id: customerId, modality, consent_id: consent.id, provider: provider.id, template: sealed, created_at: args.now };
      await insertEnrollment(tx, row);
      await recordEntry(
        tx,
        row.tenant_id,
        {
          actor: ledgerActor(args.actor),
          action: 'verification.biometric.enroll',
          targets: { enrollment: id, customer: customerId, consent: consent.id, interaction: interactionId },
          details: { modality, provider: provider.id, replaced: previous !== undefined },
        },
        args.now,
      );
      return enrollmentView(row);
    },

    /** Deletes an enrollment (a security officer, for a data-subject request): crypto-shredded. */
    async deleteEnrollment(tx: Tx, args: { tenantId: string; agentId: string; enrollmentId: string; now: Date }): Promise<{ dataKeyShredded: boolean }> {
      const row = await findEnrollment(tx, args.enrollmentId);
      if (row === undefined) throw new AppError(VerificationErrors.biometric_not_found);
      const dataKeyShredded = await shredEnrollment(tx, vault, row);
      await recordEntry(
        tx,
        args.tenantId,
        { actor: { type: 'agent', id: args.agentId }, action: 'verification.biometric.delete', targets: { enrollment: row.id, customer: row.customer_id }, details: { modality: row.modality, dataKeyShredded } },
        args.now,
      );
      return { dataKeyShredded };
    },

    /**
     * Verifies the session's caller against the customer's enrollment and reports the result
     * (pass or fail, counted toward lockout like any method). The caller publishes the alert.
     */
    async verify(tx: Tx, args: { actor: InteractionActor; sessionId: string; sample: BiometricSample; now: Date }): Promise<{ passed: boolean; status: VerificationStatus; alert?: RaisedAlert }> {
      const { session } = await findSessionFor(tx, args.actor, args.sessionId);
      const modality = args.sample.modality;
      const enrollment = await findEnrollmentOf(tx, session.customer_id, modality);
      if (enrollment === undefined || !(await hasUsableEnrollment(tx, session.customer_id, modality))) throw new AppError(VerificationErrors.biometric_not_enrolled, { details: { modality } });
      if (enrollment.provider !== provider.id) throw new AppError(VerificationErrors.biometric_not_enrolled, { detail: 'The enrollment was made by another engine: enroll again', details: { modality } });
      const encoded = await vault.decryptField(tx, session.tenant_id, { table: OWNER_TABLE, recordId: enrollment.id, field: 'template' }, enrollment.template);
      const match = await provider.verify(Buffer.from(encoded, 'base64'), args.sample);
      const outcome = await reportMethodResult(tx, { actor: args.actor, sessionId: session.id, method: BIOMETRIC_METHOD[modality], passed: match.passed, now: args.now, registry: deps.registry });
      return { passed: match.passed, ...outcome };
    },
  };
}

export type BiometricService = ReturnType<typeof createBiometricService>;
