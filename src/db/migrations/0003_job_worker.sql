-- The background job worker that every server process runs (src/jobs/worker.ts).
--
-- `failures` counts consecutive failed steps (reset by a successful one); after a limit the job
-- is marked failed rather than retried for ever. `attempts` keeps counting completed steps.
ALTER TABLE jobs ADD COLUMN failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0);

-- The worker finds which tenants have pending work in one query, from platform scope. This is
-- the one policy on a tenant table not keyed on the tenant: read-only, pending jobs only, and
-- platform scope is set only by the server's own administration code (never by a tenant's
-- request). Everything else about a job, including running it, stays tenant-scoped.
CREATE POLICY jobs_worker_scan ON jobs FOR SELECT
  USING (app_platform_scope() AND state IN ('queued', 'running'));
