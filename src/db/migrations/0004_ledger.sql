-- The tamper-evident ledger (docs/ledger.md).
--
-- Writers add a row to ledger_queue in the same transaction as the change it records. A
-- sequencer (one at a time per tenant, under an advisory lock) moves queued rows into
-- ledger_entries with the next gapless sequence number, their canonical bytes, and the Merkle
-- tree's node hashes (ledger_nodes), and signs checkpoints (ledger_checkpoints). Writers never
-- wait for each other: the only serial step is the sequencer's, batched.
--
-- Entries, nodes and checkpoints are append-only: the application role has no UPDATE or DELETE
-- on them, and a trigger refuses both to every role (the owner too), except the cascade that
-- deletes a whole tenant.

CREATE TABLE ledger_queue (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  body jsonb NOT NULL
);
CREATE INDEX ledger_queue_tenant_idx ON ledger_queue (tenant_id, id);
ALTER TABLE ledger_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_queue
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
-- The sequencer finds which tenants have queued entries in one query (as jobs_worker_scan).
-- Entries hold no personal data in clear by construction (src/ledger/entry.ts).
CREATE POLICY ledger_queue_scan ON ledger_queue FOR SELECT
  USING (app_platform_scope() AND tenant_id IS NOT NULL);
SELECT custodia_grant('SELECT, INSERT, DELETE', 'ledger_queue');

CREATE TABLE ledger_entries (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  seq bigint NOT NULL CHECK (seq >= 0),
  at timestamptz NOT NULL,
  action text NOT NULL,
  actor_type text NOT NULL,
  actor_id text NOT NULL,
  customer_id uuid,
  -- The entry exactly as hashed into the tree (canonical JSON, docs/ledger.md). The columns
  -- above are copies for queries; the verifier checks that they agree with it.
  entry text NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX ledger_entries_customer_idx ON ledger_entries (tenant_id, customer_id, seq) WHERE customer_id IS NOT NULL;
ALTER TABLE ledger_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_entries
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT', 'ledger_entries');

-- Hashes of the complete subtrees of the Merkle tree: level 0 holds the leaf hashes, level k the
-- root of leaves [idx * 2^k, (idx + 1) * 2^k). Proofs read O(log n) of them.
CREATE TABLE ledger_nodes (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
  idx bigint NOT NULL CHECK (idx >= 0),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (tenant_id, level, idx)
);
ALTER TABLE ledger_nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_nodes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_nodes
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT', 'ledger_nodes');

-- The sequencer's state per tenant: the tree size and its right edge (compact frontier).
CREATE TABLE ledger_heads (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  size bigint NOT NULL CHECK (size >= 0),
  root bytea NOT NULL CHECK (octet_length(root) = 32),
  frontier jsonb NOT NULL,
  checkpointed_size bigint NOT NULL DEFAULT 0 CHECK (checkpointed_size <= size),
  updated_at timestamptz NOT NULL
);
ALTER TABLE ledger_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_heads
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
-- The sequencer finds tenants whose tree grew since their last checkpoint (time-based checkpoints).
CREATE POLICY ledger_heads_scan ON ledger_heads FOR SELECT
  USING (app_platform_scope() AND tenant_id IS NOT NULL);
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'ledger_heads');

-- Signed tree heads. `signature` is Ed25519 over the checkpoint note (docs/ledger.md).
CREATE TABLE ledger_checkpoints (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  size bigint NOT NULL CHECK (size > 0),
  root bytea NOT NULL CHECK (octet_length(root) = 32),
  at timestamptz NOT NULL,
  key_id text NOT NULL,
  signature bytea NOT NULL CHECK (octet_length(signature) = 64),
  PRIMARY KEY (tenant_id, size)
);
ALTER TABLE ledger_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_checkpoints
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT', 'ledger_checkpoints');

-- Checkpoints not yet delivered to the external witness (file or HTTP), with the last failure.
-- Kept apart so that ledger_checkpoints stays append-only.
CREATE TABLE ledger_witness_queue (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  size bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  PRIMARY KEY (tenant_id, size),
  FOREIGN KEY (tenant_id, size) REFERENCES ledger_checkpoints (tenant_id, size) ON DELETE CASCADE
);
ALTER TABLE ledger_witness_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_witness_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_witness_queue
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY ledger_witness_scan ON ledger_witness_queue FOR SELECT
  USING (app_platform_scope() AND tenant_id IS NOT NULL);
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'ledger_witness_queue');

-- The deployment's checkpoint signing keys. The private key is stored only wrapped by the key
-- provider (as tenant KEKs are); anyone may read the public key.
CREATE TABLE ledger_signing_keys (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
  public_key bytea NOT NULL CHECK (octet_length(public_key) = 32),
  wrapped_private_key text NOT NULL,
  created_at timestamptz NOT NULL
);
ALTER TABLE ledger_signing_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_signing_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY ledger_signing_keys_read ON ledger_signing_keys FOR SELECT USING (true);
CREATE POLICY ledger_signing_keys_create ON ledger_signing_keys FOR INSERT WITH CHECK (app_platform_scope());
SELECT custodia_grant('SELECT, INSERT', 'ledger_signing_keys');

-- Append-only, for every role including the owner (who could drop the trigger, but not by
-- accident, and not unseen: the verifier recomputes the tree). The one delete allowed is the
-- cascade from deleting the tenant itself, which runs nested inside the foreign key's trigger.
CREATE FUNCTION ledger_append_only() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF pg_trigger_depth() > 1 THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'ledger rows are append-only (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_nodes_append_only BEFORE UPDATE OR DELETE ON ledger_nodes
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
