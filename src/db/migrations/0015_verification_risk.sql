-- Verification risk and biometrics: per-tenant risk weights, known fraud numbers, biometric
-- enrollments with consent. Tables follow.
--
-- No phone number is stored in clear here: calling numbers and fraud numbers are kept only as the
-- vault's blind index of the normalized E.164 number (HMAC under the tenant's index key), which is
-- also how the phone on a customer's record is indexed, so the two compare without decrypting.
-- Biometric templates are stored only as vault ciphertext, each under its own data key, so that
-- deleting an enrollment destroys the key (crypto-shredding) wherever a copy of the row went.

-- The number a verification session's caller called from (the IVR or telephony platform says it
-- when it starts the session): failures and customers per calling number are counted here.
CREATE TABLE verification_session_callers (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  session_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  caller_digest bytea NOT NULL CHECK (octet_length(caller_digest) BETWEEN 2 AND 32),
  at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, session_id),
  CONSTRAINT verification_session_callers_session_fkey FOREIGN KEY (tenant_id, session_id) REFERENCES verification_sessions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX verification_session_callers_digest_idx ON verification_session_callers (tenant_id, caller_digest, at);

-- Numbers a security officer listed as used by fraudsters. `hint` is the last two digits only, so
-- that officers can tell entries apart without the list being a list of phone numbers.
CREATE TABLE verification_fraud_numbers (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  digest bytea NOT NULL CHECK (octet_length(digest) BETWEEN 2 AND 32),
  hint text NOT NULL CHECK (hint ~ '^[0-9]{2}$'),
  reason text NOT NULL CHECK (reason IN ('confirmed_fraud', 'suspected_fraud', 'spoofing', 'other')),
  added_by uuid NOT NULL,
  added_at timestamptz NOT NULL,
  CONSTRAINT verification_fraud_numbers_digest_key UNIQUE (tenant_id, digest)
);

-- Consent to biometric enrollment: who recorded it, when, for what purpose, under which version of
-- the consent text the customer was read. Withdrawal is a timestamp, never a deletion: the record
-- that consent existed is what makes the enrollment made under it lawful.
CREATE TABLE biometric_consents (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  customer_id uuid NOT NULL,
  modality text NOT NULL CHECK (modality IN ('face', 'voice')),
  purpose text NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_]{0,63}$'),
  text_version text NOT NULL CHECK (text_version ~ '^[A-Za-z0-9._-]{1,32}$'),
  recorded_by_type text NOT NULL CHECK (recorded_by_type IN ('agent', 'service')),
  recorded_by uuid NOT NULL,
  given_at timestamptz NOT NULL,
  withdrawn_at timestamptz,
  withdrawn_by uuid,
  CONSTRAINT biometric_consents_tenant_row_key UNIQUE (tenant_id, id),
  CONSTRAINT biometric_consents_customer_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX biometric_consents_customer_idx ON biometric_consents (tenant_id, customer_id, modality);

-- One enrollment per customer and modality. `template` is vault ciphertext under a data key of
-- its own (owner biometric_enrollments/<id>); the row is deleted and the key shredded together.
CREATE TABLE biometric_enrollments (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  customer_id uuid NOT NULL,
  modality text NOT NULL CHECK (modality IN ('face', 'voice')),
  consent_id uuid NOT NULL,
  provider text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_-]{0,31}$'),
  template text NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT biometric_enrollments_one_per_modality UNIQUE (tenant_id, customer_id, modality),
  CONSTRAINT biometric_enrollments_consent_fkey FOREIGN KEY (tenant_id, consent_id) REFERENCES biometric_consents (tenant_id, id),
  CONSTRAINT biometric_enrollments_customer_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['verification_session_callers', 'verification_fraud_numbers', 'biometric_consents', 'biometric_enrollments'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())', t);
  END LOOP;
END
$$;
-- Calling numbers are a history: written once with their session.
SELECT custodia_grant('SELECT, INSERT', 'verification_session_callers');
SELECT custodia_grant('SELECT, INSERT, DELETE', 'verification_fraud_numbers');
-- Consents are withdrawn (UPDATE), never deleted.
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'biometric_consents');
-- An enrollment is replaced or removed, never edited in place.
SELECT custodia_grant('SELECT, INSERT, DELETE', 'biometric_enrollments');
