/**
 * The reference biometric engine and its threshold, re-calibrated with a fixed seed as
 * docs/verification.md ("Biometrics") describes: a synthetic population of 192-dimension
 * embeddings (a person is a random direction; a capture adds Gaussian noise of norm 0.8), 2,000
 * genuine and 2,000 impostor pairs, the false accept and false reject rates at the threshold.
 */
import { describe, expect, it } from 'vitest';
import { cosine, REFERENCE_THRESHOLD, ReferenceBiometricProvider, unitEmbedding } from '../../src/verification/biometrics/index.js';
import type { ConsentRecord } from '../../src/verification/biometrics/index.js';
import { seededGaussian } from '../../src/platform/seeded-random.js';

const gaussian = seededGaussian;

const DIM = 192;
const PAIRS = 2_000;

function population(seed: number, noise: number): { genuine: number[]; impostor: number[] } {
  const draw = gaussian(seed);
  const identity = () => unitEmbedding({ modality: 'voice', embedding: Array.from({ length: DIM }, draw) });
  const capture = (u: Float32Array) => unitEmbedding({ modality: 'voice', embedding: Array.from(u, (v) => v + (draw() * noise) / Math.sqrt(DIM)) });
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < PAIRS; i += 1) {
    const a = identity();
    const b = identity();
    genuine.push(cosine(capture(a), capture(a)));
    impostor.push(cosine(capture(a), capture(b)));
  }
  return { genuine, impostor };
}

const consent: ConsentRecord = { id: '00000000-0000-4000-8000-000000000001', customerId: '00000000-0000-4000-8000-000000000002', modality: 'voice', purpose: 'caller_verification', textVersion: 'v1', givenAt: new Date(0) };

describe('calibration of the reference threshold', () => {
  it(`at ${REFERENCE_THRESHOLD}: no impostor accepted and no genuine pair rejected at capture noise 0.8`, () => {
    const { genuine, impostor } = population(7, 0.8);
    const far = impostor.filter((s) => s >= REFERENCE_THRESHOLD).length / PAIRS;
    const frr = genuine.filter((s) => s < REFERENCE_THRESHOLD).length / PAIRS;
    expect(far).toBe(0);
    expect(frr).toBe(0);
    // The impostor distribution is what theory says (mean 0, sd 1/sqrt(d)), so the normal tail
    // at the threshold (5.5 sd) is a fair estimate of the FAR beyond what 2,000 pairs can show.
    const mean = impostor.reduce((a, b) => a + b, 0) / PAIRS;
    const sd = Math.sqrt(impostor.reduce((a, b) => a + (b - mean) ** 2, 0) / PAIRS);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(sd).toBeGreaterThan(0.065);
    expect(sd).toBeLessThan(0.08);
    expect(REFERENCE_THRESHOLD / sd).toBeGreaterThan(5);
  });

  it('noisier captures (noise 1.0) start to be rejected, at a rate under 5%', () => {
    const { genuine } = population(11, 1.0);
    const frr = genuine.filter((s) => s < REFERENCE_THRESHOLD).length / PAIRS;
    expect(frr).toBeGreaterThan(0);
    expect(frr).toBeLessThan(0.05);
  });
});

describe('ReferenceBiometricProvider', () => {
  const engine = new ReferenceBiometricProvider();
  const draw = gaussian(3);
  const base = Array.from({ length: 64 }, draw);

  it('passes the same vector at any scale, fails an orthogonal one, at the threshold exactly', async () => {
    const { template } = await engine.enroll(consent, { modality: 'voice', embedding: base });
    await expect(engine.verify(template, { modality: 'voice', embedding: base.map((v) => v * 3) })).resolves.toMatchObject({ passed: true, threshold: REFERENCE_THRESHOLD });
    // A vector at exactly the threshold's angle from the enrolled one passes; just below fails.
    const unit = unitEmbedding({ modality: 'voice', embedding: base });
    const other = Array.from({ length: 64 }, draw);
    const proj = cosine(unit, unitEmbedding({ modality: 'voice', embedding: other }));
    const orth = unitEmbedding({ modality: 'voice', embedding: other.map((v, i) => v / Math.hypot(...other) - proj * (unit[i] as number)) });
    const at = (c: number) => Array.from(unit, (u, i) => c * u + Math.sqrt(1 - c * c) * (orth[i] as number));
    expect((await engine.verify(template, { modality: 'voice', embedding: at(0.41) })).passed).toBe(true);
    expect((await engine.verify(template, { modality: 'voice', embedding: at(0.39) })).passed).toBe(false);
    expect((await engine.verify(template, { modality: 'voice', embedding: Array.from(orth) })).score).toBeCloseTo(0, 5);
  });

  it('refuses samples it cannot compare', async () => {
    const { template } = await engine.enroll(consent, { modality: 'voice', embedding: base });
    await expect(engine.verify(template, { modality: 'voice', embedding: base.slice(0, 40) })).rejects.toMatchObject({ code: 'verification.biometric_invalid_sample' });
    await expect(engine.enroll(consent, { modality: 'voice', embedding: [...base.slice(1), Number.NaN] })).rejects.toMatchObject({ code: 'verification.biometric_invalid_sample' });
    await expect(engine.enroll(consent, { modality: 'face', embedding: base })).rejects.toMatchObject({ code: 'verification.biometric_invalid_sample' });
    await expect(engine.enroll(consent, { modality: 'voice' })).rejects.toMatchObject({ code: 'verification.biometric_invalid_sample' });
    expect(() => new ReferenceBiometricProvider({ threshold: 1.5 })).toThrow(TypeError);
  });
});
