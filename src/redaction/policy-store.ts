/**
 * A tenant's redaction policy as stored: every version kept (`redaction_policies`), the highest in
 * force, Custodia's built-in default (version 1) until the tenant saves one. The stored document
 * is the policy the core applies (operators per entity type) plus which operators a caller of
 * POST /v1/redact may choose in a per-request override: a tenant decides how far a caller may
 * weaken, or strengthen, what it set.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import { sha256 } from '../platform/crypto.js';
import { AppError } from '../platform/errors.js';
import { DEFAULT_MIN_CONFIDENCE } from './detect.js';
import { DEFAULT_REDACTION_POLICY, entityTypeSchema, type Operator, operatorSchema, type RedactionPolicy, redactionPolicySchema } from './policy.js';
import { RedactionApiErrors } from './routes-errors.js';
import type { EntityType } from './types.js';

export const OPERATOR_KINDS = ['redact', 'mask', 'tag', 'hash', 'encrypt', 'tokenize'] as const satisfies readonly Operator['kind'][];
export const operatorKindSchema = z.enum(OPERATOR_KINDS);

/** What a tenant saves: the policy, and the operators a caller may ask for instead. */
export interface TenantRedactionSettings {
  readonly policy: RedactionPolicy;
  readonly allowedOverrides: readonly Operator['kind'][];
}

/** Version 1: tag everything; callers may only ask for `redact` or `tag` (neither reveals anything). */
export const DEFAULT_REDACTION_SETTINGS: TenantRedactionSettings = Object.freeze({ policy: DEFAULT_REDACTION_POLICY, allowedOverrides: Object.freeze(['redact', 'tag'] as const) });
export const DEFAULT_REDACTION_POLICY_VERSION = 1;

/** PCI DSS 3.4.1 lets a card number be shown with its last four digits at most (first six aside). */
const CARD_MASK_KEEP_MAX = 4;

function operatorOf(policy: RedactionPolicy, type: EntityType): Operator {
  return policy.operators[type] ?? policy.defaultOperator;
}

/**
 * The rules beyond the core's schema that a stored or effective policy must meet, as
 * `[path, message]` pairs (empty: fine).
 */
export function policyProblems(policy: RedactionPolicy): [string, string][] {
  const problems: [string, string][] = [];
  // PCI DSS 3.3.1.2: a card security code is never stored after authorization, not even encrypted.
  if (operatorOf(policy, 'CARD_CVV').kind === 'encrypt') {
    problems.push([policy.operators.CARD_CVV === undefined ? 'defaultOperator' : 'operators.CARD_CVV', 'a card security code is never kept, not even encrypted: give CARD_CVV another operator']);
  }
  const card = operatorOf(policy, 'CARD_NUMBER');
  if (card.kind === 'mask' && card.keepLast > CARD_MASK_KEEP_MAX) {
    problems.push([policy.operators.CARD_NUMBER === undefined ? 'defaultOperator' : 'operators.CARD_NUMBER', `a card number keeps at most its last ${CARD_MASK_KEEP_MAX} digits`]);
  }
  return problems;
}

function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, 50).map((i) => ({ path: i.path.join('.'), message: i.message }));
}

function invalid(errors: { path: string; message: string }[]): AppError {
  return new AppError(RedactionApiErrors.invalid_policy, { detail: `${errors.length} problem${errors.length === 1 ? '' : 's'} in the redaction policy`, details: { errors } });
}

/** A redaction policy document from a caller or a file, checked completely (throws redaction.invalid_policy). */
export function parseRedactionPolicy(input: unknown): RedactionPolicy {
  const parsed = redactionPolicySchema.safeParse(input);
  if (!parsed.success) throw invalid(issuesOf(parsed.error));
  const problems = policyProblems(parsed.data);
  if (problems.length > 0) throw invalid(problems.map(([path, message]) => ({ path, message })));
  return parsed.data;
}

export const tenantSettingsSchema = z.strictObject({
  policy: z.unknown(),
  allowedOverrides: z.array(operatorKindSchema).max(OPERATOR_KINDS.length).default(['redact', 'tag']),
});

export function parseTenantSettings(input: unknown): TenantRedactionSettings {
  const outer = tenantSettingsSchema.safeParse(input);
  if (!outer.success) throw invalid(issuesOf(outer.error));
  const policy = parseRedactionPolicy(outer.data.policy);
  return { policy, allowedOverrides: [...new Set(outer.data.allowedOverrides)].sort() };
}

/** The settings in force for the tenant, and their version. */
export async function activeRedactionSettings(tx: Tx, tenantId: string): Promise<{ version: number; settings: TenantRedactionSettings }> {
  const row = await tx
    .withTables<RedactionPolicyTables>()
    .selectFrom('redaction_policies')
    .select(['version', 'document'])
    .where('tenant_id', '=', tenantId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) return { version: DEFAULT_REDACTION_POLICY_VERSION, settings: DEFAULT_REDACTION_SETTINGS };
  // A stored version that no longer validates (written by hand, or by a newer Custodia) must not
  // let text through unredacted: the error stops ingest rather than storing anything.
  return { version: row.version, settings: parseTenantSettings(typeof row.document === 'string' ? JSON.parse(row.document) : row.document) };
}

/**
 * Saves a new version of the tenant's redaction settings, recorded in the ledger with its digest
 * in the same transaction.
 */
export async function saveRedactionSettings(tx: Tx, input: { tenantId: string; document: unknown; by: string; now: Date }): Promise<{ version: number; settings: TenantRedactionSettings }> {
  const settings = parseTenantSettings(input.document);
  // Versions are numbered in turn: two saves at once wait for each other (rows are never updated,
  // so there is no row to lock).
  await sql`select pg_advisory_xact_lock(hashtextextended(${`custodia.redaction_policy.${input.tenantId}`}, 0))`.execute(tx);
  const t = tx.withTables<RedactionPolicyTables>();
  const latest = await t.selectFrom('redaction_policies').select('version').where('tenant_id', '=', input.tenantId).orderBy('version', 'desc').limit(1).executeTakeFirst();
  const version = (latest?.version ?? DEFAULT_REDACTION_POLICY_VERSION) + 1;
  const canonical = JSON.stringify({ policy: settings.policy, allowedOverrides: settings.allowedOverrides });
  const digest = sha256(canonical);
  await t.insertInto('redaction_policies').values({ tenant_id: input.tenantId, version, document: canonical, digest, created_at: input.now, created_by: input.by }).execute();
  await recordEntry(
    tx,
    input.tenantId,
    {
      actor: { type: 'agent', id: input.by },
      action: 'redaction.policy.update',
      targets: { policyDigest: digest.toString('hex') },
      details: { version, operators: Object.keys(settings.policy.operators).length, defaultOperator: settings.policy.defaultOperator.kind, allowedOverrides: settings.allowedOverrides.join(' ') || 'none' },
    },
    input.now,
  );
  return { version, settings };
}

/** A caller's per-request change to the tenant's policy (POST /v1/redact). */
export const redactionOverrideSchema = z.strictObject({
  operators: z.partialRecord(entityTypeSchema, operatorSchema).optional(),
  defaultOperator: operatorSchema.optional(),
  minConfidence: z.number().min(0).max(1).optional().describe("Only lower than (or equal to) the tenant's: a higher one would let detections through."),
});
export type RedactionOverride = z.infer<typeof redactionOverrideSchema>;

/**
 * The tenant's policy with a caller's override on top: every operator the override names must be
 * one the tenant allows (`redaction.override_not_allowed`), and the result must be a valid
 * policy (`redaction.invalid_policy`).
 */
export function applyOverride(settings: TenantRedactionSettings, override: RedactionOverride | undefined): RedactionPolicy {
  if (override === undefined) return settings.policy;
  const named: Operator[] = [...Object.values(override.operators ?? {}), ...(override.defaultOperator === undefined ? [] : [override.defaultOperator])].filter((o): o is Operator => o !== undefined);
  for (const op of named) {
    if (!settings.allowedOverrides.includes(op.kind)) {
      throw new AppError(RedactionApiErrors.override_not_allowed, { detail: `The contact center's redaction policy does not let callers choose the ${op.kind} operator`, details: { operator: op.kind } });
    }
  }
  const floor = settings.policy.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  if (override.minConfidence !== undefined && override.minConfidence > floor) {
    throw new AppError(RedactionApiErrors.override_not_allowed, { detail: `minConfidence may only be lowered (the contact center's is ${floor})`, details: { minConfidence: floor } });
  }
  const merged = {
    operators: { ...settings.policy.operators, ...(override.operators ?? {}) },
    defaultOperator: override.defaultOperator ?? settings.policy.defaultOperator,
    ...(override.minConfidence !== undefined ? { minConfidence: override.minConfidence } : settings.policy.minConfidence === undefined ? {} : { minConfidence: settings.policy.minConfidence }),
  };
  return parseRedactionPolicy(merged);
}

/** Whether any entity type of `policy` resolves to `kind`. */
export function policyUses(policy: RedactionPolicy, kind: Operator['kind']): boolean {
  return policy.defaultOperator.kind === kind || Object.values(policy.operators).some((op) => op?.kind === kind);
}

export interface RedactionPoliciesTable {
  tenant_id: string;
  version: number;
  document: unknown;
  digest: Buffer;
  created_at: Date;
  created_by: string;
}

export type RedactionPolicyTables = { redaction_policies: RedactionPoliciesTable };
