-- Devices and networks agents sign in from (src/agents/devices.ts), and the SMS fallback second
-- factor (src/agents/sms-factor.ts).
--
-- A device or network is `pending` until a supervisor approves it: recording one never approves
-- it, so switching an approval rule on later does not bless what was seen while it was off.

-- A device an agent signs in from, per tenant (each tenant's supervisors approve for their own
-- campaign). Either a key pair created in the browser (ECDSA P-256, private key not extractable;
-- `public_key` is its SubjectPublicKeyInfo) or a device-bound WebAuthn credential.
CREATE TABLE agent_devices (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('browser_key', 'webauthn')),
  -- SHA-256 of the SPKI (browser_key) or of the credential id (webauthn): how a device is found.
  thumbprint bytea NOT NULL CHECK (octet_length(thumbprint) = 32),
  public_key bytea CHECK (public_key IS NULL OR octet_length(public_key) <= 512),
  webauthn_credential_id text CHECK (webauthn_credential_id IS NULL OR char_length(webauthn_credential_id) <= 1366),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'revoked')),
  created_at timestamptz NOT NULL,
  decided_at timestamptz,
  decided_by uuid,
  last_seen_at timestamptz NOT NULL,
  CHECK ((kind = 'browser_key') = (public_key IS NOT NULL)),
  CHECK ((kind = 'webauthn') = (webauthn_credential_id IS NOT NULL)),
  CONSTRAINT agent_devices_thumbprint_key UNIQUE (tenant_id, agent_id, thumbprint)
);

-- Networks (an IPv4 /24 or an IPv6 /56) an agent signed in from, per tenant.
CREATE TABLE agent_networks (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  network text NOT NULL CHECK (char_length(network) <= 64),
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  decided_at timestamptz,
  decided_by uuid,
  PRIMARY KEY (tenant_id, agent_id, network)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['agent_devices', 'agent_networks'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())', t);
  END LOOP;
END
$$;
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'agent_devices');
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'agent_networks');

-- A session remembers the device it proved and the network it came from.
ALTER TABLE agent_sessions
  ADD COLUMN device_id uuid REFERENCES agent_devices (id),
  ADD COLUMN network text CHECK (char_length(network) <= 64),
  -- The passkey (agent_webauthn_credentials.id) of the session's latest WebAuthn proof, if any.
  ADD COLUMN factor_credential_id uuid,
  -- The factor of the session's latest second-factor proof (sign-in or unlock): an SMS code is
  -- not enough to change second factors.
  ADD COLUMN proof_factor text CHECK (proof_factor IN ('totp', 'webauthn', 'recovery', 'sms')),
  -- A password-only session: the device key its sign-in proved, recorded once the second factor
  -- is presented (a password alone records nothing).
  ADD COLUMN pending_device_key bytea CHECK (octet_length(pending_device_key) <= 512),
  ADD COLUMN pending_device_name text CHECK (char_length(pending_device_name) BETWEEN 1 AND 64),
  -- The SMS fallback: one active code per session, wrapped by the key provider (a six-digit code
  -- under a plain hash would fall to a million guesses by anyone who reads the table), with its
  -- expiry, its purpose and the time it was sent (resend cooldown).
  ADD COLUMN sms_code text CHECK (char_length(sms_code) <= 1024),
  ADD COLUMN sms_code_expires_at timestamptz,
  ADD COLUMN sms_code_purpose text CHECK (sms_code_purpose IN ('enroll', 'sign_in')),
  ADD COLUMN sms_sent_at timestamptz;
ALTER TABLE agent_sessions DROP CONSTRAINT agent_sessions_factor_check;
ALTER TABLE agent_sessions ADD CONSTRAINT agent_sessions_factor_check CHECK (factor IN ('password', 'totp', 'webauthn', 'recovery', 'sms'));
ALTER TABLE agent_sessions DROP CONSTRAINT agent_sessions_revoked_reason_check;
ALTER TABLE agent_sessions ADD CONSTRAINT agent_sessions_revoked_reason_check
  CHECK (revoked_reason IN ('logout', 'self', 'security_officer', 'replaced', 'agent_disabled', 'device_revoked'));

-- The phone an agent receives fallback codes on: part of the identity (like the password), kept
-- wrapped by the key provider; only the last digits are kept in clear, to show which phone.
CREATE TABLE agent_sms_phones (
  agent_id uuid PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
  phone text NOT NULL CHECK (char_length(phone) <= 1024),
  hint text NOT NULL CHECK (hint ~ '^[0-9]{2}$'),
  state text NOT NULL CHECK (state IN ('pending', 'active')),
  created_at timestamptz NOT NULL,
  confirmed_at timestamptz
);
ALTER TABLE agent_sms_phones ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_sms_phones FORCE ROW LEVEL SECURITY;
CREATE POLICY identity_only ON agent_sms_phones USING (app_identity_scope()) WITH CHECK (app_identity_scope());
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'agent_sms_phones');
