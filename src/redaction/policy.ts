/**
 * Redaction policies: which operator applies to which entity type, validated with zod so a tenant's
 * configuration is checked at the boundary (and documented in the OpenAPI description).
 */
import { z } from 'zod';
import { ENTITY_TYPES, type EntityType } from './types.js';

/** What replaces a detected value. */
export type Operator =
  | { kind: 'redact' }
  | { kind: 'mask'; keepLast: number; char?: string }
  | { kind: 'tag' }
  | { kind: 'hash' }
  | { kind: 'encrypt' }
  | { kind: 'tokenize' };

export interface RedactionPolicy {
  operators: Partial<Record<EntityType, Operator>>;
  defaultOperator: Operator;
  /** Detections below this confidence are left alone (default: detect's default, 0.6). */
  minConfidence?: number;
}

/** Most characters `mask` may keep; more would leave too little hidden (PCI DSS allows last 4). */
export const MASK_KEEP_MAX = 8;

export const operatorSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('redact') }),
  z.strictObject({
    kind: z.literal('mask'),
    keepLast: z.number().int().min(0).max(MASK_KEEP_MAX),
    // A letter or digit as the mask character would make masked text look like data.
    char: z
      .string()
      .length(1)
      .refine((c) => !/[\p{L}\p{N}]/u.test(c), 'must not be a letter or digit')
      .optional(),
  }),
  z.strictObject({ kind: z.literal('tag') }),
  z.strictObject({ kind: z.literal('hash') }),
  z.strictObject({ kind: z.literal('encrypt') }),
  z.strictObject({ kind: z.literal('tokenize') }),
]);

export const entityTypeSchema = z.enum(ENTITY_TYPES as unknown as [EntityType, ...EntityType[]]);

export const redactionPolicySchema: z.ZodType<RedactionPolicy> = z
  .strictObject({
    operators: z.partialRecord(entityTypeSchema, operatorSchema),
    defaultOperator: operatorSchema,
    minConfidence: z.number().min(0).max(1).optional(),
  })
  .superRefine((policy, ctx) => {
    // Tokens are format-preserving card surrogates from the vault; no other type has them.
    if (policy.defaultOperator.kind === 'tokenize') {
      ctx.addIssue({ code: 'custom', path: ['defaultOperator'], message: 'tokenize applies to CARD_NUMBER only' });
    }
    for (const [type, op] of Object.entries(policy.operators)) {
      if (op?.kind === 'tokenize' && type !== 'CARD_NUMBER') {
        ctx.addIssue({ code: 'custom', path: ['operators', type], message: 'tokenize applies to CARD_NUMBER only' });
      }
    }
  }) as z.ZodType<RedactionPolicy>;

/** Safe default: every type becomes its tag (`<CARD_NUMBER>`); nothing needs a key or the vault. */
export const DEFAULT_REDACTION_POLICY: RedactionPolicy = Object.freeze({
  operators: Object.freeze({ CARD_NUMBER: Object.freeze({ kind: 'tag' }) }) as Partial<Record<EntityType, Operator>>,
  defaultOperator: Object.freeze({ kind: 'tag' }) as Operator,
}) as RedactionPolicy;

export function operatorFor(policy: RedactionPolicy, type: EntityType): Operator {
  return policy.operators[type] ?? policy.defaultOperator;
}

export function isAsyncOperator(op: Operator): boolean {
  return op.kind === 'encrypt' || op.kind === 'tokenize';
}
