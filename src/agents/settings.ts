/**
 * A tenant's sign-in and session rules. Stored as one JSON object per tenant
 * (`tenant_security_settings`); every member has a secure default, so a tenant that never set
 * anything gets the safe behaviour, and the maxima below cannot be raised by a tenant.
 */
import { z } from 'zod';
import type { Tx } from '../db/index.js';
import { cidrListSchema } from './networks.js';

/** PCI DSS v4.0 8.2.8: a session idle for more than 15 minutes requires re-authentication. */
export const MAX_IDLE_LOCK_MINUTES = 15;
/** No session outlives a long shift. */
export const MAX_SESSION_HOURS = 24;

export const securitySettingsSchema = z.strictObject({
  /** Minutes without a request before the session locks (PCI DSS 8.2.8: at most 15). */
  idleLockMinutes: z.number().int().min(1).max(MAX_IDLE_LOCK_MINUTES).default(MAX_IDLE_LOCK_MINUTES),
  /** Absolute lifetime of a session, whatever its activity. */
  sessionMaxHours: z.number().int().min(1).max(MAX_SESSION_HOURS).default(12),
  presence: z
    .strictObject({
      /** Require heartbeats from the agent desktop; without one for `absenceSeconds`, the session locks. */
      required: z.boolean().default(false),
      absenceSeconds: z.number().int().min(10).max(3_600).default(60),
      /** Lock when the webcam check sees more than one face. */
      forbidMultipleFaces: z.boolean().default(true),
    })
    .default({ required: false, absenceSeconds: 60, forbidMultipleFaces: true }),
  lockout: z
    .strictObject({
      /** Failed sign-ins of one account before back-off starts. */
      threshold: z.number().int().min(3).max(20).default(5),
      /**
       * Failures (of one account) that raise an alert to security officers. At most 15: failures
       * are counted over an hour, and the back-off lets about 17 fit in one.
       */
      alertAfter: z.number().int().min(3).max(15).default(10),
    })
    .default({ threshold: 5, alertAfter: 10 }),
  /** Refuse data access to agents without a shift schedule (otherwise only a set schedule binds). */
  requireShiftSchedule: z.boolean().default(false),
  /** Courses an agent must hold, unexpired, for access to personal data. */
  requiredCourses: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/))
    .max(20)
    .default(['security_awareness']),
  /** Code-of-conduct version every agent must have acknowledged (none when null). */
  conductVersion: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/)
    .nullable()
    .default(null),
  /** Networks remote agents may sign in from (CIDR); empty: any. */
  allowedNetworks: cidrListSchema.default([]),
  devices: z
    .strictObject({
      /** Data access only from a registered device (browser key or device-bound passkey). */
      required: z.boolean().default(false),
      /** A newly seen device counts only once a supervisor approved it (when devices are required). */
      approval: z.boolean().default(true),
    })
    .default({ required: false, approval: true }),
  /** A sign-in from a network (IPv4 /24, IPv6 /56) new for the agent gets data access only once a supervisor approved it. */
  networkApproval: z.boolean().default(false),
  /** Second factor by SMS code, as a fallback for agents without an authenticator (needs an SMS sender configured). */
  smsFallback: z.boolean().default(false),
  /** Customer records (src/access/). */
  access: z
    .strictObject({
      /** Minutes a record stays open after its interaction went to wrap-up. */
      wrapUpMinutes: z.number().int().min(0).max(60).default(10),
      /** Minutes a just-in-time reveal lasts. */
      revealMinutes: z.number().int().min(1).max(30).default(5),
      /** Longest break-glass grant, in minutes. */
      breakGlassMaxMinutes: z.number().int().min(5).max(240).default(60),
      /** A value the customer has not confirmed for this many days is listed for confirmation. */
      freshnessDays: z.number().int().min(1).max(3_650).default(365),
    })
    .default({ wrapUpMinutes: 10, revealMinutes: 5, breakGlassMaxMinutes: 60, freshnessDays: 365 }),
});

export type SecuritySettings = z.output<typeof securitySettingsSchema>;
export type SecuritySettingsInput = z.input<typeof securitySettingsSchema>;

export const DEFAULT_SECURITY_SETTINGS: SecuritySettings = securitySettingsSchema.parse({});

/** The tenant's settings, defaults filled in (see parseSecuritySettings). */
export async function loadSecuritySettings(tx: Tx, tenantId: string): Promise<SecuritySettings> {
  const row = await tx.selectFrom('tenant_security_settings').select('settings').where('tenant_id', '=', tenantId).executeTakeFirst();
  return parseSecuritySettings(row?.settings ?? null);
}

/**
 * Stored settings with defaults filled in. An object that no longer validates (written by a
 * newer version, or by hand) falls back member by member to the defaults rather than to
 * something weaker: the schema's defaults are the secure choice.
 */
export function parseSecuritySettings(stored: Record<string, unknown> | null): SecuritySettings {
  if (stored === null) return DEFAULT_SECURITY_SETTINGS;
  const parsed = securitySettingsSchema.safeParse(stored);
  if (parsed.success) return parsed.data;
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (!(key in securitySettingsSchema.shape)) continue;
    if (securitySettingsSchema.safeParse({ [key]: value }).success) merged[key] = value;
  }
  return securitySettingsSchema.parse(merged);
}

export async function saveSecuritySettings(tx: Tx, tenantId: string, settings: SecuritySettings, by: string, now: Date): Promise<void> {
  const json = JSON.stringify(settings);
  await tx
    .insertInto('tenant_security_settings')
    .values({ tenant_id: tenantId, settings: json, updated_at: now, updated_by: by })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ settings: json, updated_at: now, updated_by: by }))
    .execute();
}
