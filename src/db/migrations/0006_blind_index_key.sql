-- The primary key of blind_indexes began (tenant_id, owner_table, ...), which matched a lookup's
-- `tenant_id = ... AND owner_table = ...` as well as the lookup index did. Without planner
-- statistics (a fresh or just-imported table on PGlite, which has no autovacuum) the planner
-- could pick it and scan the tenant's whole table: 175 ms instead of 2 ms at 100k customers
-- (bench/vault.ts). With owner_id second, the key serves replacing one owner's index and the
-- lookup index (tenant_id, kind, digest) is the only one that fits a lookup.
ALTER TABLE blind_indexes DROP CONSTRAINT blind_indexes_pkey;
ALTER TABLE blind_indexes ADD PRIMARY KEY (tenant_id, owner_id, field, owner_table);
