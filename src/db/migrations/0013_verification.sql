-- Caller identity verification (src/verification/): a tenant's verification settings, the
-- verification sessions of interactions, every method result, one-time codes and customer locks.
--
-- Nothing here holds a code or a contact in clear: codes are kept only as an HMAC under a key
-- derived from the tenant's vault index key (src/verification/otp.ts), and the phone or email a
-- code goes to is read from the customer's record when the message is sent, never copied here.

-- One JSON object per tenant (defaults in src/verification/settings.ts fill what is missing).
CREATE TABLE verification_settings (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  settings jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
  updated_at timestamptz NOT NULL,
  updated_by uuid NOT NULL
);

-- A verification of the caller of one interaction as one customer. The level it reached is also
-- written to interactions.verification_level (the access layer reads it there), in the same
-- transaction, so the two never disagree.
CREATE TABLE verification_sessions (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  interaction_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  -- Who started it: an agent, or a service account's API key (the IVR).
  started_by_type text NOT NULL CHECK (started_by_type IN ('agent', 'service')),
  started_by uuid NOT NULL,
  state text NOT NULL CHECK (state IN ('open', 'verified', 'locked', 'expired', 'cancelled')),
  target_level smallint NOT NULL CHECK (target_level BETWEEN 1 AND 3),
  achieved_level smallint NOT NULL DEFAULT 0 CHECK (achieved_level BETWEEN 0 AND 3),
  language text NOT NULL CHECK (language IN ('es', 'pt', 'en')),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
  updated_at timestamptz NOT NULL,
  CONSTRAINT verification_sessions_tenant_row_key UNIQUE (tenant_id, id),
  -- With the tenant: foreign keys ignore row-level security, so this keeps other tenants' ids out.
  CONSTRAINT verification_sessions_interaction_fkey FOREIGN KEY (tenant_id, interaction_id) REFERENCES interactions (tenant_id, id),
  CONSTRAINT verification_sessions_customer_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX verification_sessions_interaction_idx ON verification_sessions (tenant_id, interaction_id, created_at);
CREATE INDEX verification_sessions_customer_idx ON verification_sessions (tenant_id, customer_id);

-- Every result a method reported (passed or failed), in order. Failures of a customer within the
-- lockout window are counted here. Method codes and outcomes only: never what the caller said.
CREATE TABLE verification_results (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  session_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  method text NOT NULL CHECK (method ~ '^[a-z][a-z0-9_]{0,31}$'),
  passed boolean NOT NULL,
  at timestamptz NOT NULL,
  CONSTRAINT verification_results_session_fkey FOREIGN KEY (tenant_id, session_id) REFERENCES verification_sessions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX verification_results_session_idx ON verification_results (tenant_id, session_id, at);
CREATE INDEX verification_results_failures_idx ON verification_results (tenant_id, customer_id, at) WHERE NOT passed;

-- One-time codes. At most one active code per session (a new one voids the old). `code_mac` is
-- HMAC-SHA256 of the code bound to the code's id and session; the code itself is in no table.
CREATE TABLE verification_codes (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  session_id uuid NOT NULL,
  method text NOT NULL CHECK (method IN ('otp_sms', 'otp_email', 'otp_voice')),
  code_mac bytea NOT NULL CHECK (octet_length(code_mac) = 32),
  digits smallint NOT NULL CHECK (digits BETWEEN 6 AND 8),
  state text NOT NULL CHECK (state IN ('active', 'used', 'void', 'exhausted')),
  attempts smallint NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts smallint NOT NULL CHECK (max_attempts BETWEEN 1 AND 10),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
  -- Delivery, written by the dispatch job: queued -> sending -> sent | failed | unknown.
  delivery text NOT NULL CHECK (delivery IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
  job_id uuid,
  updated_at timestamptz NOT NULL,
  CONSTRAINT verification_codes_session_fkey FOREIGN KEY (tenant_id, session_id) REFERENCES verification_sessions (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX verification_codes_one_active ON verification_codes (tenant_id, session_id) WHERE state = 'active';
CREATE INDEX verification_codes_session_idx ON verification_codes (tenant_id, session_id, created_at);

-- A customer whose verification is locked after too many failures, until `locked_until`.
CREATE TABLE verification_locks (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  customer_id uuid NOT NULL,
  locked_at timestamptz NOT NULL,
  locked_until timestamptz NOT NULL CHECK (locked_until > locked_at),
  failures integer NOT NULL CHECK (failures > 0),
  PRIMARY KEY (tenant_id, customer_id),
  CONSTRAINT verification_locks_customer_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['verification_settings', 'verification_sessions', 'verification_results', 'verification_codes', 'verification_locks'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())', t);
  END LOOP;
END
$$;
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'verification_settings');
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'verification_sessions');
-- Results are a history: appended, never changed.
SELECT custodia_grant('SELECT, INSERT', 'verification_results');
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'verification_codes');
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'verification_locks');
