import { z } from 'zod';

/** The roles an agent can hold in a tenant (see PRODUCT.md, "Who uses it"). */
export const ROLES = ['agent', 'senior_agent', 'supervisor', 'security_officer', 'tenant_admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);
