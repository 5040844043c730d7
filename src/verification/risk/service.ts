/**
 * The risk engine's rules: the level an action needs for an interaction's caller now (step-up),
 * the calling number of a session, and the tenant's list of known fraud numbers. Each decision
 * and each change of the list is recorded in the ledger in the caller's transaction, with signal
 * names, scores and codes only: never a number, never a value.
 */
import type { InteractionActor } from '../../interactions/index.js';
import { InteractionErrors } from '../../interactions/index.js';
import type { Tx } from '../../db/index.js';
import type { LedgerEntryInput } from '../../ledger/entry.js';
import { recordEntry } from '../../ledger/record.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Vault } from '../../vault/index.js';
import { VerificationErrors } from '../errors.js';
import type { AssuranceLevel } from '../levels.js';
import { parseVerificationSettingsText } from '../settings.js';
import { type Contribution, explainRisk, type RiskBand, scoreRisk, stepUp } from './score.js';
import type { RiskAction, RiskSettings } from './settings.js';
import { type ContactSignalSource, NO_CONTACT_SIGNALS, readSignalInputs, type SignalInputs, signalsFrom } from './signals.js';
import { deleteFraudNumber, type FraudNumberRow, type FraudReason, insertFraudNumber, insertSessionCaller, listFraudNumbers } from './store.js';

export interface RiskDecision {
  readonly score: number;
  readonly band: RiskBand;
  readonly contributions: readonly Contribution[];
  /** One paragraph for the agent: score, band and each signal's part; no personal data. */
  readonly explanation: string;
}

export interface Requirement {
  readonly action: RiskAction;
  /** What the action needs at low risk (the tenant's setting). */
  readonly baseLevel: AssuranceLevel;
  /** What it needs now, after the risk band's step-up. */
  readonly requiredLevel: AssuranceLevel;
  /** What the interaction's caller has reached. */
  readonly currentLevel: AssuranceLevel;
  readonly satisfied: boolean;
  readonly risk: RiskDecision;
}

export interface RequirementQuery {
  readonly tenantId: string;
  readonly interactionId: string;
  readonly action: RiskAction;
  readonly now: Date;
  /** Who asked (recorded in the ledger); the system when absent. */
  readonly actor?: InteractionActor | undefined;
}

export interface RiskEngineDeps {
  readonly vault: Vault;
  /** Contact-data signals (src/verification/contact); none when absent. */
  readonly contactSignals?: ContactSignalSource | undefined;
}

function ledgerActor(actor: InteractionActor | undefined): LedgerEntryInput['actor'] {
  if (actor === undefined) return { type: 'system', id: 'verification.risk' };
  return actor.type === 'agent' ? { type: 'agent', id: actor.agentId } : { type: 'service', id: actor.keyId };
}

/** The level `action` needs under `settings` and a band. */
export function levelFor(settings: RiskSettings, action: RiskAction, band: RiskBand): { base: AssuranceLevel; required: AssuranceLevel } {
  const base = settings.actions[action] as AssuranceLevel;
  return { base, required: stepUp(base, band, bandSteps(settings)) };
}

/** The levels each band adds, from the tenant's settings. */
function bandSteps(settings: RiskSettings): { readonly [B in RiskBand]: number } {
  return { low: 0, elevated: settings.stepUp.elevated, high: settings.stepUp.high };
}

/** What {@link RiskEngine.stepUpFrom} answers: the level needed now, and the risk that set it. */
export interface StepUp {
  readonly requiredLevel: AssuranceLevel;
  readonly band: RiskBand;
  readonly score: number;
}

export function createRiskEngine(deps: RiskEngineDeps) {
  const contactSignals = deps.contactSignals ?? NO_CONTACT_SIGNALS;

  /** Scores the signals of `customerId` from what one statement read. */
  async function decide(tx: Tx, inputs: SignalInputs, customerId: string, settings: RiskSettings): Promise<RiskDecision> {
    const signals = await signalsFrom(tx, inputs, customerId, settings, contactSignals);
    const scored = scoreRisk(signals, settings.weights, settings.thresholds);
    return { ...scored, explanation: explainRisk(scored) };
  }

  return {
    /** Collects the signals of the interaction's caller and scores them under `settings` (no ledger entry). */
    async assess(tx: Tx, query: { tenantId: string; customerId: string; interactionId: string; now: Date }, settings: RiskSettings): Promise<RiskDecision> {
      const inputs = await readSignalInputs(tx, query, contactSignals);
      return decide(tx, inputs, query.customerId, settings);
    },

    /**
     * `baseLevel` (a level another part of the product decided, e.g. the access policy's for a
     * reveal) raised by the current risk of the interaction's caller, with the tenant's step-up:
     * the same rule as {@link requiredLevel}, without its ledger entry (the caller records its own
     * decision, with the band).
     */
    async stepUpFrom(tx: Tx, query: { tenantId: string; interactionId: string; customerId: string; baseLevel: AssuranceLevel; now: Date }): Promise<StepUp> {
      const inputs = await readSignalInputs(tx, query, contactSignals);
      const settings = parseVerificationSettingsText(inputs.settingsText).risk;
      const risk = await decide(tx, inputs, query.customerId, settings);
      return { requiredLevel: stepUp(query.baseLevel, risk.band, bandSteps(settings)), band: risk.band, score: risk.score };
    },

    /**
     * The level `action` needs for the interaction's caller now: the tenant's level for the
     * action, raised by the risk band (at most 3), with the decision recorded in the ledger
     * (`verification.risk.decision`: action, score, band, levels and the names of the signals).
     * The interaction must be linked to a customer; an unknown id (or another tenant's) is
     * `interactions.not_found`. Two statements: what it reads, and the ledger entry.
     */
    async requiredLevel(tx: Tx, query: RequirementQuery): Promise<Requirement> {
      const inputs = await readSignalInputs(tx, { tenantId: query.tenantId, customerId: undefined, interactionId: query.interactionId, now: query.now }, contactSignals);
      const { interaction } = inputs;
      if (interaction === undefined) throw new AppError(InteractionErrors.not_found);
      const { customerId } = interaction;
      if (customerId === null) throw new AppError(VerificationErrors.interaction_not_ready);
      const settings = parseVerificationSettingsText(inputs.settingsText).risk;
      const risk = await decide(tx, inputs, customerId, settings);
      const { base, required } = levelFor(settings, query.action, risk.band);
      const currentLevel = interaction.verificationLevel as AssuranceLevel;
      await recordEntry(
        tx,
        query.tenantId,
        {
          actor: ledgerActor(query.actor),
          action: 'verification.risk.decision',
          targets: { interaction: interaction.id, customer: customerId },
          details: {
            action: query.action,
            score: risk.score,
            band: risk.band,
            baseLevel: base,
            requiredLevel: required,
            currentLevel,
            signals: risk.contributions.length === 0 ? 'none' : risk.contributions.map((c) => c.signal).join(','),
          },
        },
        query.now,
      );
      return { action: query.action, baseLevel: base, requiredLevel: required, currentLevel, satisfied: currentLevel >= required, risk };
    },
  };
}

export type RiskEngine = ReturnType<typeof createRiskEngine>;

/**
 * Keeps the blind index of the number a session's caller called from (the IVR or telephony
 * platform knows it), for the calling-number signals. The number itself is not kept.
 */
export async function recordSessionCaller(tx: Tx, vault: Vault, args: { tenantId: string; sessionId: string; customerId: string; callerNumber: string; now: Date }): Promise<void> {
  const digest = await vault.blindIndex(tx, args.tenantId, 'phone', args.callerNumber);
  await insertSessionCaller(tx, { tenant_id: args.tenantId, session_id: args.sessionId, customer_id: args.customerId, caller_digest: digest, at: args.now });
}

export interface FraudNumber {
  readonly id: string;
  /** The number's last two digits, to tell entries apart; the rest is never kept. */
  readonly hint: string;
  readonly reason: FraudReason;
  readonly addedBy: string;
  readonly addedAt: Date;
}

function fraudView(row: FraudNumberRow): FraudNumber {
  return { id: row.id, hint: row.hint, reason: row.reason, addedBy: row.added_by, addedAt: row.added_at };
}

/** Lists a number as used by fraudsters (security officers). A number already listed: 409. */
export async function addFraudNumber(tx: Tx, vault: Vault, args: { tenantId: string; agentId: string; number: string; reason: FraudReason; now: Date }): Promise<FraudNumber> {
  // The vault normalizes to E.164 (and refuses a non-number with vault.invalid_value); the last
  // two digits are the same before and after.
  const digest = await vault.blindIndex(tx, args.tenantId, 'phone', args.number);
  const row: FraudNumberRow = { id: newId(), tenant_id: args.tenantId, digest, hint: args.number.replace(/[^0-9]/g, '').slice(-2), reason: args.reason, added_by: args.agentId, added_at: args.now };
  if (!(await insertFraudNumber(tx, row))) throw new AppError(VerificationErrors.fraud_number_exists);
  await recordEntry(tx, args.tenantId, { actor: { type: 'agent', id: args.agentId }, action: 'verification.fraud_number.add', targets: { fraudNumber: row.id }, details: { reason: args.reason } }, args.now);
  return fraudView(row);
}

export async function listFraudNumberEntries(tx: Tx, limit = 1_000): Promise<FraudNumber[]> {
  return (await listFraudNumbers(tx, limit)).map(fraudView);
}

/** Takes a number off the list; an unknown id (or another tenant's) is not found. */
export async function removeFraudNumber(tx: Tx, args: { tenantId: string; agentId: string; id: string; now: Date }): Promise<void> {
  const row = await deleteFraudNumber(tx, args.id);
  if (row === undefined) throw new AppError(VerificationErrors.fraud_number_not_found);
  await recordEntry(tx, args.tenantId, { actor: { type: 'agent', id: args.agentId }, action: 'verification.fraud_number.remove', targets: { fraudNumber: row.id }, details: { reason: row.reason } }, args.now);
}
