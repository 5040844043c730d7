/**
 * Row types of every table, as Kysely sees them. The SQL in `migrations/` is the source of truth;
 * change these in the same commit as the migration that changes a table.
 */
export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'suspended';
  created_at: Date;
  updated_at: Date;
}

export interface PlatformTokensTable {
  id: string;
  name: string;
  token_hash: Uint8Array;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface InvitationsTable {
  id: string;
  tenant_id: string;
  email: string;
  role: string;
  token_hash: Uint8Array;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

export interface CustomersTable {
  id: string;
  tenant_id: string;
  customer_number: string;
  created_at: Date;
}

export interface Schema {
  schema_migrations: SchemaMigrationsTable;
  tenants: TenantsTable;
  platform_tokens: PlatformTokensTable;
  invitations: InvitationsTable;
  customers: CustomersTable;
}
