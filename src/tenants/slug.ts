import { z } from 'zod';

/**
 * Slugs appear in URLs, logs and CLI arguments: lowercase letters, digits and inner hyphens,
 * 2 to 40 characters. Names that could be mistaken for parts of the product are reserved.
 */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$/;
const RESERVED = new Set(['admin', 'api', 'app', 'console', 'custodia', 'docs', 'health', 'login', 'metrics', 'platform', 'root', 'static', 'system', 'www']);

export const tenantSlugSchema = z
  .string()
  .min(2)
  .max(40)
  .regex(SLUG, 'lowercase letters, digits and inner hyphens, 2-40 characters')
  .refine((slug) => !slug.includes('--'), 'must not contain consecutive hyphens')
  .refine((slug) => !RESERVED.has(slug), 'is reserved');

export function isValidTenantSlug(value: string): boolean {
  return tenantSlugSchema.safeParse(value).success;
}
