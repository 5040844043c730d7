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

// ---- agents (migration 0008) -------------------------------------------------------------------

export interface AgentsTable {
  id: string;
  email: string;
  display_name: string;
  status: 'active' | 'disabled';
  created_at: Date;
  updated_at: Date;
}

export interface AgentMembershipsTable {
  tenant_id: string;
  agent_id: string;
  role: string;
  status: 'active' | 'suspended';
  created_at: Date;
  updated_at: Date;
}

export interface AgentPasswordsTable {
  agent_id: string;
  hash: string;
  changed_at: Date;
}

export interface AgentTotpTable {
  id: string;
  agent_id: string;
  secret: string;
  state: 'pending' | 'active';
  last_used_step: ColumnType<string | null, number | null, number | null>;
  created_at: Date;
  confirmed_at: Date | null;
}

export interface AgentWebauthnCredentialsTable {
  id: string;
  agent_id: string;
  credential_id: string;
  public_key: Uint8Array;
  sign_count: ColumnType<string, number, number>;
  transports: string[];
  name: string;
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

export interface AgentRecoveryCodesTable {
  agent_id: string;
  code_hash: Uint8Array;
  created_at: Date;
  used_at: Date | null;
}

export type SessionFactor = 'password' | 'totp' | 'webauthn' | 'recovery' | 'sms';
export type SessionLockReason = 'idle' | 'presence' | 'multiple_faces' | 'manual';
export type SessionRevokedReason = 'logout' | 'self' | 'security_officer' | 'replaced' | 'agent_disabled' | 'device_revoked';

export interface AgentSessionsTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  token_hash: Uint8Array;
  kind: 'console' | 'bearer';
  factor: SessionFactor;
  csrf_hash: Uint8Array | null;
  created_at: Date;
  expires_at: Date;
  last_activity_at: Date;
  second_factor_at: Date | null;
  locked_at: Date | null;
  lock_reason: SessionLockReason | null;
  presence_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: SessionRevokedReason | null;
  challenge: string | null;
  challenge_purpose: 'register' | 'authenticate' | null;
  challenge_expires_at: Date | null;
  ip: string | null;
  user_agent: string | null;
  device_id: string | null;
  network: string | null;
  factor_credential_id: string | null;
  proof_factor: Exclude<SessionFactor, 'password'> | null;
  pending_device_key: Uint8Array | null;
  pending_device_name: string | null;
  sms_code: string | null;
  sms_code_expires_at: Date | null;
  sms_code_purpose: 'enroll' | 'sign_in' | null;
  sms_sent_at: Date | null;
}

export type DeviceStatus = 'pending' | 'approved' | 'revoked';

export interface AgentDevicesTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  kind: 'browser_key' | 'webauthn';
  thumbprint: Uint8Array;
  public_key: Uint8Array | null;
  webauthn_credential_id: string | null;
  name: string;
  status: DeviceStatus;
  created_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  last_seen_at: Date;
}

export interface AgentNetworksTable {
  tenant_id: string;
  agent_id: string;
  network: string;
  status: 'pending' | 'approved' | 'denied';
  first_seen_at: Date;
  last_seen_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
}

export interface AgentSmsPhonesTable {
  agent_id: string;
  phone: string;
  hint: string;
  state: 'pending' | 'active';
  created_at: Date;
  confirmed_at: Date | null;
}

export interface TenantSecuritySettingsTable {
  tenant_id: string;
  settings: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Date;
  updated_by: string | null;
}

export interface AgentShiftsTable {
  tenant_id: string;
  agent_id: string;
  schedule: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Date;
  updated_by: string;
}

export interface AgentShiftExceptionsTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  kind: 'overtime';
  starts_at: Date;
  ends_at: Date;
  granted_by: string;
  created_at: Date;
}

export interface AgentTrainingTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  course: string;
  completed_at: Date;
  expires_at: Date;
  recorded_by: string;
  created_at: Date;
}

export interface AgentConductAcksTable {
  tenant_id: string;
  agent_id: string;
  version: string;
  acknowledged_at: Date;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  key_hash: Uint8Array;
  scopes: string[];
  created_by: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface SecurityAlertsTable {
  id: string;
  tenant_id: string;
  kind: string;
  agent_id: string | null;
  details: ColumnType<Record<string, unknown>, string, string>;
  created_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
}

/** Customer profiles (migration 0010; src/customers/). */
export type CustomerFieldType = 'name' | 'phone' | 'email' | 'document' | 'address' | 'date' | 'card_token' | 'free_text' | 'number';
export type CustomerFieldClass = 'public' | 'internal' | 'confidential' | 'restricted' | 'payment';
export type CustomerActorType = 'agent' | 'service' | 'system' | 'platform';

export interface CustomerFieldDefinitionsTable {
  tenant_id: string;
  key: string;
  label: string;
  field_type: CustomerFieldType;
  field_class: CustomerFieldClass;
  purpose: string;
  retention_days: number;
  searchable: boolean;
  position: number;
  schema_version: number;
  created_at: Date;
  updated_at: Date;
  retired_at: Date | null;
}

export interface CustomerFieldValuesTable {
  tenant_id: string;
  customer_id: string;
  field_key: string;
  field_class: CustomerFieldClass;
  value_clear: string | null;
  value_cipher: string | null;
  confirmed_at: Date | null;
  updated_at: Date;
  updated_by_type: CustomerActorType;
  updated_by: string;
}

export interface CustomerFieldHistoryTable {
  id: string;
  tenant_id: string;
  customer_id: string;
  field_key: string;
  action: 'create' | 'update' | 'clear' | 'confirm';
  actor_type: CustomerActorType;
  actor_id: string;
  at: Date;
}

export interface AccessPoliciesTable {
  tenant_id: string;
  version: number;
  document: ColumnType<Record<string, unknown>, string, string>;
  digest: Uint8Array;
  created_at: Date;
  created_by: string;
}

export interface AccessRevealsTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  session_id: string;
  customer_id: string;
  field_key: string;
  interaction_id: string | null;
  break_glass_id: string | null;
  reason_code: string;
  reason_text: string | null;
  created_at: Date;
  expires_at: Date;
}

export interface AccessBreakGlassTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  customer_id: string;
  justification: string;
  created_at: Date;
  expires_at: Date;
  ended_at: Date | null;
  review_state: 'open' | 'justified' | 'unjustified';
  reviewed_by: string | null;
  reviewed_at: Date | null;
  review_note: string | null;
}

// ---- interactions (migration 0011) -------------------------------------------------------------

export type InteractionChannel = 'call' | 'chat' | 'email';
export type InteractionDirection = 'inbound' | 'outbound';
export type InteractionState = 'queued' | 'active' | 'wrap_up' | 'closed';

export interface InteractionsTable {
  id: string;
  tenant_id: string;
  channel: InteractionChannel;
  direction: InteractionDirection;
  customer_id: string | null;
  assigned_agent_id: string | null;
  state: InteractionState;
  purpose: string | null;
  external_ref: string | null;
  verification_level: ColumnType<number, number | undefined, number>;
  customer_link_trusted: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Date;
  started_at: Date | null;
  wrap_up_at: Date | null;
  closed_at: Date | null;
  updated_at: Date;
}

export interface InteractionEventsTable {
  // GENERATED ALWAYS AS IDENTITY: never written by the application.
  seq: ColumnType<number, never, never>;
  tenant_id: string;
  interaction_id: string;
  kind: 'create' | 'state' | 'assign' | 'transfer' | 'link_customer';
  at: Date;
  actor_type: 'agent' | 'service';
  actor_id: string;
  from_state: InteractionState | null;
  to_state: InteractionState | null;
  from_agent_id: string | null;
  to_agent_id: string | null;
  from_channel: InteractionChannel | null;
  to_channel: InteractionChannel | null;
  from_customer_id: string | null;
  to_customer_id: string | null;
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
  agents: AgentsTable;
  agent_memberships: AgentMembershipsTable;
  agent_passwords: AgentPasswordsTable;
  agent_totp: AgentTotpTable;
  agent_webauthn_credentials: AgentWebauthnCredentialsTable;
  agent_recovery_codes: AgentRecoveryCodesTable;
  agent_sessions: AgentSessionsTable;
  tenant_security_settings: TenantSecuritySettingsTable;
  agent_shifts: AgentShiftsTable;
  agent_shift_exceptions: AgentShiftExceptionsTable;
  agent_training: AgentTrainingTable;
  agent_conduct_acks: AgentConductAcksTable;
  api_keys: ApiKeysTable;
  security_alerts: SecurityAlertsTable;
  agent_devices: AgentDevicesTable;
  agent_networks: AgentNetworksTable;
  agent_sms_phones: AgentSmsPhonesTable;
  customer_field_definitions: CustomerFieldDefinitionsTable;
  customer_field_values: CustomerFieldValuesTable;
  customer_field_history: CustomerFieldHistoryTable;
  access_policies: AccessPoliciesTable;
  access_reveals: AccessRevealsTable;
  access_break_glass: AccessBreakGlassTable;
  interactions: InteractionsTable;
  interaction_events: InteractionEventsTable;
}
