-- Least-privilege access to customer records (src/access/): the tenant's access policies
-- (versioned documents), just-in-time reveals and break-glass grants.

-- Every version of a tenant's policy document is kept; the highest is in force. No version is
-- ever changed or deleted (the application role can only insert): what decided an access in the
-- past can always be shown.
CREATE TABLE access_policies (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version >= 1),
  document jsonb NOT NULL CHECK (jsonb_typeof(document) = 'object'),
  -- SHA-256 of the canonical document, recorded in the ledger with the change.
  digest bytea NOT NULL CHECK (octet_length(digest) = 32),
  created_at timestamptz NOT NULL,
  created_by uuid NOT NULL,
  PRIMARY KEY (tenant_id, version)
);

-- A just-in-time reveal: one field of one customer, for one agent's session, for a few minutes,
-- with the reason given. The reason text is the agent's words (it may name the customer's
-- situation): kept here for the security officer, never copied to the ledger.
CREATE TABLE access_reveals (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id),
  session_id uuid NOT NULL REFERENCES agent_sessions (id),
  customer_id uuid NOT NULL,
  field_key text NOT NULL CHECK (field_key ~ '^[a-z][a-z0-9_]{0,63}$'),
  interaction_id uuid,
  break_glass_id uuid,
  reason_code text NOT NULL CHECK (reason_code ~ '^[a-z][a-z0-9_]{0,63}$'),
  reason_text text CHECK (char_length(reason_text) <= 500),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
  -- With the tenant: foreign keys ignore row-level security, so this is what keeps another
  -- tenant's ids out at the database.
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, interaction_id) REFERENCES interactions (tenant_id, id)
);
CREATE INDEX access_reveals_session_idx ON access_reveals (tenant_id, session_id, customer_id, expires_at);

-- Break-glass: a time-limited emergency grant to one customer's record without an interaction,
-- with a mandatory justification, an alert at once and a review afterwards.
CREATE TABLE access_break_glass (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id),
  customer_id uuid NOT NULL,
  justification text NOT NULL CHECK (char_length(justification) BETWEEN 20 AND 1000),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
  ended_at timestamptz,
  review_state text NOT NULL CHECK (review_state IN ('open', 'justified', 'unjustified')),
  reviewed_by uuid,
  reviewed_at timestamptz,
  review_note text CHECK (char_length(review_note) <= 1000),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX access_break_glass_agent_idx ON access_break_glass (tenant_id, agent_id, customer_id, expires_at);
CREATE INDEX access_break_glass_review_idx ON access_break_glass (tenant_id, created_at) WHERE review_state = 'open';

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['access_policies', 'access_reveals', 'access_break_glass'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())', t);
  END LOOP;
END
$$;
SELECT custodia_grant('SELECT, INSERT', 'access_policies');
SELECT custodia_grant('SELECT, INSERT', 'access_reveals');
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'access_break_glass');
