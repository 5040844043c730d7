import type { ColumnType, Generated } from 'kysely';

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

export interface TenantKeysTable {
  tenant_id: string;
  purpose: 'kek' | 'index';
  version: number;
  wrapped_key: string;
  state: 'active' | 'retired';
  created_at: Date;
  retired_at: Date | null;
}

export interface DataKeysTable {
  id: string;
  tenant_id: string;
  owner_table: string;
  owner_id: string;
  kek_version: number;
  kek_purpose: ColumnType<'kek', 'kek' | undefined, never>;
  wrapped_key: string;
  created_at: Date;
  rewrapped_at: Date | null;
}

export interface BlindIndexesTable {
  tenant_id: string;
  kind: 'phone' | 'email' | 'document';
  digest: Uint8Array;
  owner_table: string;
  owner_id: string;
  field: string;
}

export interface CardTokensTable {
  id: string;
  tenant_id: string;
  token: string;
  pan_ciphertext: string;
  last4: string;
  first6: string | null;
  owner_table: string;
  owner_id: string;
  created_at: Date;
}

export interface JobsTable {
  id: string;
  tenant_id: string;
  kind: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  payload: ColumnType<Record<string, unknown>, string, string>;
  progress: ColumnType<Record<string, unknown>, string | undefined, string>;
  attempts: ColumnType<number, number | undefined, number>;
  failures: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface LedgerQueueTable {
  id: Generated<number>;
  tenant_id: string;
  at: Date;
  body: ColumnType<Record<string, unknown>, string, never>;
}

export interface LedgerEntriesTable {
  tenant_id: string;
  seq: number;
  at: Date;
  action: string;
  actor_type: string;
  actor_id: string;
  customer_id: string | null;
  entry: string;
}

export interface LedgerNodesTable {
  tenant_id: string;
  level: number;
  idx: number;
  hash: Buffer;
}

export interface LedgerHeadsTable {
  tenant_id: string;
  size: number;
  root: Buffer;
  frontier: ColumnType<{ size: number; nodes: string[] }, string, string>;
  checkpointed_size: ColumnType<number, number | undefined, number>;
  updated_at: Date;
}

export interface LedgerCheckpointsTable {
  tenant_id: string;
  size: number;
  root: Buffer;
  at: Date;
  key_id: string;
  signature: Buffer;
}

export interface LedgerWitnessQueueTable {
  tenant_id: string;
  size: number;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
}

export interface LedgerSigningKeysTable {
  id: string;
  public_key: Buffer;
  wrapped_private_key: string;
  created_at: Date;
}

export interface ShreddedDataKeysTable {
  tenant_id: string;
  id: string;
  owner_table: string;
  owner_id: string;
  shredded_at: Date;
}

export interface Schema {
  schema_migrations: SchemaMigrationsTable;
  tenants: TenantsTable;
  platform_tokens: PlatformTokensTable;
  invitations: InvitationsTable;
  customers: CustomersTable;
  tenant_keys: TenantKeysTable;
  data_keys: DataKeysTable;
  blind_indexes: BlindIndexesTable;
  card_tokens: CardTokensTable;
  jobs: JobsTable;
  shredded_data_keys: ShreddedDataKeysTable;
  ledger_queue: LedgerQueueTable;
  ledger_entries: LedgerEntriesTable;
  ledger_nodes: LedgerNodesTable;
  ledger_heads: LedgerHeadsTable;
  ledger_checkpoints: LedgerCheckpointsTable;
  ledger_witness_queue: LedgerWitnessQueueTable;
  ledger_signing_keys: LedgerSigningKeysTable;
}
