-- Agent identity and sessions (src/agents/).
--
-- A person has one identity (`agents`) and a membership with one role in each tenant they work
-- for (a BPO's agents serve several client companies). The identity and its credentials
-- (password hash, TOTP secret, WebAuthn keys, recovery codes) are not any tenant's rows: they
-- are readable and writable only in the "identity" scope, which the sign-in code sets together
-- with a tenant (Database.withTenant(..., { identity: true })). A tenant's own transactions see
-- the names and addresses of its members, never their credentials.

-- True in a transaction of the sign-in code (app.scope = 'identity').
CREATE FUNCTION app_identity_scope() RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT coalesce(current_setting('app.scope', true), '') = 'identity' $$;

CREATE TABLE agents (
  id uuid PRIMARY KEY,
  -- The sign-in name. Lowercased by the application; the check keeps it that way.
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254 AND email = lower(email)),
  display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
  status text NOT NULL CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT agents_email_key UNIQUE (email)
);

CREATE TABLE agent_memberships (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('agent', 'senior_agent', 'supervisor', 'security_officer', 'tenant_admin', 'auditor')),
  status text NOT NULL CHECK (status IN ('active', 'suspended')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, agent_id)
);
CREATE INDEX agent_memberships_agent_idx ON agent_memberships (agent_id);
ALTER TABLE agent_memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_memberships
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'agent_memberships');

ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE agents FORCE ROW LEVEL SECURITY;
CREATE POLICY agents_identity ON agents
  USING (app_identity_scope()) WITH CHECK (app_identity_scope());
-- A tenant sees the identities of its own members (names in its console), read-only.
CREATE POLICY agents_members ON agents FOR SELECT
  USING (EXISTS (SELECT 1 FROM agent_memberships m WHERE m.agent_id = agents.id AND m.tenant_id = app_current_tenant()));
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'agents');

-- Credentials: identity scope only.
CREATE TABLE agent_passwords (
  agent_id uuid PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
  -- Argon2id PHC string (parameters inside, so they can change and be re-hashed on sign-in).
  hash text NOT NULL CHECK (hash LIKE '$argon2id$%' AND char_length(hash) <= 512),
  changed_at timestamptz NOT NULL
);

CREATE TABLE agent_totp (
  id uuid PRIMARY KEY,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  -- The shared secret, wrapped by the root key provider (context: agent-totp, agent, id).
  secret text NOT NULL CHECK (char_length(secret) <= 1024),
  state text NOT NULL CHECK (state IN ('pending', 'active')),
  -- The last time step accepted: a code of this step or an earlier one is a replay.
  last_used_step bigint,
  created_at timestamptz NOT NULL,
  confirmed_at timestamptz
);
CREATE UNIQUE INDEX agent_totp_one_per_state ON agent_totp (agent_id, state);

CREATE TABLE agent_webauthn_credentials (
  id uuid PRIMARY KEY,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  -- (A regex bound above 255 is refused by PostgreSQL when a row is checked: length apart.)
  credential_id text NOT NULL CHECK (char_length(credential_id) BETWEEN 16 AND 1366 AND credential_id ~ '^[A-Za-z0-9_-]+$'),
  public_key bytea NOT NULL CHECK (octet_length(public_key) <= 2048),
  sign_count bigint NOT NULL CHECK (sign_count >= 0),
  transports text[] NOT NULL DEFAULT '{}',
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  device_type text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up boolean NOT NULL,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  CONSTRAINT agent_webauthn_credential_key UNIQUE (credential_id)
);
CREATE INDEX agent_webauthn_agent_idx ON agent_webauthn_credentials (agent_id);

CREATE TABLE agent_recovery_codes (
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  code_hash bytea NOT NULL CHECK (octet_length(code_hash) = 32),
  created_at timestamptz NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (agent_id, code_hash)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['agent_passwords', 'agent_totp', 'agent_webauthn_credentials', 'agent_recovery_codes'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY identity_only ON %I USING (app_identity_scope()) WITH CHECK (app_identity_scope())', t);
  END LOOP;
END
$$;
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'agent_passwords');
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'agent_totp');
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'agent_webauthn_credentials');
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'agent_recovery_codes');

-- Sessions: opaque tokens of which only the SHA-256 is stored; one tenant each.
CREATE TABLE agent_sessions (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL CHECK (octet_length(token_hash) = 32),
  kind text NOT NULL CHECK (kind IN ('console', 'bearer')),
  -- The factor that completed the sign-in ('password' until a second factor is presented).
  factor text NOT NULL CHECK (factor IN ('password', 'totp', 'webauthn', 'recovery')),
  csrf_hash bytea CHECK (csrf_hash IS NULL OR octet_length(csrf_hash) = 32),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  last_activity_at timestamptz NOT NULL,
  -- When the agent last proved their second factor in this session (sign-in or unlock): changing
  -- factors needs a recent proof, not only an open session.
  second_factor_at timestamptz,
  locked_at timestamptz,
  lock_reason text CHECK (lock_reason IN ('idle', 'presence', 'multiple_faces', 'manual')),
  presence_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('logout', 'self', 'security_officer', 'replaced', 'agent_disabled')),
  -- A pending WebAuthn ceremony (its challenge, base64url) and when it ends.
  challenge text CHECK (challenge IS NULL OR challenge ~ '^[A-Za-z0-9_-]{16,128}$'),
  challenge_purpose text CHECK (challenge_purpose IN ('register', 'authenticate')),
  challenge_expires_at timestamptz,
  ip text CHECK (char_length(ip) <= 64),
  user_agent text CHECK (char_length(user_agent) <= 256),
  CONSTRAINT agent_sessions_token_key UNIQUE (token_hash)
);
CREATE INDEX agent_sessions_agent_idx ON agent_sessions (tenant_id, agent_id) WHERE revoked_at IS NULL;
ALTER TABLE agent_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_sessions
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'agent_sessions');

-- A tenant's security settings (validated by the application's schema; defaults when absent).
CREATE TABLE tenant_security_settings (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  settings jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
  updated_at timestamptz NOT NULL,
  updated_by uuid
);
ALTER TABLE tenant_security_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_security_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_security_settings
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'tenant_security_settings');

-- Shift schedules (src/agents/shifts.ts) and timed overtime exceptions.
CREATE TABLE agent_shifts (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  schedule jsonb NOT NULL CHECK (jsonb_typeof(schedule) = 'object'),
  updated_at timestamptz NOT NULL,
  updated_by uuid NOT NULL,
  PRIMARY KEY (tenant_id, agent_id)
);
CREATE TABLE agent_shift_exceptions (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind = 'overtime'),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
  granted_by uuid NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX agent_shift_exceptions_agent_idx ON agent_shift_exceptions (tenant_id, agent_id, ends_at);

-- Security training and code-of-conduct acknowledgements.
CREATE TABLE agent_training (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  course text NOT NULL CHECK (course ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
  completed_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > completed_at),
  recorded_by uuid NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX agent_training_agent_idx ON agent_training (tenant_id, agent_id, expires_at);
CREATE TABLE agent_conduct_acks (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  version text NOT NULL CHECK (version ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  acknowledged_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, agent_id, version)
);

-- Service accounts: API keys of which only the SHA-256 is stored.
CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  key_hash bytea NOT NULL CHECK (octet_length(key_hash) = 32),
  scopes text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 32),
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz,
  CONSTRAINT api_keys_hash_key UNIQUE (key_hash)
);

-- Alerts for the tenant's security officers (failed sign-ins, locks, revocations...).
CREATE TABLE security_alerts (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{0,63}$'),
  agent_id uuid,
  details jsonb NOT NULL CHECK (jsonb_typeof(details) = 'object'),
  created_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by uuid
);
CREATE INDEX security_alerts_open_idx ON security_alerts (tenant_id, created_at) WHERE acknowledged_at IS NULL;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['agent_shifts', 'agent_shift_exceptions', 'agent_training', 'agent_conduct_acks', 'api_keys', 'security_alerts'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())', t);
  END LOOP;
END
$$;
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'agent_shifts');
SELECT custodia_grant('SELECT, INSERT', 'agent_shift_exceptions');
SELECT custodia_grant('SELECT, INSERT', 'agent_training');
SELECT custodia_grant('SELECT, INSERT', 'agent_conduct_acks');
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'api_keys');
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'security_alerts');
