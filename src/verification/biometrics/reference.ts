/**
 * The reference biometric engine: compares embedding vectors (computed by the capture side's
 * model and sent as float arrays) by cosine similarity against a calibrated threshold. It makes
 * the flow complete and testable; a production deployment plugs in a vendor engine through the
 * same interface (provider.ts).
 *
 * Calibration (docs/verification.md, "Biometrics"): on a synthetic population of 192-dimension
 * embeddings, where a person is a random unit vector and each capture adds Gaussian noise of
 * norm 0.8, impostor similarities are centred on 0 with a standard deviation of 1/sqrt(d) (0.072)
 * and genuine ones on about 0.6. At the threshold 0.40 the impostor tail is 5.5 standard
 * deviations away (FAR about 2e-8 by the normal tail; 0 of 2,000 sampled pairs) and 0 of 2,000
 * genuine pairs fall below it (FRR 0 at noise 0.8; 1.6% at noise 1.0). test/verification/
 * biometric-reference.test.ts re-runs this with a fixed seed.
 */
import { AppError } from '../../platform/errors.js';
import { VerificationErrors } from '../errors.js';
import type { BiometricProvider, BiometricSample, ConsentRecord, MatchResult, Modality } from './provider.js';

export const REFERENCE_THRESHOLD = 0.4;
export const MIN_DIMENSIONS = 32;
export const MAX_DIMENSIONS = 1024;

function invalid(detail: string): AppError {
  return new AppError(VerificationErrors.biometric_invalid_sample, { detail });
}

/** The sample's embedding scaled to length 1, as 32-bit floats; refuses what cannot be compared. */
export function unitEmbedding(sample: BiometricSample): Float32Array {
  const values = sample.embedding;
  if (values === undefined) throw invalid('This engine compares embeddings: send `embedding`');
  if (values.length < MIN_DIMENSIONS || values.length > MAX_DIMENSIONS) throw invalid(`An embedding has ${MIN_DIMENSIONS} to ${MAX_DIMENSIONS} numbers`);
  let norm = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) throw invalid('An embedding holds finite numbers only');
    norm += v * v;
  }
  norm = Math.sqrt(norm);
  if (!(norm > 1e-12)) throw invalid('An embedding cannot be all zeros');
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i += 1) out[i] = (values[i] as number) / norm;
  return out;
}

/** Cosine similarity of two unit vectors of the same length. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i += 1) dot += (a[i] as number) * (b[i] as number);
  return dot;
}

export class ReferenceBiometricProvider implements BiometricProvider {
  readonly id = 'reference-cosine';
  readonly #threshold: number;

  constructor(options: { threshold?: number } = {}) {
    this.#threshold = options.threshold ?? REFERENCE_THRESHOLD;
    if (!(this.#threshold > 0 && this.#threshold < 1)) throw new TypeError('the threshold is a cosine similarity between 0 and 1');
  }

  supports(modality: Modality): boolean {
    return modality === 'face' || modality === 'voice';
  }

  // Promise-returning by the interface (vendor engines call out); failures reject, never throw.
  enroll(consent: ConsentRecord, sample: BiometricSample): Promise<{ template: Uint8Array }> {
    return new Promise((resolve) => {
      if (consent.modality !== sample.modality) throw invalid('The sample is not of the consented kind');
      const unit = unitEmbedding(sample);
      resolve({ template: new Uint8Array(unit.buffer, unit.byteOffset, unit.byteLength) });
    });
  }

  verify(template: Uint8Array, sample: BiometricSample): Promise<MatchResult> {
    return new Promise((resolve) => {
      const probe = unitEmbedding(sample);
      // Copied: a Buffer's bytes need not be aligned for a Float32Array view.
      const enrolled = new Float32Array(new Uint8Array(template).buffer);
      if (enrolled.length !== probe.length) throw invalid('The embedding does not have the enrolled number of dimensions');
      const score = cosine(enrolled, probe);
      resolve({ score, threshold: this.#threshold, passed: score >= this.#threshold });
    });
  }
}
