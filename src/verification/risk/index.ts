/**
 * The risk engine: signals (signals.ts, SQL) scored by a pure core (score.ts) under the tenant's
 * weights (settings.ts), and the step-up of the level each action needs (service.ts).
 */
export {
  bandOf,
  type Contribution,
  DEFAULT_BAND_STEP_UP,
  DEFAULT_RISK_THRESHOLDS,
  DEFAULT_RISK_WEIGHTS,
  explainRisk,
  NO_SIGNALS,
  RISK_BANDS,
  RISK_SIGNALS,
  type RiskBand,
  type RiskScore,
  type RiskSignal,
  type RiskSignals,
  type RiskThresholds,
  type RiskWeights,
  scoreRisk,
  type SignalWeight,
  stepUp,
} from './score.js';
export { type BusinessHours, DEFAULT_ACTION_LEVELS, DEFAULT_RISK_SETTINGS, outsideBusinessHours, RISK_ACTIONS, type RiskAction, type RiskSettings, riskSettingsSchema } from './settings.js';
export { type ContactSignalSource, type ContactSignalsLike, NO_CONTACT_SIGNALS, readSignalInputs, type SignalInputs, type SignalQuery, signalsFrom } from './signals.js';
export {
  addFraudNumber,
  createRiskEngine,
  type FraudNumber,
  levelFor,
  listFraudNumberEntries,
  recordSessionCaller,
  removeFraudNumber,
  type Requirement,
  type RequirementQuery,
  type RiskDecision,
  type RiskEngine,
  type RiskEngineDeps,
  type StepUp,
} from './service.js';
export { registerRiskRoutes, type RiskRouteDeps } from './routes.js';
