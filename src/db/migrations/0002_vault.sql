-- Vault: per-tenant key-encryption and blind-index keys, per-record data keys, card tokens, and
-- the job table that background work (key rotation first) runs from.
--
-- Key hierarchy: root key (key provider, never in the database)
--   -> tenant keys (tenant_keys; wrapped by the provider, bound to tenant, purpose and version)
--   -> data keys (data_keys; one per record, wrapped by a tenant KEK version)
--   -> field ciphertexts (in the owning tables).
-- Deleting a data key row makes every ciphertext under it undecryptable (crypto-shredding).

CREATE TABLE tenant_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('kek', 'index')),
  version integer NOT NULL CHECK (version > 0),
  wrapped_key text NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'retired')),
  created_at timestamptz NOT NULL,
  retired_at timestamptz,
  PRIMARY KEY (tenant_id, purpose, version),
  CHECK ((state = 'retired') = (retired_at IS NOT NULL))
);
ALTER TABLE tenant_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_keys
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
-- No DELETE: a retired key keeps its row (state, dates) as a record; its wrapped bytes are erased.
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'tenant_keys');

CREATE TABLE data_keys (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  owner_table text NOT NULL CHECK (owner_table ~ '^[a-z_]{1,63}$'),
  owner_id uuid NOT NULL,
  kek_version integer NOT NULL,
  wrapped_key text NOT NULL,
  created_at timestamptz NOT NULL,
  rewrapped_at timestamptz,
  CONSTRAINT data_keys_owner_key UNIQUE (tenant_id, owner_table, owner_id),
  FOREIGN KEY (tenant_id, kek_purpose, kek_version) REFERENCES tenant_keys (tenant_id, purpose, version),
  kek_purpose text NOT NULL DEFAULT 'kek' CHECK (kek_purpose = 'kek')
);
CREATE INDEX data_keys_kek_idx ON data_keys (tenant_id, kek_version);
ALTER TABLE data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_keys
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'data_keys');

-- Blind indexes: keyed, truncated HMACs of normalised values, so that a record can be found by
-- phone, email or document number without decrypting anything. Owners are any vault-protected row.
CREATE TABLE blind_indexes (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('phone', 'email', 'document')),
  digest bytea NOT NULL CHECK (octet_length(digest) BETWEEN 2 AND 32),
  owner_table text NOT NULL CHECK (owner_table ~ '^[a-z_]{1,63}$'),
  owner_id uuid NOT NULL,
  field text NOT NULL CHECK (field ~ '^[a-z_]{1,63}$'),
  PRIMARY KEY (tenant_id, owner_table, owner_id, field)
);
CREATE INDEX blind_indexes_lookup_idx ON blind_indexes (tenant_id, kind, digest);
ALTER TABLE blind_indexes ENABLE ROW LEVEL SECURITY;
ALTER TABLE blind_indexes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON blind_indexes
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'blind_indexes');

-- Card tokens: the PAN only as vault ciphertext; last four (and optionally first six) in clear,
-- as PCI DSS 3.4.1 allows for display.
CREATE TABLE card_tokens (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  token text NOT NULL CHECK (token ~ '^[0-9]{13,19}$'),
  pan_ciphertext text NOT NULL,
  last4 text NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
  first6 text CHECK (first6 ~ '^[0-9]{6}$'),
  owner_table text NOT NULL CHECK (owner_table ~ '^[a-z_]{1,63}$'),
  owner_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT card_tokens_token_key UNIQUE (tenant_id, token)
);
ALTER TABLE card_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE card_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON card_tokens
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT, DELETE', 'card_tokens');

-- Background jobs, claimed with FOR UPDATE SKIP LOCKED so several processes can share the work.
CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind ~ '^[a-z_.]{1,63}$'),
  state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  progress jsonb NOT NULL DEFAULT '{}'::jsonb,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX jobs_pending_idx ON jobs (tenant_id, state) WHERE state IN ('queued', 'running');
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON jobs
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'jobs');
