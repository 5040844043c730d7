-- Customer profiles (src/customers/, docs/customers.md): each tenant's field schema, the field
-- values, and the history of who changed which field when.
--
-- The rule that matters most is enforced here as well as in the code: a value of a field whose
-- class is above `internal` exists only as vault ciphertext. Each value row carries its field's
-- class, a foreign key ties that class to the definition (so a class cannot change under existing
-- values), and a CHECK ties the class to which of the two value columns is filled.

-- customers(tenant_id, id) is unique already (id is the key); this names it so that the tables
-- below can reference a customer together with its tenant, and a row can never point at another
-- tenant's customer even if a query forgot its tenant filter.
ALTER TABLE customers ADD CONSTRAINT customers_tenant_id_key UNIQUE (tenant_id, id);

-- The field schema of a tenant. Definitions are never deleted: removing a field retires it
-- (`retired_at`), so that the schema's past stays readable next to the ledger entries about it,
-- and so that `schema_version` (the schema version in which the row last changed) only grows.
CREATE TABLE customer_field_definitions (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- Also the vault field name and a ledger detail: lowercase snake_case, at most 40 characters.
  key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$' AND key <> 'customer_number'),
  label text NOT NULL CHECK (char_length(label) BETWEEN 1 AND 100),
  field_type text NOT NULL CHECK (field_type IN ('name', 'phone', 'email', 'document', 'address', 'date', 'card_token', 'free_text', 'number')),
  field_class text NOT NULL CHECK (field_class IN ('public', 'internal', 'confidential', 'restricted', 'payment')),
  -- Why the field is kept (shown to the customer on request): a purpose code.
  purpose text NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_]{0,63}$'),
  retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 36500),
  searchable boolean NOT NULL,
  position smallint NOT NULL CHECK (position BETWEEN 0 AND 999),
  schema_version integer NOT NULL CHECK (schema_version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  retired_at timestamptz,
  PRIMARY KEY (tenant_id, key),
  -- Card tokens are payment data, whatever else the schema says.
  CHECK (field_type <> 'card_token' OR field_class = 'payment'),
  -- A blind index exists only for the kinds the vault can normalize.
  CHECK (NOT searchable OR field_type IN ('phone', 'email', 'document')),
  -- The target of customer_field_values' class reference.
  CONSTRAINT customer_field_definitions_class_key UNIQUE (tenant_id, key, field_class)
);

-- One value per customer and field.
CREATE TABLE customer_field_values (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  customer_id uuid NOT NULL,
  field_key text NOT NULL,
  field_class text NOT NULL,
  -- In clear: only for the public and internal classes.
  value_clear text CHECK (char_length(value_clear) BETWEEN 1 AND 4096),
  -- Vault field ciphertext (docs/vault.md, "Ciphertext format"), sealed for the customer and
  -- bound to (tenant, 'customer_field_values', customer id, field key); nothing else fits here.
  value_cipher text CHECK (
    char_length(value_cipher) <= 8192
    AND value_cipher ~ '^v1\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$'
  ),
  -- When the customer last confirmed the value (NULL: never); see staleFields().
  confirmed_at timestamptz,
  updated_at timestamptz NOT NULL,
  updated_by_type text NOT NULL CHECK (updated_by_type IN ('agent', 'service', 'system', 'platform')),
  updated_by text NOT NULL CHECK (char_length(updated_by) BETWEEN 1 AND 128),
  PRIMARY KEY (tenant_id, customer_id, field_key),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  -- No ON UPDATE action: changing a definition's class while values exist fails here.
  FOREIGN KEY (tenant_id, field_key, field_class) REFERENCES customer_field_definitions (tenant_id, key, field_class),
  CHECK (num_nonnulls(value_clear, value_cipher) = 1),
  CHECK ((field_class IN ('public', 'internal')) = (value_clear IS NOT NULL))
);
-- "Does this field have values?" (schema changes) without a scan of every customer.
CREATE INDEX customer_field_values_field_idx ON customer_field_values (tenant_id, field_key);

-- Who changed which field of which customer, and when: never the value, in any form. Append-only
-- for the application (SELECT and INSERT only); rows go only with their customer or tenant.
CREATE TABLE customer_field_history (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  customer_id uuid NOT NULL,
  field_key text NOT NULL CHECK (field_key ~ '^[a-z][a-z0-9_]{0,39}$'),
  action text NOT NULL CHECK (action IN ('create', 'update', 'clear', 'confirm')),
  actor_type text NOT NULL CHECK (actor_type IN ('agent', 'service', 'system', 'platform')),
  actor_id text NOT NULL CHECK (char_length(actor_id) BETWEEN 1 AND 128),
  at timestamptz NOT NULL,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, field_key) REFERENCES customer_field_definitions (tenant_id, key)
);
CREATE INDEX customer_field_history_customer_idx ON customer_field_history (tenant_id, customer_id, at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['customer_field_definitions', 'customer_field_values', 'customer_field_history'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())', t);
  END LOOP;
END
$$;
-- Definitions are retired, never deleted; values are cleared by deleting their row; history is
-- append-only.
SELECT custodia_grant('SELECT, INSERT, UPDATE', 'customer_field_definitions');
SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'customer_field_values');
SELECT custodia_grant('SELECT, INSERT', 'customer_field_history');
