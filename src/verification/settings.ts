/**
 * A tenant's verification rules, one JSON object per tenant (`verification_settings`), every
 * member with a default, so a tenant that never set anything gets the documented behaviour.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import { METHOD_IDS } from './levels.js';
import { LANGUAGES, templateProblem } from './templates.js';
import { withVerificationTables } from './store.js';
import { riskSettingsSchema } from './risk/settings.js';
import { DEFAULT_QUESTION_SETTINGS, questionSettingsSchema } from './questions/settings.js';

const template = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((value, ctx) => {
      const problem = templateProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });

const perLanguage = <T extends z.ZodType>(schema: T) => z.strictObject({ es: schema.optional(), pt: schema.optional(), en: schema.optional() });

export const verificationSettingsSchema = z.strictObject({
  /** Digits of a one-time code (6..8). */
  codeDigits: z.number().int().min(6).max(8).default(6),
  /** How long a code is valid. */
  codeTtlSeconds: z.number().int().min(60).max(900).default(300),
  /** Wrong answers a code takes; the last one voids it (default 5: the 5th wrong attempt locks the code). */
  maxAttempts: z.number().int().min(1).max(10).default(5),
  /** Wait between two codes of one session. */
  resendCooldownSeconds: z.number().int().min(10).max(600).default(60),
  /** Codes per customer per hour, all sessions together (each costs money and can pester). */
  sendsPerHour: z.number().int().min(1).max(50).default(5),
  /** How long a session stays open. */
  sessionMinutes: z.number().int().min(5).max(240).default(30),
  /** The level a session aims for when its starter names none. */
  defaultTargetLevel: z.number().int().min(1).max(3).default(2),
  lockout: z
    .strictObject({
      /** Failed results of one customer, in all sessions, within `windowMinutes`, that lock the customer. */
      failures: z.number().int().min(3).max(50).default(10),
      windowMinutes: z.number().int().min(5).max(1_440).default(60),
      /** How long the lock lasts. */
      lockMinutes: z.number().int().min(5).max(1_440).default(30),
    })
    .default({ failures: 10, windowMinutes: 60, lockMinutes: 30 }),
  /** Preference order of methods, offered first to last. */
  methodOrder: z
    .array(z.enum(METHOD_IDS))
    .max(METHOD_IDS.length)
    .refine((a) => new Set(a).size === a.length, 'each method once')
    .default(['otp_sms', 'questions_static', 'otp_email', 'questions_dynamic', 'document', 'otp_voice', 'ivr_pin', 'biometric_voice', 'biometric_face']),
  /** Security questions (docs/verification.md, "Security questions"): N of M, attempts, enrollment, catalogue. */
  questions: questionSettingsSchema.default(DEFAULT_QUESTION_SETTINGS),
  /** Language when the customer has no preference on file. */
  defaultLanguage: z.enum(LANGUAGES).default('es'),
  /** The name messages are signed with. */
  brand: z
    .string()
    .min(1)
    .max(40)
    .regex(/^[\p{L}\p{N} .&'-]+$/u, 'letters, digits, spaces and . & \' -')
    .default('Custodia'),
  /** Risk weights, thresholds, the level each action needs and business hours (risk/settings.ts). */
  risk: riskSettingsSchema,
  /** Overrides of the shipped texts (src/verification/templates.ts), per language. */
  templates: z
    .strictObject({
      sms: perLanguage(template(300)).optional(),
      voice: perLanguage(template(500)).optional(),
      email: perLanguage(z.strictObject({ subject: z.string().min(1).max(150).regex(/^[^\r\n]*$/, 'one line'), text: template(4_000) })).optional(),
    })
    .default({}),
});

export type VerificationSettings = z.output<typeof verificationSettingsSchema>;
export type VerificationSettingsInput = z.input<typeof verificationSettingsSchema>;

export const DEFAULT_VERIFICATION_SETTINGS: VerificationSettings = deepFreeze(verificationSettingsSchema.parse({}));

/**
 * Stored settings with defaults filled in. A stored object that no longer validates falls back
 * member by member to the defaults rather than to something weaker.
 */
export function parseVerificationSettings(stored: Record<string, unknown> | null): VerificationSettings {
  if (stored === null) return DEFAULT_VERIFICATION_SETTINGS;
  const parsed = verificationSettingsSchema.safeParse(stored);
  if (parsed.success) return parsed.data;
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (!(key in verificationSettingsSchema.shape)) continue;
    if (verificationSettingsSchema.safeParse({ [key]: value }).success) merged[key] = value;
  }
  return verificationSettingsSchema.parse(merged);
}

/**
 * Parsed settings by their stored text (jsonb's canonical text: equal settings, equal text).
 * Validating a tenant's settings costs more than reading them, and every verification request
 * and risk decision needs them; the text is the key, so a change is seen at once, and the values
 * are frozen because tenants with equal text share one.
 */
const parsedByText = new Map<string, VerificationSettings>();
const PARSED_CACHE_MAX = 256;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * {@link parseVerificationSettings} of the stored text (`settings::text`), remembered: the same
 * text gives the same frozen object. Null (no row) gives the defaults.
 */
export function parseVerificationSettingsText(text: string | null): VerificationSettings {
  if (text === null) return DEFAULT_VERIFICATION_SETTINGS;
  const known = parsedByText.get(text);
  if (known !== undefined) return known;
  const parsed = deepFreeze(parseVerificationSettings(JSON.parse(text) as Record<string, unknown>));
  // Oldest first out: a map iterates in insertion order.
  if (parsedByText.size >= PARSED_CACHE_MAX) parsedByText.delete(parsedByText.keys().next().value as string);
  parsedByText.set(text, parsed);
  return parsed;
}

/** The settings' stored text (for {@link parseVerificationSettingsText}), as a scalar subquery. */
export const SETTINGS_TEXT_SQL = sql<string | null>`(SELECT settings::text FROM verification_settings)`;

export async function loadVerificationSettings(tx: Tx): Promise<VerificationSettings> {
  const result = await sql<{ settings: string | null }>`SELECT ${SETTINGS_TEXT_SQL} AS settings`.execute(tx);
  return parseVerificationSettingsText(result.rows[0]?.settings ?? null);
}

export async function saveVerificationSettings(tx: Tx, tenantId: string, settings: VerificationSettings, by: string, now: Date): Promise<void> {
  const json = JSON.stringify(settings);
  await withVerificationTables(tx)
    .insertInto('verification_settings')
    .values({ tenant_id: tenantId, settings: json, updated_at: now, updated_by: by })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ settings: json, updated_at: now, updated_by: by }))
    .execute();
  // What changed is configuration, not personal data; the templates' text stays out of the ledger.
  await recordEntry(
    tx,
    tenantId,
    {
      actor: { type: 'agent', id: by },
      action: 'verification.settings.update',
      details: { codeDigits: settings.codeDigits, codeTtlSeconds: settings.codeTtlSeconds, maxAttempts: settings.maxAttempts, lockoutFailures: settings.lockout.failures, lockMinutes: settings.lockout.lockMinutes },
    },
    now,
  );
}
