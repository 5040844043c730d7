/**
 * Who the server is connected as. Row-level security holds a query that forgets its tenant filter
 * whatever the login, because every transaction switches to the application role. Against
 * injected SQL it holds only if the login itself cannot undo that switch and then bypass RLS:
 * a superuser, a BYPASSRLS role and the tables' owner can. Production refuses such a login on
 * PostgreSQL (docs/operations.md shows the logins to use); PGlite always runs as its superuser.
 */
import type { Database } from './database.js';

export interface ConnectionIdentity {
  readonly user: string;
  /** Reasons the login could bypass row-level security; empty when it cannot. */
  readonly bypassReasons: readonly string[];
}

export async function connectionIdentity(db: Database): Promise<ConnectionIdentity> {
  const [row] = await db.withRawSession((s) =>
    s.query<{ user: string; superuser: boolean; bypassrls: boolean; owns: boolean }>(`
      SELECT r.rolname AS user, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
             EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relowner = r.oid) AS owns
      FROM pg_roles r WHERE r.rolname = session_user`),
  );
  const reasons: string[] = [];
  if (row?.superuser === true) reasons.push('superuser');
  if (row?.bypassrls === true) reasons.push('BYPASSRLS');
  if (row?.owns === true) reasons.push('owner of the tables');
  return { user: row?.user ?? 'unknown', bypassReasons: reasons };
}
