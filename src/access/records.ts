/**
 * Opening a customer record and revealing one field: the one path by which an agent sees
 * customer data. In one transaction, in this order:
 *
 * 1. the data-access gate (second factor, lock, shift, training, device and network);
 * 2. the grant: an interaction of theirs linked to the customer, or a break-glass grant
 *    (grants.ts); without one, the same 403 whether or not the customer exists;
 * 3. the tenant's policy, field by field (policy/): hidden fields are left out (not even named),
 *    masked ones are decrypted only to be masked, revealable ones stay masked until a reveal of
 *    this session, for this field, is current;
 * 4. a ledger entry of what was shown (counts and field names, never values).
 *
 * Nothing is cached: the record closes by itself when the grant ends, because every request
 * checks it again.
 */
import { sql } from 'kysely';
import { assertDataAccess, type Session } from '../agents/index.js';
import { type CustomerRecord, decryptFieldValue, decryptFieldValues, type FieldValue, loadCustomerRecord, staleFields } from '../customers/index.js';
import { type Database, jsonColumn, type Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { maskValue, type Vault } from '../vault/index.js';
import { AccessErrors } from './errors.js';
import { findRecordGrant, type RecordGrant } from './grants.js';
import { type AccessContext, decideFieldAccess, type FieldClass, type Policy, type PolicyDecision, type RevealReason, revealReasonRequiresText, type VerificationLevel } from './policy/index.js';
import { activePolicy, policyOfVersion } from './policy-store.js';

/**
 * The caller's current risk applied to a reveal's level (src/verification/risk: the risk engine's
 * `stepUpFrom`): the policy's level at low risk, raised by the tenant's step-up for an elevated or
 * high band. Passed in rather than imported: verification builds on this module.
 */
export type RevealStepUp = (tx: Tx, query: { tenantId: string; interactionId: string; customerId: string; baseLevel: VerificationLevel; now: Date }) => Promise<{ requiredLevel: number; band: string; score: number }>;

export interface AccessDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly vault: Vault;
  /** Risk-based step-up of reveals; without it a reveal needs the policy's level only. */
  readonly revealStepUp?: RevealStepUp | undefined;
}

export interface ShownField {
  readonly key: string;
  readonly label: string;
  readonly type: string;
  readonly class: FieldClass;
  readonly purpose: string;
  /** `masked` or `revealed` (hidden fields are not listed). */
  readonly shown: 'masked' | 'revealed';
  /** The masked value, or the clear value while a reveal lasts; null when the customer has none. */
  readonly value: FieldValue | null;
  /** When a reveal is possible: the verification level and the reasons it needs. */
  readonly reveal: { readonly verificationLevel: number; readonly reasons: readonly RevealReason[]; readonly available: boolean } | null;
  readonly revealedUntil: Date | null;
  readonly ruleId: string;
}

export interface OpenedRecord {
  readonly customerId: string;
  readonly customerNumber: string;
  readonly grant: { readonly kind: RecordGrant['kind']; readonly interactionId: string | null; readonly breakGlassId: string | null; readonly endsAt: Date | null; readonly verificationLevel: number };
  readonly policyVersion: number;
  readonly fields: readonly ShownField[];
  /** Shown fields the customer has not confirmed recently: ask them to confirm or update. */
  readonly confirm: readonly { readonly key: string; readonly confirmedAt: Date | null }[];
}

function contextOf(session: Session, grant: RecordGrant, field: CustomerRecord['fields'][number]): AccessContext {
  return {
    role: session.role,
    fieldClass: field.definition.class,
    fieldPurpose: field.definition.purpose,
    accessPurpose: grant.accessPurpose,
    interactionState: grant.interactionState,
    verificationLevel: grant.verificationLevel,
    // The gate has passed: the policy's own guards are satisfied.
    trainingValid: true,
    sessionUnlocked: true,
    onShift: true,
    breakGlass: grant.kind === 'break_glass',
  };
}

export function createRecordAccess(deps: AccessDeps) {
  const { db, clock, vault } = deps;

  /** The gate, the settings and the grant; the uniform refusal without a grant. */
  async function admit(tx: Tx, session: Session, customerId: string, interactionId: string | undefined, ip: string | undefined, now: Date) {
    const { settings } = await assertDataAccess(tx, session, now, ip);
    const grant = await findRecordGrant(tx, { agentId: session.agentId, customerId, interactionId, now, wrapUpMinutes: settings.access.wrapUpMinutes });
    if (grant === undefined) throw new AppError(AccessErrors.no_interaction);
    return { settings, grant };
  }

  /**
   * The version of the policy in force, and the reveals of this session for this customer that
   * are current and were made under this very grant: one statement (the policy document itself
   * comes from the cache of parsed versions, read only on a version's first use).
   */
  async function policyAndReveals(tx: Tx, session: Session, customerId: string, grant: RecordGrant, now: Date): Promise<{ version: number; policy: Policy; reveals: Map<string, Date> }> {
    // A reveal's reason belongs to the conversation (or emergency) it was given in: another
    // interaction with the same customer, or a break-glass grant, starts masked again.
    const underGrant = grant.breakGlassId !== null ? sql`r.break_glass_id = ${grant.breakGlassId}` : sql`r.interaction_id = ${grant.interactionId}`;
    const result = await sql<{ version: number | null; reveals: string | { field_key: string; expires_at: string }[] }>`
      SELECT
        (SELECT max(version) FROM access_policies WHERE tenant_id = ${session.tenantId}) AS version,
        (
          SELECT coalesce(json_agg(json_build_object('field_key', r.field_key, 'expires_at', r.expires_at)), '[]'::json)
          FROM access_reveals r
          WHERE r.tenant_id = ${session.tenantId} AND r.session_id = ${session.id} AND r.customer_id = ${customerId}
            AND r.expires_at > ${now} AND ${underGrant}
        ) AS reveals
    `.execute(tx);
    const row = result.rows[0];
    const { version, policy } = await policyOfVersion(tx, session.tenantId, row?.version ?? null);
    const rows = row === undefined ? [] : jsonColumn(row.reveals);
    const reveals = new Map<string, Date>();
    for (const r of rows) {
      const expires = new Date(r.expires_at);
      const known = reveals.get(r.field_key);
      if (known === undefined || expires > known) reveals.set(r.field_key, expires);
    }
    return { version, policy, reveals };
  }

  function revealOffer(decision: PolicyDecision): ShownField['reveal'] {
    if (decision.decision === 'revealable') return { verificationLevel: decision.revealRequires.verificationLevel, reasons: decision.revealRequires.reasons, available: true };
    if (decision.decision === 'masked' && decision.stepUp !== undefined) return { verificationLevel: decision.stepUp.verificationLevel, reasons: [], available: false };
    return null;
  }

  return {
    /** Opens the customer's record for the session's agent (see the module comment). */
    async open(session: Session, input: { customerId: string; interactionId?: string | undefined; ip: string | undefined }): Promise<OpenedRecord> {
      const { customerId } = input;
      const now = clock.now();
      return db.withTenant(session.tenantId, async (tx) => {
        const { settings, grant } = await admit(tx, session, customerId, input.interactionId, input.ip, now);
        const record = await loadCustomerRecord(tx, session.tenantId, customerId);
        const { version, policy, reveals } = await policyAndReveals(tx, session, customerId, grant, now);
        const fields: ShownField[] = [];
        let masked = 0;
        let revealed = 0;
        const decided = record.fields.map((field) => ({ field, decision: decideFieldAccess(policy, contextOf(session, grant, field)) })).filter((d) => d.decision.decision !== 'hidden');
        // Hidden fields are never decrypted; the shown ones share one data-key read.
        const values = await decryptFieldValues(tx, vault, record, decided.map((d) => d.field.definition.key));
        for (const { field, decision } of decided) {
          const revealedUntil = decision.decision === 'revealable' ? (reveals.get(field.definition.key) ?? null) : null;
          const clear = values.get(field.definition.key) ?? null;
          const shown = revealedUntil !== null ? 'revealed' : 'masked';
          if (field.value !== null) {
            if (shown === 'revealed') revealed += 1;
            else masked += 1;
          }
          fields.push({
            key: field.definition.key,
            label: field.definition.label,
            type: field.definition.type,
            class: field.definition.class,
            purpose: field.definition.purpose,
            shown,
            value: clear === null ? null : shown === 'revealed' ? clear : maskValue(field.definition.type, clear),
            reveal: revealOffer(decision),
            revealedUntil,
            ruleId: decision.ruleId,
          });
        }
        const visible = new Set(fields.map((f) => f.key));
        const confirm = staleFields(record, settings.access.freshnessDays, now)
          .filter((f) => visible.has(f.key))
          .map((f) => ({ key: f.key, confirmedAt: f.confirmedAt }));
        await recordEntry(
          tx,
          session.tenantId,
          {
            actor: { type: 'agent', id: session.agentId },
            action: 'customer.record.open',
            targets: { customer: customerId, session: session.id, ...(grant.interactionId === null ? {} : { interaction: grant.interactionId }), ...(grant.breakGlassId === null ? {} : { breakGlass: grant.breakGlassId }) },
            details: { policyVersion: version, shown: fields.length, masked, revealed, hidden: record.fields.length - fields.length },
          },
          now,
        );
        return {
          customerId,
          customerNumber: record.customerNumber,
          grant: { kind: grant.kind, interactionId: grant.interactionId, breakGlassId: grant.breakGlassId, endsAt: grant.endsAt, verificationLevel: grant.verificationLevel },
          policyVersion: version,
          fields,
          confirm,
        };
      });
    },

    /**
     * Reveals one field for a few minutes: the policy must make it revealable now, the caller's
     * verification level must reach the rule's (raised by the caller's current risk when
     * `revealStepUp` is given), and the reason must be one the rule allows (with words for
     * `other`). Returns the clear value.
     */
    async reveal(session: Session, input: { customerId: string; interactionId?: string | undefined; fieldKey: string; reason: string; text?: string | undefined; ip: string | undefined }): Promise<{ value: FieldValue | null; until: Date }> {
      const now = clock.now();
      return db.withTenant(session.tenantId, async (tx) => {
        const { settings, grant } = await admit(tx, session, input.customerId, input.interactionId, input.ip, now);
        const record = await loadCustomerRecord(tx, session.tenantId, input.customerId);
        const field = record.fields.find((f) => f.definition.key === input.fieldKey);
        if (field === undefined) throw new AppError(AccessErrors.field_not_found);
        const { version, policy } = await activePolicy(tx, session.tenantId);
        const decision = decide(policy, session, grant, field);
        if (decision.decision === 'hidden') throw new AppError(AccessErrors.field_not_found);
        if (decision.decision === 'masked') {
          if (decision.stepUp !== undefined) throw new AppError(AccessErrors.verification_required, { details: { requiredLevel: decision.stepUp.verificationLevel, currentLevel: grant.verificationLevel } });
          throw new AppError(AccessErrors.not_revealable, { details: { ruleId: decision.ruleId } });
        }
        const reason = decision.revealRequires.reasons.find((r) => r === input.reason);
        if (reason === undefined) throw new AppError(AccessErrors.reason_required, { details: { allowed: [...decision.revealRequires.reasons] } });
        const text = input.text?.trim() ?? '';
        if (revealReasonRequiresText(reason) && text.length < 10) throw new AppError(AccessErrors.reason_required, { detail: 'For "other", say why in at least 10 characters' });
        // The caller's risk now (a SIM swap, a known fraud number, failures) raises the level the
        // rule asks; a break-glass grant with no interaction has no caller to weigh.
        const risk =
          deps.revealStepUp === undefined || grant.interactionId === null
            ? undefined
            : await deps.revealStepUp(tx, { tenantId: session.tenantId, interactionId: grant.interactionId, customerId: input.customerId, baseLevel: decision.revealRequires.verificationLevel, now });
        if (risk !== undefined && grant.verificationLevel < risk.requiredLevel) {
          throw new AppError(AccessErrors.verification_required, { details: { requiredLevel: risk.requiredLevel, currentLevel: grant.verificationLevel, riskBand: risk.band } });
        }
        // A reveal never outlives the grant that allowed it.
        const until = new Date(Math.min(now.getTime() + settings.access.revealMinutes * 60_000, grant.endsAt?.getTime() ?? Number.POSITIVE_INFINITY));
        const id = newId();
        await tx
          .insertInto('access_reveals')
          .values({
            id,
            tenant_id: session.tenantId,
            agent_id: session.agentId,
            session_id: session.id,
            customer_id: input.customerId,
            field_key: input.fieldKey,
            interaction_id: grant.interactionId,
            break_glass_id: grant.breakGlassId,
            reason_code: reason,
            reason_text: text.length > 0 ? text.slice(0, 500) : null,
            created_at: now,
            expires_at: until,
          })
          .execute();
        await recordEntry(
          tx,
          session.tenantId,
          {
            actor: { type: 'agent', id: session.agentId },
            action: 'customer.field.reveal',
            targets: { customer: input.customerId, field: input.fieldKey, reveal: id, ...(grant.interactionId === null ? {} : { interaction: grant.interactionId }), ...(grant.breakGlassId === null ? {} : { breakGlass: grant.breakGlassId }) },
            purpose: reason,
            details: {
              policyVersion: version,
              ruleId: decision.ruleId,
              verificationLevel: grant.verificationLevel,
              ...(risk === undefined ? {} : { riskBand: risk.band, riskScore: risk.score, requiredLevel: risk.requiredLevel }),
              minutes: Math.round((until.getTime() - now.getTime()) / 60_000),
            },
          },
          now,
        );
        return { value: await decryptFieldValue(tx, vault, record, input.fieldKey), until };
      });
    },
  };
}

function decide(policy: Policy, session: Session, grant: RecordGrant, field: CustomerRecord['fields'][number]): PolicyDecision {
  return decideFieldAccess(policy, contextOf(session, grant, field));
}

export type RecordAccess = ReturnType<typeof createRecordAccess>;
