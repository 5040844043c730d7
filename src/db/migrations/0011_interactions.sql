-- Interactions (src/interactions/): a tenant's calls, chats and emails, their state, the agent
-- each is assigned to and the customer it is linked to, and an append-only history of changes.
--
-- The access layer (src/access/) opens a customer's record only through an interaction in
-- `active` or `wrap_up` that is assigned to the agent and linked to that customer, so these rows
-- decide who may see whom. That is why the references below are checked by the database and
-- bound to the tenant, not only by the application.

CREATE TABLE interactions (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('call', 'chat', 'email')),
  direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  -- Unknown while the caller is not identified; linked later.
  customer_id uuid,
  assigned_agent_id uuid,
  state text NOT NULL CHECK (state IN ('queued', 'active', 'wrap_up', 'closed')),
  -- Why the customer is in contact (`billing`, `fraud`...): the access policy reads it.
  purpose text CHECK (purpose ~ '^[a-z][a-z0-9_]{0,31}$'),
  -- The telephony or chat platform's own id, so that it can retry a creation safely. Printable
  -- ASCII without spaces; the application never writes it to logs or the ledger.
  external_ref text CHECK (char_length(external_ref) BETWEEN 1 AND 128 AND external_ref ~ '^[!-~]+$'),
  -- The caller's assurance level (0 none .. 3 high), written by caller verification. Kept on the
  -- interaction, not on a leg of it, so that it survives transfers between agents and channels.
  verification_level smallint NOT NULL DEFAULT 0 CHECK (verification_level BETWEEN 0 AND 3),
  -- Whether the customer link (and purpose) can open the customer's record (src/access/grants.ts):
  -- set by the platform (an API key), or by a supervisor for someone else. An agent who links a
  -- customer to their own interaction, or takes one for themselves, does not get the record
  -- through it: otherwise any agent could open any record by creating an interaction.
  customer_link_trusted boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  wrap_up_at timestamptz,
  closed_at timestamptz,
  updated_at timestamptz NOT NULL,
  -- The timestamps say which states the interaction went through; the access layer computes the
  -- end of a grant from them, so they must agree with the state. `closed` without `started_at`
  -- is an abandoned call (queued -> closed); without `wrap_up_at`, one closed straight from active.
  CONSTRAINT interactions_state_times CHECK (CASE state
    WHEN 'queued' THEN started_at IS NULL AND wrap_up_at IS NULL AND closed_at IS NULL
    WHEN 'active' THEN started_at IS NOT NULL AND wrap_up_at IS NULL AND closed_at IS NULL
    WHEN 'wrap_up' THEN started_at IS NOT NULL AND wrap_up_at IS NOT NULL AND closed_at IS NULL
    ELSE closed_at IS NOT NULL AND (wrap_up_at IS NULL OR started_at IS NOT NULL)
  END),
  -- Someone handles an interaction that is under way: an active or wrap-up interaction without an
  -- agent would anchor nobody's access, and would hide who had it.
  CONSTRAINT interactions_handled CHECK (state IN ('queued', 'closed') OR assigned_agent_id IS NOT NULL),
  CONSTRAINT interactions_tenant_row_key UNIQUE (tenant_id, id),
  -- NULLs are distinct: only interactions that have a reference are held to one per tenant.
  CONSTRAINT interactions_external_ref_key UNIQUE (tenant_id, external_ref),
  -- The customer and the agent are referenced together with the tenant, so that even a bug that
  -- slips another tenant's id past the application cannot store it: foreign-key checks do not see
  -- row-level security. (customers_tenant_id_key, the target here, comes from migration 0010.)
  -- A purged customer leaves the interaction in place, unlinked (only customer_id is cleared).
  CONSTRAINT interactions_customer_fkey FOREIGN KEY (tenant_id, customer_id)
    REFERENCES customers (tenant_id, id) ON DELETE SET NULL (customer_id),
  -- Only a member of this tenant can be assigned. Memberships are suspended, never deleted.
  CONSTRAINT interactions_agent_fkey FOREIGN KEY (tenant_id, assigned_agent_id)
    REFERENCES agent_memberships (tenant_id, agent_id)
);
-- The access layer's question: "an active or wrap-up interaction assigned to this agent and
-- linked to this customer". Closed interactions, the large majority, stay out of this index.
CREATE INDEX interactions_open_agent_customer_idx ON interactions (tenant_id, assigned_agent_id, customer_id)
  WHERE state IN ('active', 'wrap_up');
CREATE INDEX interactions_agent_idx ON interactions (tenant_id, assigned_agent_id, created_at);
CREATE INDEX interactions_state_idx ON interactions (tenant_id, state, created_at);
-- For the customer foreign key (a customer's deletion finds its interactions).
CREATE INDEX interactions_customer_idx ON interactions (tenant_id, customer_id) WHERE customer_id IS NOT NULL;

-- What happened to an interaction, in order: creation, state changes, assignments, transfers and
-- customer links, with who did it and when. Ids and codes only: no personal data. Append-only
-- (the application role has no UPDATE or DELETE); the ledger holds the tamper-evident copy.
CREATE TABLE interaction_events (
  -- Orders the events; never shown (it would tell how busy other tenants are).
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  interaction_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('create', 'state', 'assign', 'transfer', 'link_customer')),
  at timestamptz NOT NULL,
  -- An agent (agents.id) or a service account's API key (api_keys.id).
  actor_type text NOT NULL CHECK (actor_type IN ('agent', 'service')),
  actor_id uuid NOT NULL,
  from_state text CHECK (from_state IN ('queued', 'active', 'wrap_up', 'closed')),
  to_state text CHECK (to_state IN ('queued', 'active', 'wrap_up', 'closed')),
  from_agent_id uuid,
  to_agent_id uuid,
  from_channel text CHECK (from_channel IN ('call', 'chat', 'email')),
  to_channel text CHECK (to_channel IN ('call', 'chat', 'email')),
  from_customer_id uuid,
  to_customer_id uuid,
  -- Each kind carries what it changed, and only that.
  CONSTRAINT interaction_events_shape CHECK (CASE kind
    WHEN 'create' THEN to_state IS NOT NULL AND to_channel IS NOT NULL
      AND from_state IS NULL AND from_agent_id IS NULL AND from_channel IS NULL AND from_customer_id IS NULL
    WHEN 'state' THEN from_state IS NOT NULL AND to_state IS NOT NULL AND from_state <> to_state
      AND num_nonnulls(from_agent_id, to_agent_id, from_channel, to_channel, from_customer_id, to_customer_id) = 0
    WHEN 'assign' THEN to_agent_id IS NOT NULL AND to_agent_id IS DISTINCT FROM from_agent_id
      AND num_nonnulls(from_state, to_state, from_channel, to_channel, from_customer_id, to_customer_id) = 0
    WHEN 'transfer' THEN from_channel IS NOT NULL AND to_channel IS NOT NULL
      AND (to_channel <> from_channel OR (to_agent_id IS NOT NULL AND to_agent_id IS DISTINCT FROM from_agent_id))
      AND num_nonnulls(from_state, to_state, from_customer_id, to_customer_id) = 0
    ELSE to_customer_id IS NOT NULL AND to_customer_id IS DISTINCT FROM from_customer_id
      AND num_nonnulls(from_state, to_state, from_agent_id, to_agent_id, from_channel, to_channel) = 0
  END),
  CONSTRAINT interaction_events_interaction_fkey FOREIGN KEY (tenant_id, interaction_id)
    REFERENCES interactions (tenant_id, id)
);
CREATE INDEX interaction_events_interaction_idx ON interaction_events (tenant_id, interaction_id, seq);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['interactions', 'interaction_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())', t);
  END LOOP;
END
$$;
-- Interactions are closed, never deleted (retention will say when they go).
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'interactions');
SELECT custodia_grant('SELECT, INSERT', 'interaction_events');
