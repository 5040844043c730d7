/**
 * The biometric provider interface: what a face or voice engine must do for Custodia. The engine
 * turns a sample into a template at enrollment and compares a new sample against that template
 * at verification, returning a score and whether it clears the engine's calibrated threshold.
 *
 * Custodia keeps the template only as vault ciphertext (biometrics/service.ts) and hands it back
 * to the engine for each verification; an engine that keeps templates on its own side returns a
 * reference to them as the template instead (docs/verification.md, "Biometrics").
 */

export const MODALITIES = ['face', 'voice'] as const;
export type Modality = (typeof MODALITIES)[number];

/**
 * A biometric sample as the caller's client or engine gives it: an embedding (a float vector
 * computed by the capture side's model), or media for an engine that computes its own.
 */
export interface BiometricSample {
  readonly modality: Modality;
  readonly embedding?: readonly number[] | undefined;
  readonly media?: { readonly contentType: string; readonly data: Uint8Array } | undefined;
}

/** The consent an enrollment is made under (already checked and recorded by the service). */
export interface ConsentRecord {
  readonly id: string;
  readonly customerId: string;
  readonly modality: Modality;
  readonly purpose: string;
  readonly textVersion: string;
  readonly givenAt: Date;
}

export interface MatchResult {
  /** Similarity in the engine's own scale (cosine for the reference engine). */
  readonly score: number;
  readonly threshold: number;
  readonly passed: boolean;
}

export interface BiometricProvider {
  /** Recorded with each enrollment: a template is only ever compared by the engine that made it. */
  readonly id: string;
  supports(modality: Modality): boolean;
  /** A template for the sample; throws `verification.biometric_invalid_sample` for an unusable one. */
  enroll(consent: ConsentRecord, sample: BiometricSample): Promise<{ readonly template: Uint8Array }>;
  /** Compares a new sample with an enrolled template. */
  verify(template: Uint8Array, sample: BiometricSample): Promise<MatchResult>;
}
