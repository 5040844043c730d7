/**
 * Biometric verification (face, voice): a provider interface for engines, the reference engine
 * (cosine similarity of embeddings), consent, enrollment with templates sealed by the vault, and
 * verification reported as methods `biometric_face` / `biometric_voice`.
 */
export { type BiometricProvider, type BiometricSample, type ConsentRecord, type MatchResult, type Modality, MODALITIES } from './provider.js';
export { cosine, MAX_DIMENSIONS, MIN_DIMENSIONS, REFERENCE_THRESHOLD, ReferenceBiometricProvider, unitEmbedding } from './reference.js';
export { BIOMETRIC_METHOD, biometricMethodProviders, type BiometricService, type Consent, createBiometricService, type Enrollment } from './service.js';
export { type BiometricRouteDeps, registerBiometricRoutes } from './routes.js';
