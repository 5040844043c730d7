-- Tombstones of erased data keys. A value whose data key was erased answers "erased"
-- (vault.key_shredded, 410) only when this tenant really erased that key; a value naming a key
-- this tenant never had (copied from another tenant, or forged) answers vault.decrypt_failed,
-- like any other value that does not open. Ids only: nothing here says what the record held.
CREATE TABLE shredded_data_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  owner_table text NOT NULL CHECK (owner_table ~ '^[a-z_]{1,63}$'),
  owner_id uuid NOT NULL,
  shredded_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE shredded_data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE shredded_data_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON shredded_data_keys
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT', 'shredded_data_keys');
