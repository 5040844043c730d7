-- Interaction messages: chat messages, email bodies and transcript segments, stored only after
-- redaction, and the tenant's redaction policy. Tables follow.
--
-- Nothing here holds a customer's words in clear: message texts are stored as the tenant's
-- redaction policy left them (src/interactions/messages.ts); the only place raw text rests is the
-- short tail of a live transcript held back between two segments (a card number may continue in
-- the next one), and that only as vault ciphertext, bounded in size, deleted with the final
-- segment.

-- Every version of a tenant's redaction policy is kept; the highest is in force (version 1 is
-- Custodia's built-in default and has no row). Never changed or deleted by the application.
CREATE TABLE redaction_policies (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version >= 2),
  document jsonb NOT NULL CHECK (jsonb_typeof(document) = 'object'),
  -- SHA-256 of the canonical document, recorded in the ledger with the change.
  digest bytea NOT NULL CHECK (octet_length(digest) = 32),
  created_at timestamptz NOT NULL,
  created_by uuid NOT NULL,
  PRIMARY KEY (tenant_id, version)
);

-- One message of an interaction, as redacted on ingest. Append-only for the application.
CREATE TABLE interaction_messages (
  id uuid PRIMARY KEY,
  -- Orders the messages of an interaction; never shown (it would tell how busy other tenants are).
  seq bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  interaction_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('chat', 'email', 'transcript')),
  -- Chat and email: who wrote it. Transcripts: the platform's speaker label (`customer`, `agent`,
  -- `spk_1`), a code, never a name.
  sender text CHECK (sender IN ('customer', 'agent', 'bot', 'system')),
  speaker text CHECK (speaker ~ '^[a-z0-9_-]{1,32}$'),
  -- Offsets of a transcript segment in the call's audio, in milliseconds.
  start_ms integer CHECK (start_ms >= 0),
  end_ms integer CHECK (end_ms >= 0),
  final boolean,
  subject_redacted text CHECK (char_length(subject_redacted) <= 4000),
  body_redacted text NOT NULL,
  language text NOT NULL CHECK (language IN ('es', 'pt', 'en')),
  -- The redaction policy version applied, and how many values of each type it replaced.
  policy_version integer NOT NULL CHECK (policy_version >= 1),
  redactions jsonb NOT NULL CHECK (jsonb_typeof(redactions) = 'object'),
  actor_type text NOT NULL CHECK (actor_type IN ('agent', 'service')),
  actor_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT interaction_messages_shape CHECK (CASE kind
    WHEN 'transcript' THEN speaker IS NOT NULL AND sender IS NULL AND subject_redacted IS NULL AND final IS NOT NULL
      AND (start_ms IS NULL OR end_ms IS NULL OR end_ms >= start_ms)
    WHEN 'email' THEN sender IS NOT NULL AND speaker IS NULL AND start_ms IS NULL AND end_ms IS NULL AND final IS NULL
    ELSE sender IS NOT NULL AND speaker IS NULL AND subject_redacted IS NULL AND start_ms IS NULL AND end_ms IS NULL AND final IS NULL
  END),
  -- Bound to the interaction of the same tenant (foreign-key checks do not see row-level security).
  CONSTRAINT interaction_messages_interaction_fkey FOREIGN KEY (tenant_id, interaction_id)
    REFERENCES interactions (tenant_id, id)
);
CREATE INDEX interaction_messages_interaction_idx ON interaction_messages (tenant_id, interaction_id, seq);

-- The tail of a live transcript held back between segments, per interaction and speaker: the
-- stream redactor's pending text and its left context, sealed by the vault (AES-256-GCM under the
-- interaction's data key, bound to this row's id). At most a few hundred characters; the row is
-- deleted when the speaker's final segment arrives.
CREATE TABLE interaction_message_streams (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  interaction_id uuid NOT NULL,
  speaker text NOT NULL CHECK (speaker ~ '^[a-z0-9_-]{1,32}$'),
  language text NOT NULL CHECK (language IN ('es', 'pt', 'en')),
  state_cipher text NOT NULL CHECK (char_length(state_cipher) <= 8192),
  updated_at timestamptz NOT NULL,
  CONSTRAINT interaction_message_streams_key UNIQUE (tenant_id, interaction_id, speaker),
  CONSTRAINT interaction_message_streams_interaction_fkey FOREIGN KEY (tenant_id, interaction_id)
    REFERENCES interactions (tenant_id, id)
);

-- Each use of POST /v1/redaction/decrypt: who, why (a reason code and the officer's own words),
-- which entity type. The justification may describe a case: kept here, never in the ledger.
CREATE TABLE redaction_decryptions (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL,
  reason text NOT NULL CHECK (reason ~ '^[a-z][a-z0-9_]{0,31}$'),
  justification text NOT NULL CHECK (char_length(justification) BETWEEN 10 AND 1000),
  entity_type text NOT NULL CHECK (entity_type ~ '^[A-Z_]{1,32}$'),
  interaction_id uuid,
  created_at timestamptz NOT NULL,
  CONSTRAINT redaction_decryptions_agent_fkey FOREIGN KEY (tenant_id, agent_id)
    REFERENCES agent_memberships (tenant_id, agent_id),
  CONSTRAINT redaction_decryptions_interaction_fkey FOREIGN KEY (tenant_id, interaction_id)
    REFERENCES interactions (tenant_id, id)
);
CREATE INDEX redaction_decryptions_created_idx ON redaction_decryptions (tenant_id, created_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['redaction_policies', 'interaction_messages', 'interaction_message_streams', 'redaction_decryptions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())', t);
  END LOOP;
END
$$;
SELECT custodia_grant('SELECT, INSERT', 'redaction_policies');
SELECT custodia_grant('SELECT, INSERT', 'interaction_messages');
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'interaction_message_streams');
SELECT custodia_grant('SELECT, INSERT', 'redaction_decryptions');
