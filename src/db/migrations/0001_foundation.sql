-- Foundation: the application role, tenants, platform tokens, invitations, customers.
--
-- Tenant isolation is enforced here, in the database: every tenant-owned table has tenant_id and a
-- row-level security policy keyed on the per-transaction setting app.tenant_id. The application
-- runs every transaction as custodia_app (SET LOCAL ROLE), a role that owns nothing and cannot
-- bypass RLS, so a query that forgets its tenant filter still sees only the current tenant.

DO $$
BEGIN
  -- Roles are cluster-wide: another Custodia database on this server, or the administrator, may
  -- have made it already (then the migrator needs no CREATEROLE privilege).
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custodia_app') THEN
    BEGIN
      CREATE ROLE custodia_app NOLOGIN NOINHERIT NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created concurrently by another migrator
    END;
  END IF;
  -- A non-superuser migrator must be a member to SET ROLE custodia_app at run time.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND NOT pg_has_role(current_user, 'custodia_app', 'MEMBER') THEN
    EXECUTE format('GRANT custodia_app TO %I', current_user);
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO custodia_app;
GRANT SELECT ON schema_migrations TO custodia_app;

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
CREATE POLICY tenants_platform ON tenants TO custodia_app
  USING (app_platform_scope()) WITH CHECK (app_platform_scope());
CREATE POLICY tenants_own_row ON tenants FOR SELECT TO custodia_app
  USING (id = app_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants TO custodia_app;

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
CREATE POLICY platform_tokens_platform ON platform_tokens TO custodia_app
  USING (app_platform_scope()) WITH CHECK (app_platform_scope());
GRANT SELECT, INSERT, UPDATE ON platform_tokens TO custodia_app;

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
CREATE POLICY tenant_isolation ON invitations TO custodia_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
GRANT SELECT, INSERT, UPDATE ON invitations TO custodia_app;

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
CREATE POLICY tenant_isolation ON customers TO custodia_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON customers TO custodia_app;
