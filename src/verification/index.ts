/**
 * Caller identity verification: what other domains (and the server) import. Modules that run
 * further methods (questions, documents, biometrics) register a {@link MethodProvider} and report
 * results with {@link reportMethodResult}; the level comes from {@link assuranceLevel} only.
 */
export { VerificationErrors } from './errors.js';
export { type AssuranceLevel, assuranceLevel, type Evidence, evidenceOf, isMethodId, METHOD_IDS, type MethodDescriptor, type MethodId, METHODS, methodsThatRaise, reachable } from './levels.js';
export { type MethodAvailabilityQuery, type MethodProvider, MethodRegistry } from './registry.js';
export {
  type CheckResult,
  createVerificationService,
  OTP_METHODS,
  otpMethodProviders,
  reportMethodResult,
  type VerificationDeps,
  type VerificationService,
  type VerificationStatus,
  VERIFICATION_SCOPE,
} from './service.js';
export { CLAIM_LEASE_MS, classifySendError, createOtpDispatcher, OTP_JOB, type OtpDispatcher, type OtpSenders, startOtpDispatcher } from './dispatch.js';
export { DEFAULT_VERIFICATION_SETTINGS, loadVerificationSettings, parseVerificationSettings, parseVerificationSettingsText, type VerificationSettings, verificationSettingsSchema } from './settings.js';
export { DEFAULT_EMAIL, DEFAULT_SMS, DEFAULT_VOICE, type Language, LANGUAGES, render, templateProblem } from './templates.js';
export { registerVerificationRoutes, type VerificationRouteDeps } from './routes.js';
export { createVerification, type Verification } from './setup.js';
export { createRiskEngine, type Requirement, RISK_ACTIONS, type RiskAction, type RiskEngine, scoreRisk } from './risk/index.js';
export { type BiometricProvider, type BiometricService, type Modality, ReferenceBiometricProvider } from './biometrics/index.js';
