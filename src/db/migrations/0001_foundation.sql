-- Foundation: the application role, tenants, platform tokens, invitations, customers.
--
-- Tenant isolation is enforced here, in the database: every tenant-owned table has tenant_id and a
-- row-level security policy keyed on the per-transaction setting app.tenant_id. The application
-- runs every transaction as this database's application role (SET LOCAL ROLE), which owns
-- nothing and cannot bypass RLS, so a query that forgets its tenant filter still sees only the
-- current tenant. See docs/operations.md for the PostgreSQL logins this expects.

-- Names the application role of this database (read by the server and by later migrations).
CREATE TABLE custodia_settings (
  key text PRIMARY KEY,
  value text NOT NULL
);

DO $$
DECLARE
  -- Roles are cluster-wide, so each database gets its own: a login of another Custodia database
  -- on the same server must not hold any privilege here.
  app_role text := left('custodia_app_' || regexp_replace(lower(current_database()), '[^a-z0-9_]', '_', 'g'), 63);
  existing record;
BEGIN
  SELECT * INTO existing FROM pg_roles WHERE rolname = app_role;
  IF NOT FOUND THEN
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION', app_role);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created concurrently by another migrator
    END;
  ELSIF existing.rolsuper OR existing.rolbypassrls OR existing.rolcreaterole OR existing.rolcreatedb OR existing.rolreplication THEN
    -- Pre-created by an administrator (so the migrator needs no CREATEROLE), but with privileges
    -- that would let it escape row-level security: refuse rather than trust it.
    RAISE EXCEPTION 'role % exists but is superuser, BYPASSRLS, CREATEROLE, CREATEDB or REPLICATION', app_role;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = app_role) THEN
    RAISE EXCEPTION 'role % is a member of other roles; it must hold only what Custodia grants it', app_role;
  END IF;
  -- A migrator that is not a superuser must be a member to SET ROLE at run time.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND NOT pg_has_role(current_user, app_role, 'MEMBER') THEN
    EXECUTE format('GRANT %I TO %I', app_role, current_user);
  END IF;
  INSERT INTO custodia_settings (key, value) VALUES ('app_role', app_role);
  -- Other logins of this server have no business in this database, nor temporary tables (which
  -- could shadow ours on a pooled connection).
  EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), app_role);
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app_role);
EXCEPTION WHEN insufficient_privilege THEN
  RAISE EXCEPTION 'the migrating user cannot set up the application role: %', SQLERRM;
END
$$;

-- The application role of this database.
CREATE FUNCTION custodia_app_role() RETURNS text
  LANGUAGE sql STABLE
  AS $$ SELECT value FROM custodia_settings WHERE key = 'app_role' $$;

-- Grants `privileges` on `table_name` to the application role (migrations use this, since the
-- role's name depends on the database).
CREATE FUNCTION custodia_grant(privileges text, table_name text) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF privileges !~ '^(SELECT|INSERT|UPDATE|DELETE)(, ?(SELECT|INSERT|UPDATE|DELETE))*$' THEN
    RAISE EXCEPTION 'custodia_grant: unexpected privileges %', privileges;
  END IF;
  EXECUTE format('GRANT %s ON TABLE %I TO %I', privileges, table_name, custodia_app_role());
END
$$;

REVOKE EXECUTE ON FUNCTION custodia_grant(text, text) FROM PUBLIC;

SELECT custodia_grant('SELECT', 'schema_migrations');
SELECT custodia_grant('SELECT', 'custodia_settings');

-- The tenant of the current transaction, or NULL when none is set (then tenant tables are empty).
CREATE FUNCTION app_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

-- True inside a platform-administration transaction (tenant CRUD, platform tokens).
CREATE FUNCTION app_platform_scope() RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT coalesce(current_setting('app.scope', true), '') = 'platform' $$;

CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  slug text NOT NULL CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  status text NOT NULL CHECK (status IN ('active', 'suspended')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT tenants_slug_key UNIQUE (slug)
);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_platform ON tenants
  USING (app_platform_scope()) WITH CHECK (app_platform_scope());
CREATE POLICY tenants_own_row ON tenants FOR SELECT
  USING (id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'tenants');

CREATE TABLE platform_tokens (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  token_hash bytea NOT NULL CHECK (octet_length(token_hash) = 32),
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  CONSTRAINT platform_tokens_hash_key UNIQUE (token_hash)
);
ALTER TABLE platform_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_tokens_platform ON platform_tokens
  USING (app_platform_scope()) WITH CHECK (app_platform_scope());
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'platform_tokens');

CREATE TABLE invitations (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
  role text NOT NULL CHECK (role IN ('agent', 'senior_agent', 'supervisor', 'security_officer', 'tenant_admin', 'auditor')),
  token_hash bytea NOT NULL CHECK (octet_length(token_hash) = 32),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  revoked_at timestamptz,
  CONSTRAINT invitations_hash_key UNIQUE (token_hash)
);
CREATE INDEX invitations_tenant_idx ON invitations (tenant_id);
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'invitations');

-- Customer profiles start as a number; their personal fields arrive with the vault, encrypted.
CREATE TABLE customers (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  customer_number text NOT NULL CHECK (char_length(customer_number) BETWEEN 1 AND 64),
  created_at timestamptz NOT NULL,
  CONSTRAINT customers_number_key UNIQUE (tenant_id, customer_number)
);
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customers
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'customers');
